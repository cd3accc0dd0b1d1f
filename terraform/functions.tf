# The six HTTP Cloud Functions (2nd gen, Python 3.11), all built from one zip of the repository root
# with requirements.txt; entry points are the targets main.py exports.

locals {
  # Sizing, in short (each function below says why):
  # - concurrency: the handlers are I/O-bound (Firestore, Telegram, KIE) and run as coroutines on one
  #   asyncio loop per instance (shared/runtime.py), so one instance serves many requests; gunicorn
  #   gets as many threads as the concurrency (THREADS). Concurrency > 1 needs a whole vCPU.
  # - memory: media inputs (Telegram files up to 20 MB) and results (re-uploaded to Telegram when
  #   Telegram cannot fetch the URL itself) pass through memory, several at a time: 1 GiB where that
  #   happens, 512 MiB for the scheduled jobs.
  # - timeouts: a little above the code's own limits (runtime.run timeouts in functions/*.py).
  # - invoker: "public" = allUsers (callers prove themselves in the request: secret header, HMAC);
  #   "tasks" = only the tasks-invoker service account (Cloud Tasks OIDC); "scheduler" = only the
  #   scheduler service account (Cloud Scheduler OIDC). Non-public functions also take internal
  #   ingress only (Cloud Tasks and Cloud Scheduler of this project count as internal).
  # - secrets: what the function's code reads (see also local.required_secrets below).
  functions = {
    "telegram-webhook" = {
      entry_point = "telegram_webhook"
      description = "Telegram updates (secret header) and GET health check"
      invoker     = "public"
      memory      = "1Gi"
      cpu         = "1"
      timeout     = 60 # the handler stops itself at 50 s (runtime.run timeout)
      concurrency = 20
      # One warm instance by default: a cold start (imports, catalog and price validation) adds a few
      # seconds to the reply a user waits for after a quiet period. It costs an idle instance around
      # the clock, roughly 10-15 USD a month for 1 vCPU / 1 GiB at list price; 0 for staging.
      min         = var.webhook_min_instances
      max         = var.webhook_max_instances
      enqueues    = true # confirmation enqueues the start task
      secrets     = ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "KIE_API_KEY"] # KIE: media uploads
    }
    "kie-callback" = {
      entry_point = "kie_callback"
      description = "KIE.ai task callbacks (HMAC-signed): deliver or refund once"
      invoker     = "public"
      memory      = "1Gi" # delivery may download a result and upload it to Telegram
      cpu         = "1"
      timeout     = 60 # the handler stops itself at 50 s
      concurrency = 20
      min         = 0 # KIE does not mind a cold start
      max         = var.callback_max_instances
      enqueues    = false
      # recordInfo (the outcome is read back from KIE), the HMAC key (callbacks and our `?job=` signature)
      secrets     = ["TELEGRAM_BOT_TOKEN", "KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY"]
    }
    "generation-worker" = {
      entry_point = "generation_worker"
      description = "Cloud Tasks target: charge, createTask, poll, deliver (2xx done, 503 retry later)"
      invoker     = "tasks"
      memory      = "1Gi"
      cpu         = "1"
      # Covers one task's KIE calls (createTask with its bounded retries, recordInfo) and a result upload
      # to Telegram, not a whole generation (polls are separate tasks). The code gives up at 100 s and
      # Cloud Tasks at the 120 s dispatch deadline (shared/clients/tasks.py); 300 s is headroom.
      timeout     = 300
      concurrency = 10 # heavier requests than the webhook; the queue sends at most 20 at once
      min         = 0  # background work: a cold start only delays it a little
      max         = var.worker_max_instances
      enqueues    = true # poll tasks, admin broadcast batches
      secrets     = ["TELEGRAM_BOT_TOKEN", "KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY"] # HMAC: signs the job in callBackUrl
    }
    "free-tier-refresh" = {
      entry_point = "free_tier_refresh"
      description = "Cloud Scheduler (every 6 h): recompute the free tier"
      invoker     = "scheduler"
      memory      = "512Mi"
      cpu         = "1"
      timeout     = 120 # the code stops at 50 s
      concurrency = 1   # one run at a time; a run that overlaps gets 429 and Scheduler retries
      min         = 0
      max         = 1
      enqueues    = false
      secrets     = [] # Firestore only
    }
    "reconciliation-sweep" = {
      entry_point = "reconciliation_sweep"
      description = "Cloud Scheduler (every 5 min): finish jobs whose callback and polls were lost"
      invoker     = "scheduler"
      memory      = "512Mi"
      cpu         = "1"
      timeout     = 360 # the code stops at 300 s
      concurrency = 1   # never two sweeps on one instance; max 1 instance: never two at once
      min         = 0
      max         = 1
      enqueues    = true # re-enqueues lost start tasks
      secrets     = ["TELEGRAM_BOT_TOKEN", "KIE_API_KEY"] # recordInfo, credits; tells users and admins
    }
    "housekeeping" = {
      entry_point = "housekeeping"
      description = "Cloud Scheduler (daily): delete expired short-lived documents"
      invoker     = "scheduler"
      memory      = "512Mi"
      cpu         = "1"
      timeout     = 360 # the code stops at 300 s
      concurrency = 1
      min         = 0
      max         = 1
      enqueues    = false
      secrets     = [] # Firestore only
    }
  }

  # shared/config.py requires these three in every function (settings are validated at start). A
  # function that never uses one gets this placeholder instead of access to the secret - least
  # privilege. It is not a secret and opens nothing (Telegram and KIE refuse it).
  required_secrets = ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "KIE_API_KEY"]
  unused_secret    = "unused-in-this-function"

  # Who may call each function (EXPECTED_INVOKERS, checked in code by shared/auth.py).
  expected_invokers = {
    public    = ""
    tasks     = google_service_account.tasks_invoker.email
    scheduler = google_service_account.scheduler.email
  }

  # Non-secret settings (README "Configuration"). A null variable is left out: the code's default.
  optional_settings = {
    ADMIN_IDS           = length(var.admin_ids) > 0 ? join(",", [for id in var.admin_ids : format("%d", id)]) : null
    FX_RATE             = var.fx_rate == null ? null : tostring(var.fx_rate)
    PRICING_MARKUP      = var.pricing_markup == null ? null : tostring(var.pricing_markup)
    START_BONUS_RUB     = var.start_bonus_rub == null ? null : tostring(var.start_bonus_rub)
    FREE_DAILY_LIMIT    = var.free_daily_limit == null ? null : tostring(var.free_daily_limit)
    FREE_TIER_MODEL_IDS = length(var.free_tier_model_ids) > 0 ? join(",", var.free_tier_model_ids) : null
    STARS_PER_100_RUB   = var.stars_per_100_rub == null ? null : tostring(var.stars_per_100_rub)
  }

  common_env = merge(
    { for name, value in local.optional_settings : name => value if value != null },
    var.extra_settings,
    {
      GCP_PROJECT           = var.project_id
      TASKS_QUEUE           = local.queue_name
      TASKS_LOCATION        = var.region
      TASKS_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
      WORKER_URL            = local.worker_url
      CALLBACK_URL          = local.callback_url
      LOG_LEVEL             = var.log_level
      # Not a setting: changing it rolls out a new revision, whose instances read the "latest"
      # version of every secret (README "Rotating a secret").
      SECRETS_ROTATION = var.secrets_rotation
    },
  )

  function_env = {
    for name, f in local.functions : name => merge(
      local.common_env,
      {
        THREADS           = tostring(f.concurrency)
        EXPECTED_INVOKERS = local.expected_invokers[f.invoker]
      },
      { for secret in local.required_secrets : secret => local.unused_secret if !contains(f.secrets, secret) },
    )
  }
}

