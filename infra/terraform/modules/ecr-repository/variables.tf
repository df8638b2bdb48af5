variable "name" {
  description = "Repository name (sagemaker.image_repository); images are tagged with the commit they were built from."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name))
    error_message = "name must be a valid ECR repository name; fix sagemaker.image_repository."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed key the images are encrypted with."
  type        = string
}

variable "untagged_image_expiry_days" {
  description = "Days after which untagged images expire."
  type        = number
  default     = 7
}

variable "max_image_count" {
  description = "Number of newest images kept; older ones expire (a registered model names its image by commit, so keep enough for every approved version)."
  type        = number
  default     = 200

  validation {
    condition     = var.max_image_count >= 10
    error_message = "max_image_count must be at least 10 so approved versions keep their images."
  }
}
