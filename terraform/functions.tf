# The seven HTTP Cloud Functions (2nd gen, Python 3.11), all built from one zip of the files they run; entry
# points are the targets main.py exports. What each function is and may read comes from
# functions/manifest.json (the code and the local stack read the same file); this file adds how big it runs.

locals {
  manifest = jsondecode(file("${path.module}/../functions/manifest.json"))

  # Sizing, in short (each function below says why):
  # - concurrency: the handlers are I/O-bound (Firestore, Telegram, KIE) and run as coroutines on one
  #   asyncio loop per instance (shared/runtime.py), so one instance serves many requests; gunicorn
  #   gets as many threads as the concurrency (THREADS). Concurrency > 1 needs a whole vCPU.
  # - memory: media inputs (Telegram files up to 20 MB) and results (re-uploaded to Telegram when
  #   Telegram cannot fetch the URL itself) pass through memory, several at a time: 1 GiB where that
  #   happens, 512 MiB for the scheduled jobs.
  # - timeouts: a little above the code's own limits (runtime.run timeouts in functions/*.py).
  sizing = {
    "telegram-webhook" = {
      memory      = "1Gi"
      cpu         = "1"
      timeout     = 60 # the handler stops itself at 50 s (runtime.run timeout)
      concurrency = 20
      # One warm instance by default: a cold start (imports, catalog and price validation) adds a few
      # seconds to the reply a user waits for after a quiet period. It costs an idle instance around
      # the clock, roughly 10-15 USD a month for 1 vCPU / 1 GiB at list price; 0 for staging.
      min = var.webhook_min_instances
      max = var.webhook_max_instances
    }
    "kie-callback" = {
      memory      = "1Gi" # delivery may download a result and upload it to Telegram
      cpu         = "1"
      timeout     = 60 # the handler stops itself at 50 s
      concurrency = 20
      min         = 0 # KIE does not mind a cold start
      max         = var.callback_max_instances
    }
    "generation-worker" = {
      memory = "1Gi"
      cpu    = "1"
      # Covers one task's KIE calls (createTask with its bounded retries, recordInfo) and a result upload
      # to Telegram, not a whole generation (polls are separate tasks). The code gives up at 100 s and
      # Cloud Tasks at the 120 s dispatch deadline (shared/clients/tasks.py); 300 s is headroom.
      timeout     = 300
      concurrency = 10 # heavier requests than the webhook; the two queues send at most 40 at once
      min         = 0  # background work: a cold start only delays it a little
      max         = var.worker_max_instances
    }
    "free-tier-refresh" = {
      memory      = "512Mi"
      cpu         = "1"
      timeout     = 120 # the code stops at 50 s
      concurrency = 1   # one run at a time; a run that overlaps gets 429 and Scheduler retries
      min         = 0
      max         = 1
    }
    "reconciliation-sweep" = {
      memory      = "512Mi"
      cpu         = "1"
      timeout     = 360 # the code stops at 300 s
      concurrency = 1   # never two sweeps on one instance; max 1 instance: never two at once
      min         = 0
      max         = 1
    }
    "housekeeping" = {
      memory      = "512Mi"
      cpu         = "1"
      timeout     = 360 # the code stops at 300 s
      concurrency = 1
      min         = 0
      max         = 1
    }
    "catalog-sync" = {
      memory      = "512Mi"
      cpu         = "1"
      timeout     = 600 # the code stops at 540 s; about 1 s per model against the provider's 1 request/s limit
      concurrency = 1
      min         = 0
      max         = 1
    }
  }

  # Each function: its manifest entry and sizing, and the secrets of the settings sections it is granted.
  # Those, and only those, are mounted from Secret Manager and readable by its service account (iam.tf);
  # the code validates exactly these sections at start (shared/config.py), so nothing needs a placeholder.
  # - invoker: "public" = allUsers (callers prove themselves in the request: secret header, HMAC);
  #   "tasks" = only the tasks-invoker service account (Cloud Tasks OIDC); "scheduler" = only the
  #   scheduler service account (Cloud Scheduler OIDC). Non-public functions also take internal
  #   ingress only (Cloud Tasks and Cloud Scheduler of this project count as internal).
  # - enqueues: the queues (tasks.tf) it creates tasks on.
  functions = {
    for name, f in local.manifest.functions : name => merge(local.sizing[name], {
      entry_point = f.target
      description = f.description
      invoker     = f.invoker
      enqueues    = f.enqueues
      secrets     = sort(distinct(flatten([for section in f.sections : local.manifest.sections[section].secrets])))
    })
  }

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
    SUPPORT_CONTACT     = var.support_contact == "" ? null : var.support_contact
    SUPPORT_CHAT_ID     = var.support_chat_id == null ? null : format("%d", var.support_chat_id)
  }

  common_env = merge(
    { for name, value in local.optional_settings : name => value if value != null },
    var.extra_settings,
    {
      GCP_PROJECT           = var.project_id
      TASKS_QUEUE           = local.queue_name
      TASKS_POLL_QUEUE      = local.poll_queue_name
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
    )
  }
}

