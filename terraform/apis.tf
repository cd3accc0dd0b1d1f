# APIs the deployment uses. They stay enabled on `terraform destroy` (other things in the project may
# use them, and disabling an API can take its data with it).
locals {
  apis = [
    "artifactregistry.googleapis.com",     # images built for the functions
    "cloudbuild.googleapis.com",           # builds the functions from source
    "cloudfunctions.googleapis.com",       # Cloud Functions (2nd gen)
    "cloudresourcemanager.googleapis.com", # project lookups (data.google_project, IAM)
    "cloudscheduler.googleapis.com",       # free_tier_refresh, reconciliation_sweep, housekeeping, catalog_sync
    "cloudtasks.googleapis.com",           # the `generations` queue
    "firestore.googleapis.com",            # the database
    "iam.googleapis.com",                  # service accounts
    "logging.googleapis.com",              # function logs
    "run.googleapis.com",                  # the Cloud Run services behind 2nd gen functions
    "secretmanager.googleapis.com",        # bot token, webhook secret, KIE keys
    "storage.googleapis.com",              # source upload bucket
  ]
}

resource "google_project_service" "apis" {
  for_each = toset(local.apis)

  project                    = var.project_id
  service                    = each.key
  disable_on_destroy         = false
  disable_dependent_services = false
}
