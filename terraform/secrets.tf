# Secret Manager secrets, created EMPTY. Terraform never sees a value (no secret versions here, none
# in the state): ops add each value once with
#   printf %s "$VALUE" | gcloud secrets versions add <NAME> --data-file=-
# Functions read version "latest" as environment variables at instance start (functions.tf); each
# function mounts only the secrets of the settings sections functions/manifest.json grants it, and may
# read only those (iam.tf).
locals {
  secret_names = [
    "TELEGRAM_BOT_TOKEN",      # @BotFather
    "TELEGRAM_WEBHOOK_SECRET", # ours: 1-256 of A-Za-z0-9_-, given to setWebhook as secret_token
    "KIE_API_KEY",             # KIE.ai API key
    "KIE_WEBHOOK_HMAC_KEY",    # KIE.ai webhook HMAC key: callbacks must carry a valid signature
  ]
}

resource "google_secret_manager_secret" "app" {
  for_each = toset(local.secret_names)

  project   = var.project_id
  secret_id = each.key # the same name as the environment variable
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}