# --- Source ---------------------------------------------------------------------------------------
# Only what the functions run: main.py, requirements.txt, functions/ (with the manifest) and shared/'s code
# and data. Caches, .env files, tests and the local stack neither ship nor change the hash. The object is
# named by that hash, so a code change uploads a new object and rebuilds every function; an unchanged
# tree changes nothing. (A new kind of file under shared/ needs its pattern here: tests/test_terraform.py
# fails until every tracked file there is covered.)
locals {
  source_root = "${path.module}/.."
  source_files = sort(setunion(
    ["main.py", "requirements.txt"],
    fileset(local.source_root, "functions/**/*.{py,json}"),
    fileset(local.source_root, "shared/**/*.{py,json,txt}"),
  ))
}

data "archive_file" "source" {
  type             = "zip"
  output_path      = "${path.module}/.terraform/ai-studio-source.zip"
  output_file_mode = "0644"

  dynamic "source" {
    for_each = local.source_files
    content {
      filename = source.value
      content  = file("${local.source_root}/${source.value}")
    }
  }
}

resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Build inputs only (zips of this repository's code, no user data): access logs would record nothing worth keeping
  #checkov:skip=CKV_GCP_78:Objects are named by their content hash and never overwritten: versions would only duplicate them
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

# --- Images ---------------------------------------------------------------------------------------
# The builds push each function's image (and its build cache) here rather than to the default
# gcf-artifacts repository, so the build account may write to this repository only (iam.tf) and old
# images are cleaned up: every build adds one image per function. KEEP wins over DELETE, so the newest
# versions of each image stay (the serving revision's among them, and a few to roll back to).
resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Images of this repository's code, no secrets or user data: Google-managed encryption is enough, a customer key would add a KMS key ring to run
  project       = var.project_id
  location      = var.region # the functions' region
  repository_id = "ai-studio-functions"
  format        = "DOCKER"
  description   = "Images of the AI Studio functions (Cloud Functions builds)"
  labels        = local.labels

  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }
  cleanup_policies {
    id     = "delete-older"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s" # 30 days
    }
  }

  depends_on = [google_project_service.apis]
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
    runtime           = "python311"
    entry_point       = each.value.entry_point
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

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
    # Polls must never take the slots start tasks need: the worker serves both queues at once.
    precondition {
      condition     = each.key != "generation-worker" || each.value.max * each.value.concurrency >= local.queue_concurrency
      error_message = "worker_max_instances x 10 must cover both queues' max_concurrent_dispatches (tasks.tf)."
    }
  }

  # The grants (build account, runtime secrets) reach every service before the builds and the first
  # revisions start (iam.tf time_sleep.iam_settles).
  depends_on = [google_project_service.apis, time_sleep.iam_settles]
}
