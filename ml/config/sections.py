"""The sections an AWS environment adds to the schema: account, registry, CI roles, pipelines, schedule,
notifications, and the approval rules every workload follows.

Cross-field checks inside one file (a role in the wrong account, a KMS key in another region) live in
`ml/config/kinds.py`; checks across files live in `ml/config/rules.py`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ml.config.base import StrictModel
from ml.config.fields import (
    S3URI,
    AccountId,
    BucketName,
    Email,
    GitHubRepository,
    KMSKeyARN,
    Region,
    RoleARN,
    ScheduleExpression,
    TopicName,
)
from ml.registry import MODEL_GROUP_PATTERN


class AWSConfig(StrictModel):
    """The environment's own account: where its bucket, key and roles live."""

    account_id: AccountId
    region: Region
    artifact_bucket: BucketName = Field(
        description="SSE-KMS bucket for artifacts; <project>-<env>-artifacts-<id>"
    )
    kms_key_arn: KMSKeyARN


class RegistryConfig(StrictModel):
    """The central model registry (a SageMaker model package group in the registry account)."""

    account_id: AccountId
    region: Region
    model_package_group: str = Field(pattern=f"^{MODEL_GROUP_PATTERN.pattern}$")


class CIConfig(StrictModel):
    """What GitHub Actions assumes through OIDC; the roles trust only `github_repository`."""

    github_repository: GitHubRepository
    plan_role_arn: RoleARN = Field(description="read-only role for `terraform plan` on pull requests")
    deploy_role_arn: RoleARN = Field(description="role for apply, pipeline upsert and approval sync on merge")


class DataLocationsConfig(StrictModel):
    """Where the SageMaker pipelines read their inputs (`--data part1` etc. resolve to these)."""

    train_part1: S3URI
    train_part2: S3URI
    batch: S3URI = Field(description="the batch the scheduled inference scores")
    evaluation: S3URI = Field(
        description="the locked evaluation set (`mlops data prepare` writes evaluation.csv) the train "
        "pipeline scores every version on; keep it one object, so versions stay comparable"
    )
    batch_outliers: S3URI | None = Field(default=None, description="the outlier batch of scenario 4")


class SageMakerConfig(StrictModel):
    """What the pipelines run as and read from."""

    execution_role_arn: RoleARN = Field(
        description="role SageMaker jobs assume; in the environment's account"
    )
    data: DataLocationsConfig
    image_repository: str = Field(
        pattern=r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$",
        max_length=256,
        description="ECR repository (in this account) of the one image every pipeline job runs in; "
        "images are tagged with the commit they were built from",
    )
    resolve_function_name: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Lambda function the inference pipeline calls to resolve the approved version",
    )


class ScheduleConfig(StrictModel):
    """When EventBridge starts the inference pipeline."""

    inference: ScheduleExpression
    enabled: bool = Field(default=True, description="false creates the rule in state DISABLED")


class NotificationsConfig(StrictModel):
    """The SNS topic pipeline events go to and who is subscribed by e-mail."""

    topic_name: TopicName
    emails: list[Email] = Field(min_length=1)

    @field_validator("emails")
    @classmethod
    def _check_unique(cls, emails: list[str]) -> list[str]:
        return _unique([email.lower() for email in emails], emails)


class ApprovalsConfig(StrictModel):
    """How `mlops approve` records a decision."""

    mode: Literal["direct", "pull_request"] = Field(
        default="direct",
        description="direct: set the status in the registry; pull_request: edit approved-model.yaml, "
        "and only the sync after merge touches the registry",
    )
    branch: str = Field(
        default="main",
        pattern=r"^[A-Za-z0-9._/-]+$",
        description="`mlops registry sync` applies only commits of this branch (origin/<branch> if fetched)",
    )


class Approver(StrictModel):
    """Someone who may approve a model version in this environment."""

    # GitHub's login rule: alphanumerics and single hyphens, not at either end, at most 39 characters.
    login: str = Field(pattern=r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$", description="GitHub login")
    name: str = Field(min_length=1, description="display name shown in pull requests and the audit trail")


class GovernanceConfig(StrictModel):
    """Rules an approval must meet before it is accepted."""

    require_prior_approval_in: list[str] = Field(
        default_factory=list,
        description="environments whose approval file must already approve the same version and digest",
    )
    separation_of_duties: bool = Field(default=True, description="approver must differ from created_by")
    min_auc_ci_low: float | None = Field(
        default=None,
        ge=0.5,
        le=1.0,
        description="lowest allowed lower bound of the AUC's 95% CI (on the locked evaluation set when the "
        "version was scored on one, else on its internal test split)",
    )
    approvers: list[Approver] = Field(
        default_factory=list,
        description="who may approve here (GitHub logins); `approved_by` must be one of them and an "
        "approving reviewer of the pull request. Required for approvals.mode pull_request; empty: anyone "
        "(direct mode)",
    )
    non_inferiority_margin: float | None = Field(
        default=None,
        ge=0.0,
        le=0.5,
        description="refuse a challenger whose paired 95% CI of the AUC difference to the serving version "
        "(on the locked evaluation set) reaches below -margin, unless allow_downgrade with a reason",
    )

    @field_validator("require_prior_approval_in")
    @classmethod
    def _check_unique(cls, names: list[str]) -> list[str]:
        return _unique(names, names)

    @field_validator("approvers")
    @classmethod
    def _check_unique_logins(cls, approvers: list[Approver]) -> list[Approver]:
        _unique([a.login.lower() for a in approvers], [a.login for a in approvers])
        return approvers

    def approver_logins(self) -> tuple[str, ...]:
        """The approvers' logins, lower-case (GitHub logins ignore case)."""
        return tuple(a.login.lower() for a in self.approvers)


def _unique(keys: list[str], values: list[str]) -> list[str]:
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"{duplicates} listed more than once; list each once")
    return values
