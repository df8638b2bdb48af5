locals {
  package_arn_pattern = "${replace(aws_sagemaker_model_package_group.this.arn, ":model-package-group/", ":model-package/")}/*"
  # Principals are named by account root plus aws:PrincipalArn, so the policy can be put before the dev
  # and prod roles exist (registry is applied first) and survives their re-creation.
  access = {
    Register = { roles = var.register_role_arns, actions = ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"] }
    Approve  = { roles = var.approve_role_arns, actions = ["sagemaker:UpdateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"] }
    Read     = { roles = var.read_role_arns, actions = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"] }
  }
  accounts = { for name, grant in local.access : name => distinct([for arn in grant.roles : regex("^arn:([^:]+):iam::(\\d{12}):", arn)]) }
}

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.group_name
  model_package_group_description = var.description
}

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = { for name, grant in local.access : name => grant if length(grant.roles) > 0 }

    content {
      sid       = statement.key
      effect    = "Allow"
      actions   = statement.value.actions
      resources = [aws_sagemaker_model_package_group.this.arn, local.package_arn_pattern]

      principals {
        type        = "AWS"
        identifiers = [for parts in local.accounts[statement.key] : "arn:${parts[0]}:iam::${parts[1]}:root"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = statement.value.roles
      }
    }
  }
}

resource "aws_sagemaker_model_package_group_policy" "this" {
  model_package_group_name = aws_sagemaker_model_package_group.this.model_package_group_name
  resource_policy          = data.aws_iam_policy_document.this.json
}
