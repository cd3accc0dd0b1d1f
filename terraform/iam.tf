# Identities and least-privilege grants.
#
# - one runtime service account per function, holding only what that function's code does;
# - ais-tasks-invoker: the identity in the worker tasks' OIDC tokens (TASKS_SERVICE_ACCOUNT); it may
#   invoke the worker and nothing else;
# - ais-scheduler: the identity in the scheduler jobs' OIDC tokens; it may invoke the scheduled
#   functions and nothing else;
# - ais-build: builds the functions (new projects no longer give the default build account the
#   rights, so the build gets an account of its own, with the documented minimum).

resource "google_service_account" "fn" {
  for_each = local.functions

  project      = var.project_id
  account_id   = "ais-${each.key}" # 6-30 characters: "ais-reconciliation-sweep" is 24
  display_name = "AI Studio ${each.key} (runtime)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "tasks_invoker" {
  project      = var.project_id
  account_id   = "ais-tasks-invoker"
  display_name = "AI Studio Cloud Tasks -> generation-worker (OIDC)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "ais-scheduler"
  display_name = "AI Studio Cloud Scheduler -> scheduled functions (OIDC)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "ais-build"
  display_name = "AI Studio function builds"

  depends_on = [google_project_service.apis]
}

locals {
  enqueuers = { for name, f in local.functions : name => f if length(f.enqueues) > 0 }

  # "<function>/<queue>" for every queue a function creates tasks on (functions/manifest.json)
  enqueue_grants = merge([
    for name, f in local.functions : { for queue in f.enqueues : "${name}/${queue}" => { function = name, queue = queue } }
  ]...)

  # "<function>/<secret>" for every secret a function mounts
  secret_access = merge([
    for name, f in local.functions : { for secret in f.secrets : "${name}/${secret}" => { function = name, secret = secret } }
  ]...)
}

# --- Runtime permissions --------------------------------------------------------------------------

# Firestore: read and write documents (every function). Firestore IAM is project-wide.
resource "google_project_iam_member" "datastore" {
  for_each = local.functions

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.fn[each.key].email}"
}

# Enqueue tasks on the queues a function uses, and no other: start tasks (webhook, sweep), polls and
# broadcast batches (webhook, worker).
resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = local.enqueue_grants

  project  = var.project_id
  location = local.queues[each.value.queue].location
  name     = local.queues[each.value.queue].name
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.fn[each.value.function].email}"
}

# Creating a task with an OIDC token of ais-tasks-invoker is acting as that account (actAs), so the
# enqueuers need Service Account User on it - on that one account only.
resource "google_service_account_iam_member" "act_as_tasks_invoker" {
  for_each = local.enqueuers

  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.fn[each.key].email}"
}

# Each function reads only the secrets it mounts.
resource "google_secret_manager_secret_iam_member" "access" {
  for_each = local.secret_access

  project   = var.project_id
  secret_id = google_secret_manager_secret.app[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.fn[each.value.function].email}"
}

# --- Build ----------------------------------------------------------------------------------------
# What Google documents for a user-specified build account, and no more: write the build's logs, read
# the uploaded source (Cloud Functions stages it in its own gcf-v2-sources bucket of this project), push
# the images to the functions' repository (not to any other).
resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/logging.logWriter",    # build logs
    "roles/storage.objectViewer", # the staged source
  ])

  project = var.project_id
  role    = each.key
  member  = "serviceAccount:${google_service_account.build.email}"
}

resource "google_artifact_registry_repository_iam_member" "build" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.build.email}"
}

# A grant takes a while to reach every Google service: a build or a first revision that starts at once
# can fail on a permission it was just given (Google's own Cloud Functions sample waits, too). New grants
# (a secret given to a function, a role) wait again before the functions change.
resource "time_sleep" "iam_settles" {
  create_duration = "90s"

  triggers = {
    build   = join(",", sort(concat([for m in google_project_iam_member.build : m.id], [google_artifact_registry_repository_iam_member.build.id])))
    secrets = join(",", sort([for m in google_secret_manager_secret_iam_member.access : m.id]))
    runtime = join(",", sort([for m in google_project_iam_member.datastore : m.id]))
  }
}

# --- Who may invoke what --------------------------------------------------------------------------
# A 2nd gen function is served by a Cloud Run service, and invocation is checked there
# (roles/run.invoker on the service; roles/cloudfunctions.invoker on the function does not apply to
# HTTP calls). service_config[0].service names that service, so the bindings go on the service.

# Telegram and KIE.ai call without Google credentials: public, authenticated in the request.
resource "google_cloud_run_service_iam_member" "public" {
  #checkov:skip=CKV_GCP_102:By design: Telegram and KIE.ai call telegram-webhook and kie-callback without Google credentials; each request proves itself (secret header, HMAC signature)
  for_each = { for name, f in local.functions : name => f if f.invoker == "public" }

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Cloud Tasks calls the worker with an OIDC token of ais-tasks-invoker.
resource "google_cloud_run_service_iam_member" "tasks_invoker" {
  for_each = { for name, f in local.functions : name => f if f.invoker == "tasks" }

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.tasks_invoker.email}"
}

# Cloud Scheduler calls the scheduled functions with an OIDC token of ais-scheduler.
resource "google_cloud_run_service_iam_member" "scheduler_invoker" {
  for_each = { for name, f in local.functions : name => f if f.invoker == "scheduler" }

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}
