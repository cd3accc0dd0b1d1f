# The Firestore database (Native mode), TTL policies and the composite indexes the queries need.
# docs/firestore.md describes the documents; shared/storage/ holds every query.

resource "google_firestore_database" "main" {
  project     = var.project_id
  name        = "(default)" # the functions' Firestore client uses the default database
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"

  # The money lives here (balances, ledger): `terraform destroy` leaves the database alone and the
  # API refuses to delete it while protection is on. See README "Tearing down".
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  # A bad write or a bad deploy can be undone: any moment of the last 7 days can be read back (and
  # exported or cloned), and a daily backup (below) keeps a restorable copy for 7 days more.
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"

  depends_on = [google_project_service.apis]
}

# A daily backup of the whole database (restored with `gcloud firestore databases restore` into a new
# database). 7 days is the longest a daily schedule keeps its backups.
resource "google_firestore_backup_schedule" "daily" {
  project   = var.project_id
  database  = google_firestore_database.main.name
  retention = "604800s" # 7 days

  daily_recurrence {}
}

# --- TTL policies -------------------------------------------------------------------------------
# Firestore deletes a document some time (typically within a day) after its `expire_at` passes.
# The single-field indexes on expire_at are kept (no index_config block): housekeeping queries
# `expire_at < now` on the same three collections (shared/storage/admin.py delete_expired).

resource "google_firestore_field" "processed_updates_ttl" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "processed_updates" # Telegram update ids already handled: 2 days
  field      = "expire_at"

  ttl_config {}
}

resource "google_firestore_field" "free_usage_ttl" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "free_usage" # free uses per Moscow day: 3 days
  field      = "expire_at"

  ttl_config {}
}

resource "google_firestore_field" "jobs_ttl" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "jobs" # only drafts carry expire_at (7 days); confirmation sets it to null
  field      = "expire_at"

  ttl_config {}
}

# --- Composite indexes --------------------------------------------------------------------------
# An index serves one sort direction, so the cursor pages (shared/storage/base.py `page`) need
# both: newest first (DESC; first page and "older") and oldest first after a cursor (ASC; "newer").

# /balance and its operation pages: ledger where user_id == X order by created_at desc
resource "google_firestore_index" "ledger_user_created_desc" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "ledger"

  fields {
    field_path = "user_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# ledger pages newer than a cursor: order by created_at asc, start_after
resource "google_firestore_index" "ledger_user_created_asc" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "ledger"

  fields {
    field_path = "user_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "ASCENDING"
  }
}

# /history: jobs where user_id == X and state in [...] order by created_at desc
resource "google_firestore_index" "jobs_user_state_created_desc" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "jobs"

  fields {
    field_path = "user_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# history pages newer than a cursor
resource "google_firestore_index" "jobs_user_state_created_asc" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "jobs"

  fields {
    field_path = "user_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "ASCENDING"
  }
}

# Admin panel, a user's card: jobs where user_id == X order by created_at desc (shared/storage/jobs.py
# `recent_of`: a page without states)
resource "google_firestore_index" "jobs_user_created_desc" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "jobs"

  fields {
    field_path = "user_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# Admin panel, failures: generation_events where status in [failed, timeout] (and a created_at
# range) order by created_at desc (shared/storage/admin.py `failures`)
resource "google_firestore_index" "events_status_created_desc" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "generation_events"

  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# Reconciliation sweep: jobs where unsettled == true and updated_at < T order by updated_at
# (shared/storage/admin.py `unsettled_jobs`). Only jobs that still need something carry unsettled = true,
# so settled ones never crowd out fresh ones.
resource "google_firestore_index" "jobs_unsettled_updated_asc" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "jobs"

  fields {
    field_path = "unsettled"
    order      = "ASCENDING"
  }
  fields {
    field_path = "updated_at"
    order      = "ASCENDING"
  }
}

# Housekeeping hands jobs written before `unsettled` existed to the sweep (shared/storage/admin.py
# `adopt_legacy_jobs`): jobs where state in [confirmed, queued, running] and updated_at < T order by updated_at
resource "google_firestore_index" "jobs_state_updated_asc" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "jobs"

  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "updated_at"
    order      = "ASCENDING"
  }
}

# ...and results not delivered yet: state == succeeded and delivered_at == null and updated_at < T
# order by updated_at (the same `adopt_legacy_jobs`)
resource "google_firestore_index" "jobs_state_delivered_updated_asc" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "jobs"

  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "delivered_at"
    order      = "ASCENDING"
  }
  fields {
    field_path = "updated_at"
    order      = "ASCENDING"
  }
}
