# Cloud Scheduler jobs for the four scheduled functions. Each call carries an OIDC token of
# ais-scheduler with audience = the function's URL: Cloud Run checks it (run.invoker) and so does the
# function itself (EXPECTED_INVOKERS, shared/auth.py: the audience must be the URL it was called at).
#
# The schedules are the manifest's (functions/manifest.json "schedule"):
# - free-tier-refresh every 6 h, deadline = its timeout, 1 retry (idempotent: it recomputes and overwrites
#   settings/free_tier);
# - reconciliation-sweep every 5 min, no retry (the next run is 5 min away; a run that overlaps the
#   previous one gets 429);
# - housekeeping daily in the quiet hours (Moscow time by default), 1 retry (deletes what has expired);
# - catalog-sync daily after it, deadline 600 s (about 1 s per model: the provider's discovery allows 1
#   request/s), 1 retry (a run only reads the provider and rewrites its own report and hidden models).
locals {
  schedules = {
    for name, f in local.manifest.functions : name => {
      schedule = f.schedule.cron
      deadline = f.schedule.deadline
      retries  = f.schedule.retries
    } if f.schedule != null
  }
}

resource "google_cloud_scheduler_job" "job" {
  for_each = local.schedules

  project          = var.project_id
  region           = var.region
  name             = each.key
  description      = google_cloudfunctions2_function.fn[each.key].description
  schedule         = each.value.schedule
  time_zone        = var.scheduler_time_zone
  attempt_deadline = each.value.deadline

  retry_config {
    retry_count          = each.value.retries
    min_backoff_duration = "30s"
    max_backoff_duration = "300s"
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.fn[each.key].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.fn[each.key].service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_service_iam_member.scheduler_invoker]
}
