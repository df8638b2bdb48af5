terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    github = {
      source = "integrations/github"
      # allowed_merge_methods in a ruleset's pull_request rule needs 6.6.
      version = "~> 6.6"
    }
  }

  # State beside the registry stack's: init with
  # -backend-config=../../backends/registry.s3.tfbackend -backend-config=key=github/terraform.tfstate
  backend "s3" {}
}

provider "github" {
  owner = local.owner
}
