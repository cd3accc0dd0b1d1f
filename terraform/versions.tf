# Terraform, providers and the project this configuration deploys into.
terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0" # secret replication `auto {}`, build_config.service_account
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.7" # glob patterns (**) in archive_file excludes
    }
  }

  # State is local (terraform/terraform.tfstate, git-ignored) by default. For a team, keep it in a GCS
  # bucket instead: create the bucket once, then uncomment and `terraform init -migrate-state`.
  # backend "gcs" {
  #   bucket = "<project-id>-tfstate"
  #   prefix = "ai-studio"
  # }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
