# Terraform, providers and the project this configuration deploys into.
terraform {
  required_version = ">= 1.5"

  # Each provider pinned to one version: every plan and apply uses the provider this configuration was
  # written and checked against. Upgrade deliberately (change the version, terraform init -upgrade, plan).
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.50.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.7.1"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.13.1" # time_sleep: IAM grants settle before the builds (iam.tf)
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
