locals {
  # The alias ARN comes from the environment file (aws.kms_key_arn); account and alias name are read from it,
  # so the key lands where the file says and `mlops config get aws.kms_key_arn` names exactly this alias.
  alias_parts = regex("^arn:([^:]+):kms:([^:]+):(\\d{12}):(alias/.+)$", var.alias_arn)
  partition   = local.alias_parts[0]
  account_id  = local.alias_parts[2]
  alias_name  = local.alias_parts[3]
}

# The account root may administer and use the key through IAM policies of this account only; every other
# principal (services, other accounts) is named by the caller's statements.
data "aws_iam_policy_document" "this" {
  # checkov:skip=CKV_AWS_109:This is a key policy: its "*" resource is this key alone, and only the account root (IAM of this account) may manage it.
  # checkov:skip=CKV_AWS_111:This is a key policy: its "*" resource is this key alone; writes are limited to principals of this account through IAM.
  # checkov:skip=CKV_AWS_356:This is a key policy, where "*" can only mean the key the policy is attached to.
  source_policy_documents = var.policy_documents

  statement {
    sid    = "AccountAdministersThroughIAM"
    effect = "Allow"
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListGrants",
      "kms:ListKeyRotations",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "kms:RetireGrant",
      "kms:RevokeGrant",
      "kms:RotateKeyOnDemand",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    # In a key policy "*" is this key.
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_days
  deletion_window_in_days = var.deletion_window_days
  policy                  = data.aws_iam_policy_document.this.json
}

resource "aws_kms_alias" "this" {
  name          = local.alias_name
  target_key_id = aws_kms_key.this.key_id

  lifecycle {
    postcondition {
      condition     = self.arn == var.alias_arn
      error_message = "The alias ARN is ${self.arn}, but the environment file says ${var.alias_arn}: run this stack with credentials of the account and region in aws.kms_key_arn."
    }
  }
}
