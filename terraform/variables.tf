# Inputs. Only project_id is required; terraform.tfvars.example shows a typical production file.

# --- Where ----------------------------------------------------------------------------------------
variable "project_id" {
  description = "GCP project id to deploy into (a new project with billing enabled)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the functions, their image repository, the Cloud Tasks queues (TASKS_LOCATION) and the scheduler jobs."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a GCP region such as europe-west1."
  }
}

variable "firestore_location" {
  description = "Firestore location (a region such as europe-west1, or a multi-region such as eur3). Null: the same as region. Cannot be changed once the database exists."
  type        = string
  default     = null

  validation {
    condition     = can(regex("^([a-z]+-[a-z]+[0-9]+|nam[0-9]+|eur[0-9]+)$", coalesce(var.firestore_location, "eur3")))
    error_message = "firestore_location must be a region (europe-west1) or a multi-region (eur3, nam5)."
  }
}

variable "scheduler_time_zone" {
  description = "Time zone of the scheduler jobs' cron expressions (the bot's days are Moscow days)."
  type        = string
  default     = "Europe/Moscow"

  validation {
    condition     = can(regex("^[A-Za-z_]+(/[A-Za-z_+-]+)*$", var.scheduler_time_zone))
    error_message = "scheduler_time_zone must be a tz database name such as Europe/Moscow or UTC."
  }
}

# --- Capacity -------------------------------------------------------------------------------------
variable "webhook_min_instances" {
  description = "Warm instances of telegram-webhook. 1 (default) spares users a cold start after quiet periods, at the price of one idle instance around the clock (about 10-15 USD/month); 0 for staging."
  type        = number
  default     = 1

  validation {
    condition     = var.webhook_min_instances >= 0 && var.webhook_min_instances <= 5 && floor(var.webhook_min_instances) == var.webhook_min_instances
    error_message = "webhook_min_instances must be a whole number from 0 to 5."
  }
}

variable "webhook_max_instances" {
  description = "Upper bound of telegram-webhook instances (x20 concurrent updates each): a ceiling for cost and for Firestore contention."
  type        = number
  default     = 10

  validation {
    condition     = var.webhook_max_instances >= 1 && var.webhook_max_instances <= 100 && floor(var.webhook_max_instances) == var.webhook_max_instances
    error_message = "webhook_max_instances must be a whole number from 1 to 100."
  }
}

variable "callback_max_instances" {
  description = "Upper bound of kie-callback instances (x20 concurrent callbacks each)."
  type        = number
  default     = 5

  validation {
    condition     = var.callback_max_instances >= 1 && var.callback_max_instances <= 100 && floor(var.callback_max_instances) == var.callback_max_instances
    error_message = "callback_max_instances must be a whole number from 1 to 100."
  }
}

variable "worker_max_instances" {
  description = "Upper bound of generation-worker instances (x10 concurrent tasks each). The two queues dispatch at most 40 at once, so at least 4 (checked); the default leaves a spare."
  type        = number
  default     = 5

  validation {
    condition     = var.worker_max_instances >= 1 && var.worker_max_instances <= 100 && floor(var.worker_max_instances) == var.worker_max_instances
    error_message = "worker_max_instances must be a whole number from 1 to 100."
  }
}

variable "tasks_log_sampling_ratio" {
  description = "Share of Cloud Tasks dispatches logged (0-1). Every attempt is logged by default; lower it if the volume grows."
  type        = number
  default     = 1.0

  validation {
    condition     = var.tasks_log_sampling_ratio >= 0 && var.tasks_log_sampling_ratio <= 1
    error_message = "tasks_log_sampling_ratio must be between 0 and 1."
  }
}

# --- Bot settings (README "Configuration"); null or empty = the code's default ---------------------
variable "admin_ids" {
  description = "Telegram user ids of the admins (ADMIN_IDS)."
  type        = list(number)
  default     = []

  validation {
    condition     = alltrue([for id in var.admin_ids : id > 0 && floor(id) == id])
    error_message = "admin_ids must be positive whole numbers (Telegram user ids)."
  }
}

