# The Cloud Tasks queue feeding generation_worker (shared/clients/tasks.py). Tasks are named from the
# job id (`<job>-start`, `<job>-poll-<n>`), so a duplicate enqueue is refused, and each carries an
# OIDC token of the tasks-invoker service account with audience = WORKER_URL.
resource "google_cloud_tasks_queue" "generations" {
  project  = var.project_id
  name     = local.queue_name
  location = var.region # = TASKS_LOCATION

  rate_limits {
    # KIE.ai accepts about 20 new tasks per 10 s per account: 2 dispatches a second keeps createTask
    # under it even in a burst (polls and admin broadcast batches share the budget, which only
    # makes it safer). 20 in flight at most: each start/poll holds a worker request for a few seconds
    # (createTask with its bounded retries, recordInfo, a result upload to Telegram).
    max_dispatches_per_second = 2
    max_concurrent_dispatches = 20
  }

  retry_config {
    # The worker answers 2xx when a task is done (including "nothing to do": duplicates, malformed
    # tasks, terminal jobs) and 503 only when it must be tried again later - typically another
    # delivery of the same start task still holds the job's 90 s submit lease - or 5xx on a crash.
    # Every step is idempotent (ledger keys, job state transitions in transactions), so retries are
    # safe. Backoff 10, 20, 40, 80, 160, 300 s: attempt 7 comes ~10 min after the first, which is
    # when the reconciliation sweep (every 5 min) takes over: it re-enqueues a start that is still
    # young, fails a job that never started after 10 min (NEVER_STARTED; nothing was charged) and
    # finishes or refunds a running one. Retrying longer would only race the sweep.
    max_attempts       = 7
    max_retry_duration = "600s"
    min_backoff        = "10s"
    max_backoff        = "300s"
    max_doublings      = 4
  }

  stackdriver_logging_config {
    sampling_ratio = var.tasks_log_sampling_ratio
  }

  depends_on = [google_project_service.apis]
}
