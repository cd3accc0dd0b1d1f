# AI Studio on Google Cloud: seven HTTP Cloud Functions (2nd gen) built from this repository, Firestore,
# two Cloud Tasks queues, Cloud Scheduler jobs and Secret Manager. What each function is and may read
# comes from functions/manifest.json. The README's "Deployment" section is the runbook. Files: apis.tf,
# firestore.tf, secrets.tf, iam.tf, functions.tf, tasks.tf, scheduler.tf.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  project_number  = data.google_project.this.number
  labels          = { app = "ai-studio" }
  queue_name      = "generations"      # start tasks (TASKS_QUEUE)
  poll_queue_name = "generation-polls" # polls and broadcast batches (TASKS_POLL_QUEUE)

  # Function URLs, and how the dependency cycle is avoided.
  #
  # WORKER_URL and CALLBACK_URL are required settings (WORKER_URL of every function: the OIDC check
  # compares with it; CALLBACK_URL of the functions granted the "callback" section), and the worker
  # enqueues its own poll tasks, so it needs its own URL; every function gets both. Taking them from
  # google_cloudfunctions2_function.x.service_config[0].uri would make each function depend on
  # itself (worker -> WORKER_URL -> worker) or on the others in a loop. A 2nd gen function runs as a
  # Cloud Run service with the function's name, and Cloud Run gives every service a deterministic URL
  # https://<service>-<project number>.<region>.run.app that is known before the service exists
  # (valid while "<service>-<project number>" fits a 63-character DNS label: checked by a
  # precondition in functions.tf). So the environment uses these computed URLs and nothing in it
  # refers back to a function resource. Where no cycle can arise (scheduler jobs, invoker bindings,
  # outputs) the resources' own attributes are used.
  function_urls = {
    for name in keys(local.functions) : name => "https://${name}-${local.project_number}.${var.region}.run.app"
  }
  webhook_url  = local.function_urls["telegram-webhook"]
  worker_url   = local.function_urls["generation-worker"]
  callback_url = local.function_urls["kie-callback"]
}
