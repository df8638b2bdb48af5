# Every value this stack takes from the environment files is read here, and only here; the rest of the
# stack uses these locals. tests/infra checks each key read below against configs/schema.json.
locals {
  repository_root = abspath("${path.module}/../../../..")
  config_dir      = coalesce(var.config_dir, "${local.repository_root}/configs")
  env             = yamldecode(file("${local.config_dir}/${var.environment}/environment.yaml"))
  others          = [for path in fileset(local.config_dir, "*/environment.yaml") : yamldecode(file("${local.config_dir}/${path}"))]

  project            = local.env.project
  name_prefix        = "${local.env.project}-${local.env.name}"
  account_id         = local.env.aws.account_id
  region             = local.env.aws.region
  artifact_bucket    = local.env.aws.artifact_bucket
  kms_key_alias_arn  = local.env.aws.kms_key_arn
  partition          = split(":", local.env.aws.kms_key_arn)[1]
  github_repository  = local.env.ci.github_repository
  plan_role_arn      = local.env.ci.plan_role_arn
  deploy_role_arn    = local.env.ci.deploy_role_arn
  execution_role_arn = local.env.sagemaker.execution_role_arn
  image_repository   = local.env.sagemaker.image_repository
  resolve_function   = local.env.sagemaker.resolve_function_name
  topic_name         = local.env.notifications.topic_name
  alert_emails       = local.env.notifications.emails
  schedule           = local.env.schedule.inference
  schedule_enabled   = local.env.schedule.enabled
  retrain            = local.env.reactions.retrain_on_violation
  promotes_from      = local.env.governance.require_prior_approval_in

  # `--data part1` names on SageMaker (ml/config: sagemaker.data); other retrain entries are S3 URIs already.
  data_uris = {
    part1 = local.env.sagemaker.data.train_part1
    part2 = local.env.sagemaker.data.train_part2
  }
  retrain_training_data = join(",", [for part in local.env.reactions.retrain_data : lookup(local.data_uris, part, part)])

  model_package_group_arn = "arn:${local.partition}:sagemaker:${local.env.registry.region}:${local.env.registry.account_id}:model-package-group/${local.env.registry.model_package_group}"
  # `mlops registry sync` queues for this group's lock with ticket packages (ml/registry/sagemaker_lock.py).
  sync_lock_group_arn = "${local.model_package_group_arn}-sync-lock"
  registry_env        = one([for other in local.others : other if other.kind == "registry" && try(other.aws.account_id, "") == local.env.registry.account_id])

  # AWS workloads this one promotes from (it reads their approved artifacts) and that promote from it.
  aws_workloads = [for other in local.others : other if other.kind == "workload" && other.backend == "sagemaker"]
  promotion_sources = [for other in local.aws_workloads : {
    environment   = other.name
    bucket_arn    = "arn:${local.partition}:s3:::${other.aws.artifact_bucket}"
    key_alias_arn = other.aws.kms_key_arn
  } if contains(local.promotes_from, other.name)]
  promotion_consumers      = [for other in local.aws_workloads : other if contains(try(other.governance.require_prior_approval_in, []), local.env.name)]
  promotion_consumer_roles = [for other in local.promotion_consumers : other.sagemaker.execution_role_arn]
  # Their CI roles read the scores and statistics of versions trained here (`mlops compare|approve`).
  promotion_consumer_ci_roles = concat(
    [for other in local.promotion_consumers : other.ci.plan_role_arn],
    [for other in local.promotion_consumers : other.ci.deploy_role_arn],
  )

  state_bucket = "${local.name_prefix}-tfstate-${local.account_id}"
  state_key    = "${local.project}/${local.env.name}/terraform.tfstate"

  tags = {
    project     = local.project
    environment = local.env.name
    managed-by  = "terraform"
    repository  = local.github_repository
  }
}

# Refuse a file this stack cannot build before anything is created.
resource "terraform_data" "config_guard" {
  input = local.name_prefix

  lifecycle {
    precondition {
      condition     = local.registry_env != null
      error_message = "No configs/*/environment.yaml of kind registry has aws.account_id ${local.env.registry.account_id} (registry.account_id of ${var.environment})."
    }
    precondition {
      condition     = alltrue([for name in [local.artifact_bucket, local.image_repository, local.resolve_function, local.topic_name] : startswith(name, "${local.name_prefix}-")])
      error_message = "Every name in configs/${var.environment}/environment.yaml must start with ${local.name_prefix}- so the CI roles' policies cover it."
    }
  }
}
