output "webhook_url" {
  description = "telegram-webhook: give it to setWebhook; GET on it is the health check."
  value       = local.webhook_url
}

output "callback_url" {
  description = "kie-callback (CALLBACK_URL, sent to KIE.ai as callBackUrl)."
  value       = local.callback_url
}

output "worker_url" {
  description = "generation-worker (WORKER_URL, the Cloud Tasks target and OIDC audience)."
  value       = local.worker_url
}

output "function_uris" {
  description = "Each function's URI as Cloud Functions reports it (the scheduler jobs call these)."
  value       = { for name, fn in google_cloudfunctions2_function.fn : name => fn.service_config[0].uri }
}

output "service_accounts" {
  description = "Runtime service account of each function."
  value       = { for name, sa in google_service_account.fn : name => sa.email }
}

output "tasks_invoker_service_account" {
  description = "Identity of the worker tasks' OIDC tokens (TASKS_SERVICE_ACCOUNT, EXPECTED_INVOKERS of the worker)."
  value       = google_service_account.tasks_invoker.email
}

output "scheduler_service_account" {
  description = "Identity of the scheduler jobs' OIDC tokens (EXPECTED_INVOKERS of the scheduled functions)."
  value       = google_service_account.scheduler.email
}

output "build_service_account" {
  description = "Service account the function builds run as."
  value       = google_service_account.build.email
}

output "secrets" {
  description = "Secret Manager secrets to fill with `gcloud secrets versions add` (no value is kept by Terraform)."
  value       = [for secret in google_secret_manager_secret.app : secret.secret_id]
}

output "function_secrets" {
  description = "The secrets each function is given (the secrets of its sections in functions/manifest.json)."
  value       = { for name, f in local.functions : name => f.secrets }
}

output "set_webhook_command" {
  description = "Registers the webhook once (reads TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET from your shell)."
  value       = <<-EOT
    curl -s "https://api.telegram.org/bot$TELEGRAM_BOT_TOKEN/setWebhook" \
      -d url="${local.webhook_url}" \
      -d secret_token="$TELEGRAM_WEBHOOK_SECRET" \
      --data-urlencode 'allowed_updates=["message","callback_query","pre_checkout_query"]'
  EOT
}
