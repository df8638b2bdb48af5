"""What `mlops pipelines run` does on the sagemaker backend: start, print where to watch, follow, judge."""

from __future__ import annotations

from collections.abc import Callable

from ml.config.schema import EnvironmentConfig
from ml.errors import (
    DataQualityViolationError,
    MlopsError,
    PipelineFailedError,
    QualityGateRejectedError,
)
from ml.orchestration.sagemaker.executions import console_url, follow_execution, start_execution
from ml.orchestration.sagemaker.naming import pipeline_name

INPUT_PARAMETER = {"train": "TrainingData", "inference": "BatchData"}


def run_pipeline(
    config: EnvironmentConfig,
    pipeline: str,
    input_uri: str | None,
    *,
    created_by: str | None = None,
    wait: bool,
    echo: Callable[[str], None],
    progress: Callable[[str], None],
    poll_seconds: float = 15.0,
) -> None:
    """Start an execution (input overriding the pipeline's default), follow it, raise on a bad ending.

    `created_by` (train only) becomes the `CreatedBy` parameter, recorded as the version's created_by.

    Raises:
        QualityGateRejectedError: the train pipeline stopped at `quality_gate-failed` (exit 8).
        DataQualityViolationError: the inference pipeline stopped at `data_quality_gate-failed` (exit 10).
        PipelineFailedError: any other step failed (exit 7); MlopsError when it was stopped (exit 1).
    """
    from ml.aws import build_client
    from ml.orchestration.local import new_run_id

    client = build_client("sagemaker", region=config.aws.region)
    parameters = {INPUT_PARAMETER[pipeline]: input_uri} if input_uri else {}
    if created_by:
        parameters["CreatedBy"] = created_by
    arn = start_execution(client, pipeline_name(config, pipeline), parameters, new_run_id(pipeline))
    echo(arn)
    echo(console_url(config.aws.region, arn))
    if not wait:
        return
    outcome = follow_execution(client, arn, progress, poll_seconds=poll_seconds)
    if outcome.status == "Succeeded":
        echo(f"{pipeline_name(config, pipeline)}: Succeeded")
        return
    where = f"{arn}: {outcome.failed_step or outcome.status}: {outcome.reason}".rstrip(": ")
    if outcome.rejected_by("quality_gate"):
        raise QualityGateRejectedError(f"not registered: {where}")
    if outcome.rejected_by("data_quality_gate"):
        raise DataQualityViolationError(f"the batch violates the baseline; no predictions published: {where}")
    if outcome.status == "Stopped":
        raise MlopsError(f"execution stopped: {where}")
    raise PipelineFailedError(f"execution failed: {where}")
