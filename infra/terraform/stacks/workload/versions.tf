terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Settings per environment: -backend-config=../../backends/<env>.s3.tfbackend (infra/terraform/README.md).
  backend "s3" {}
}

provider "aws" {
  region              = local.region
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = local.tags
  }
}
