"""Names other parts of the platform match on (Terraform's rules, the workflows): defined once, here."""

from __future__ import annotations

import os
from pathlib import Path

from ml.config.schema import EnvironmentConfig

COMMIT_VARIABLE = "MLOPS_GIT_COMMIT"  # set in the image (it has no .git) to the commit it was built from
PIPELINES = ("train", "inference")
# The train pipeline's `CreatedBy` when the starter did not say who they are (e.g. the console); the
# EventBridge retraining rule sets `eventbridge-retraining` and `mlops pipelines run` whoever ran it.
UNATTENDED_CREATED_BY = "unattended"


def pipeline_name(config: EnvironmentConfig, pipeline: str) -> str:
    """`<project>-<env>-train` / `<project>-<env>-inference`."""
    return f"{config.project}-{config.name}-{pipeline}"


def failed_step_name(condition: str) -> str:
    """The FailStep after a ConditionStep; the retraining rule matches `data_quality_gate-failed`."""
    return f"{condition}-failed"


def current_commit() -> str:
    """The commit the code runs from: the image's build argument, else the checkout's HEAD."""
    from ml.gitinfo import code_version

    return os.environ.get(COMMIT_VARIABLE) or str(
        code_version(Path(__file__).resolve().parents[3])["git_commit"]
    )


def pipeline_image_uri(config: EnvironmentConfig, commit: str | None = None) -> str:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<sagemaker.image_repository>:<commit>`."""
    aws, sagemaker = config.aws, config.sagemaker
    if aws is None or sagemaker is None:
        from ml.errors import ConfigError

        raise ConfigError(
            f"environment {config.name}: the sagemaker backend needs aws: and sagemaker: sections"
        )
    tag = commit or current_commit()
    return f"{aws.account_id}.dkr.ecr.{aws.region}.amazonaws.com/{sagemaker.image_repository}:{tag}"
