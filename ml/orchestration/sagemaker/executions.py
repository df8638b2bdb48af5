"""Start a pipeline execution and follow it step by step until it ends (boto3 only, no SDK)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from ml.orchestration.sagemaker.naming import failed_step_name

TERMINAL = {"Succeeded", "Failed", "Stopped"}
POLL_SECONDS = 15.0


@dataclass(frozen=True)
class ExecutionOutcome:
    """How an execution ended, and the step that ended it when it failed."""

    arn: str
    status: str
    failed_step: str | None = None
    reason: str = ""

    def rejected_by(self, condition: str) -> bool:
        """Whether the execution stopped at the FailStep of `condition` (a gate said no)."""
        return self.failed_step == failed_step_name(condition)


def start_execution(client: Any, pipeline: str, parameters: Mapping[str, str], run_name: str) -> str:
    """Start `pipeline` with the given parameter values; return the execution ARN."""
    response = client.start_pipeline_execution(
        PipelineName=pipeline,
        PipelineExecutionDisplayName=run_name,
        PipelineParameters=[{"Name": name, "Value": value} for name, value in parameters.items()],
    )
    return response["PipelineExecutionArn"]


def console_url(region: str, execution_arn: str) -> str:
    """Where people watch the execution in SageMaker Studio's pipeline view."""
    return (
        f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}"
        f"#/pipelines/execution?arn={quote(execution_arn, safe='')}"
    )


def follow_execution(
    client: Any,
    arn: str,
    progress: Callable[[str], None],
    *,
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> ExecutionOutcome:
    """Report each step's status as it changes; return once the execution has ended."""
    seen: dict[str, str] = {}
    while True:
        status = client.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"]
        steps = _steps(client, arn)
        for step in reversed(steps):  # oldest first
            name, step_status = step["StepName"], step["StepStatus"]
            if seen.get(name) != step_status:
                seen[name] = step_status
                progress(f"  {name}: {step_status}")
        if status in TERMINAL:
            failed = next((s for s in steps if s["StepStatus"] == "Failed"), None)
            reason = (failed or {}).get("FailureReason", "")
            return ExecutionOutcome(arn, status, failed and failed["StepName"], reason)
        sleep(poll_seconds)


def _steps(client: Any, arn: str) -> list[dict[str, Any]]:
    """The execution's steps, newest first; empty where the API does not answer (moto: HTTP 500)."""
    try:
        pages = client.get_paginator("list_pipeline_execution_steps").paginate(PipelineExecutionArn=arn)
        return [step for page in pages for step in page["PipelineExecutionSteps"]]
    except ClientError as error:
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            return []
        raise
