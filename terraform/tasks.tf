# The Cloud Tasks queues feeding generation_worker (shared/clients/tasks.py routes by task kind). Tasks are
# named from the job id (`<job>-start`, `<job>-poll-<n>`), so a duplicate enqueue is refused, and each
# carries an OIDC token of the tasks-invoker service account with audience = WORKER_URL.
#
# Two queues, so neither kind can starve the other: a backlog of polls (every running generation has one
# every few minutes) never delays a user's start, and a burst of starts never delays a poll. The worker
# serves both at once: its instances x concurrency cover both queues' max_concurrent_dispatches (checked by
# a precondition in functions.tf).
locals {
  queues = {
    starts = google_cloud_tasks_queue.generations
    polls  = google_cloud_tasks_queue.polls
  }
  queue_concurrency = sum([for queue in values(local.queues) : queue.rate_limits[0].max_concurrent_dispatches])
}

# Start tasks: charge, then createTask at KIE. KIE.ai accepts 20 new tasks per 10 s per account and rejects
# (not queues) the rest, so starts are dispatched at 1 a second: 10 per 10 s, half the budget, leaving the
# other half for createTask's own bounded retries (1 s and 3 s after a 429/5xx) and the admin smoke test.
# 10 in flight: a start holds a worker request for a few seconds (the charge transaction, createTask).
resource "google_cloud_tasks_queue" "generations" {
  project  = var.project_id
  name     = local.queue_name
  location = var.region # = TASKS_LOCATION

  rate_limits {
    max_dispatches_per_second = 1
    max_concurrent_dispatches = 10
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

# Polls (recordInfo, and the delivery of a finished result) and admin broadcast batches. KIE allows 10
# recordInfo a second per key, shared with kie-callback and the sweep: 5 a second leaves them room. 30 in
# flight: a poll that delivers a video holds its worker request while the file is uploaded to Telegram,
# and a broadcast batch holds one for ~40 s.
resource "google_cloud_tasks_queue" "polls" {
  project  = var.project_id
  name     = local.poll_queue_name
  location = var.region

  rate_limits {
    max_dispatches_per_second = 5
    max_concurrent_dispatches = 30
  }

  retry_config {
    # A poll answers 2xx whatever KIE said (the next poll is its own task); a broadcast batch answers 503
    # while another delivery holds its lease. Retries cover crashes and those leases; the sweep is the
    # backstop for anything left.
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