# --- Source ---------------------------------------------------------------------------------------
# The repository root, zipped, without what is not deployed. The object is named by its hash, so a
# code change uploads a new object and rebuilds every function; an unchanged tree changes nothing.
data "archive_file" "source" {
  type             = "zip"
  source_dir       = "${path.module}/.."
  output_path      = "${path.module}/.terraform/ai-studio-source.zip"
  output_file_mode = "0644"
  excludes = [
    ".git", ".git/**",
    ".venv*", ".venv*/**",
    "tests", "tests/**",
    "infra", "infra/**",
    "bench", "bench/**",
    "terraform", "terraform/**",
    ".local", ".local/**",
    ".ci", ".ci/**",
    ".pytest_cache", ".pytest_cache/**",
    "docs", "docs/**",
    "**/__pycache__", "**/__pycache__/**", "**/*.pyc",
  ]
}

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = "${var.project_id}-ai-studio-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # build inputs only
  labels                      = local.labels

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket_object" "source" {
  name   = "source/${data.archive_file.source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}

# --- Functions ------------------------------------------------------------------------------------
resource "google_cloudfunctions2_function" "fn" {
  for_each = local.functions

  project     = var.project_id
  name        = each.key # also the Cloud Run service name (already a valid one: no renaming)
  location    = var.region
  description = each.value.description
  labels      = local.labels

  build_config {
    runtime         = "python311"
    entry_point     = each.value.entry_point
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.fn[each.key].email
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout
    max_instance_request_concurrency = each.value.concurrency
    min_instance_count               = each.value.min
    max_instance_count               = each.value.max
    ingress_settings                 = each.value.invoker == "public" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    environment_variables            = local.function_env[each.key]

    dynamic "secret_environment_variables" {
      for_each = toset(each.value.secrets)
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.app[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  lifecycle {
    precondition {
      condition     = length("${each.key}-${local.project_number}") <= 63
      error_message = "The deterministic Cloud Run URL needs \"<function>-<project number>\" to fit 63 characters."
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.build,
    google_project_iam_member.datastore,
    google_secret_manager_secret_iam_member.access,
  ]
}