variable "support_contact" {
  description = "Where users reach support, shown in /help, /paysupport, failures and the ban notice: a @username or a link (SUPPORT_CONTACT). Empty: none shown."
  type        = string
  default     = ""
}

variable "support_chat_id" {
  description = "The chat users' support messages are forwarded to (SUPPORT_CHAT_ID). Null: each admin in admin_ids."
  type        = number
  default     = null
}

variable "fx_rate" {
  description = "RUB per USD (FX_RATE). Null: the code's default (95)."
  type        = number
  default     = null

  validation {
    condition     = coalesce(var.fx_rate, 1) > 0
    error_message = "fx_rate must be greater than 0."
  }
}

variable "pricing_markup" {
  description = "Price = USD x FX_RATE x PRICING_MARKUP (PRICING_MARKUP). Null: the code's default (2.0)."
  type        = number
  default     = null

  validation {
    condition     = coalesce(var.pricing_markup, 1) >= 1
    error_message = "pricing_markup must be at least 1 (below 1 the bot sells at a loss)."
  }
}

variable "start_bonus_rub" {
  description = "RUB granted once to every new user (START_BONUS_RUB). Null: the code's default (0)."
  type        = number
  default     = null

  validation {
    condition     = coalesce(var.start_bonus_rub, 0) >= 0
    error_message = "start_bonus_rub must not be negative."
  }
}

variable "free_daily_limit" {
  description = "Free runs per free model per user per Moscow day (FREE_DAILY_LIMIT). Null: the code's default (5)."
  type        = number
  default     = null

  validation {
    condition     = coalesce(var.free_daily_limit, 0) >= 0 && floor(coalesce(var.free_daily_limit, 0)) == coalesce(var.free_daily_limit, 0)
    error_message = "free_daily_limit must be a whole number, 0 or more."
  }
}

variable "free_tier_model_ids" {
  description = "Emergency override of the free tier (FREE_TIER_MODEL_IDS): exactly 5 model ids, or empty for the computed tier."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.free_tier_model_ids) == 0 || length(var.free_tier_model_ids) == 5
    error_message = "free_tier_model_ids must list exactly 5 model ids, or none."
  }
}

variable "stars_per_100_rub" {
  description = "Telegram Stars charged per 100 RUB of top-up (STARS_PER_100_RUB). Null: the code's default (70)."
  type        = number
  default     = null

  validation {
    condition     = coalesce(var.stars_per_100_rub, 1) > 0
    error_message = "stars_per_100_rub must be greater than 0."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of every function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "extra_settings" {
  description = "Any other non-secret setting from README's Configuration table, as NAME = \"value\" (e.g. TOPUP_PACKS_RUB, REFERRAL_PERCENT, PAYSUPPORT_TEXT). Secrets and the settings Terraform manages are refused."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.extra_settings) : can(regex("^[A-Z][A-Z0-9_]*$", name))])
    error_message = "extra_settings names must be environment variable names in upper case (FOO_BAR)."
  }

  validation {
    condition = length(setintersection(keys(var.extra_settings), [
      "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY",
      "GCP_PROJECT", "TASKS_QUEUE", "TASKS_POLL_QUEUE", "TASKS_LOCATION", "TASKS_SERVICE_ACCOUNT", "TASKS_EMULATOR_HOST",
      "FIRESTORE_EMULATOR_HOST", "WORKER_URL", "CALLBACK_URL", "EXPECTED_INVOKERS", "LOG_LEVEL", "THREADS",
      "SECRETS_ROTATION", "ADMIN_IDS", "FX_RATE", "PRICING_MARKUP", "START_BONUS_RUB", "FREE_DAILY_LIMIT",
      "FREE_TIER_MODEL_IDS", "STARS_PER_100_RUB", "SUPPORT_CONTACT", "SUPPORT_CHAT_ID",
    ])) == 0
    error_message = "extra_settings must not set secrets (Secret Manager), settings Terraform derives, or settings that have their own variable."
  }
}

variable "secrets_rotation" {
  description = "Change it (e.g. to a date) after adding a new secret version: the functions roll out a new revision that reads the latest versions."
  type        = string
  default     = "1"

  validation {
    condition     = length(var.secrets_rotation) > 0
    error_message = "secrets_rotation must not be empty."
  }
}
