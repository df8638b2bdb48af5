"""Turn TRAIN_PIPELINE and INFERENCE_PIPELINE into SageMaker pipelines (SDK v3), job by job (jobs.py).

Every job runs the pipeline image with the container entry point; nothing is uploaded when a definition is
rendered (the image holds the code), so the same commit renders the same JSON. Every job encrypts its
volume and outputs with the environment's KMS key and its inter-container traffic; jobs that need no AWS
API run under network isolation. The Lambda is Terraform's (`sagemaker.resolve_function_name`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ml.config.schema import EnvironmentConfig
from ml.orchestration.sagemaker.container import pipeline_spec
from ml.orchestration.sagemaker.jobs import plan_jobs
from ml.orchestration.sagemaker.naming import (
    PIPELINES,
    UNATTENDED_CREATED_BY,
    pipeline_image_uri,
    pipeline_name,
)
from ml.orchestration.sagemaker.steps import PipelineContext, build_steps

DEFAULT_TRAINING_INSTANCE = "ml.m5.large"
DEFAULT_PROCESSING_INSTANCE = "ml.m5.large"


def build_pipeline(config: EnvironmentConfig, name: str, image: str, session: Any) -> Any:
    """The SageMaker `Pipeline` for `train` or `inference`, not yet created anywhere."""
    from sagemaker.mlops.workflow.pipeline import Pipeline

    spec = pipeline_spec(name)
    context = PipelineContext(config, name, image, session, _parameters(config, name))
    steps = build_steps(context, plan_jobs(spec))
    return Pipeline(
        name=pipeline_name(config, name),
        parameters=list(context.parameters.values()),
        steps=steps,
        sagemaker_session=session,
    )


def _parameters(config: EnvironmentConfig, name: str) -> dict[str, Any]:
    """The pipeline parameters (names are shared with Terraform's rules and the workflows)."""
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterInteger, ParameterString

    processing = ParameterString("ProcessingInstanceType", default_value=DEFAULT_PROCESSING_INSTANCE)
    if name == "train":
        return {
            "TrainingData": ParameterString("TrainingData", default_value=config.sagemaker.data.train_part1),
            "EvaluationData": ParameterString(
                "EvaluationData", default_value=config.sagemaker.data.evaluation
            ),
            "TrainingInstanceType": ParameterString(
                "TrainingInstanceType", default_value=DEFAULT_TRAINING_INSTANCE
            ),
            "ProcessingInstanceType": processing,
            "MinAuc": ParameterFloat("MinAuc", default_value=config.quality_gate.min_auc),
            # Who started the run: the registered version's created_by, which separation of duties
            # compares with the approver.
            "CreatedBy": ParameterString("CreatedBy", default_value=UNATTENDED_CREATED_BY),
        }
    return {
        "BatchData": ParameterString("BatchData", default_value=config.sagemaker.data.batch),
        "ProcessingInstanceType": processing,
        "ProcessingInstanceCount": ParameterInteger("ProcessingInstanceCount", default_value=1),
    }


def billed_jobs(definition: dict[str, Any]) -> int:
    """Training, processing and transform jobs one execution starts when every step runs (SageMaker
    bills and starts each separately); the Lambda, conditions and FailSteps are not jobs."""
    kinds = {"Training", "Processing", "Transform"}
    return sum(1 for step in all_steps(definition) if step["Type"] in kinds)


def all_steps(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of a definition, including those inside ConditionSteps' branches."""
    found, pending = [], list(definition["Steps"])
    while pending:
        step = pending.pop(0)
        found.append(step)
        arguments = step.get("Arguments", {})
        if step["Type"] == "Condition":
            pending.extend([*arguments.get("IfSteps", []), *arguments.get("ElseSteps", [])])
    return found


def definition_json(pipeline: Any) -> str:
    """The definition with sorted keys and indentation, so a diff in a pull request is readable."""
    return json.dumps(json.loads(pipeline.definition()), indent=2, sort_keys=True)


def render_definitions(config: EnvironmentConfig, image: str | None, names: Sequence[str] | None) -> str:
    """One pipeline's definition, or every pipeline's keyed by name; no credentials, no network."""
    from ml.orchestration.sagemaker.session import pipeline_session, rendering

    _require_sagemaker(config)
    uri = image or pipeline_image_uri(config)
    chosen = list(names or PIPELINES)
    with rendering():
        session = pipeline_session(config.aws.region, config.aws.artifact_bucket, render_only=True)
        rendered = {n: json.loads(definition_json(build_pipeline(config, n, uri, session))) for n in chosen}
    document = rendered[chosen[0]] if names else {pipeline_name(config, n): d for n, d in rendered.items()}
    return json.dumps(document, indent=2, sort_keys=True)


def upsert_pipelines(config: EnvironmentConfig, image: str | None, session: Any = None) -> dict[str, str]:
    """Create or update both pipelines with the environment's execution role; return their ARNs."""
    from ml.orchestration.sagemaker.session import pipeline_session

    _require_sagemaker(config)
    session = session or pipeline_session(config.aws.region, config.aws.artifact_bucket, render_only=False)
    uri = image or pipeline_image_uri(config)
    arns = {}
    for name in PIPELINES:
        pipeline = build_pipeline(config, name, uri, session)
        response = pipeline.upsert(role_arn=config.sagemaker.execution_role_arn)
        arns[pipeline_name(config, name)] = response["PipelineArn"]
    return arns


def _require_sagemaker(config: EnvironmentConfig) -> None:
    from ml.errors import ConfigError

    if config.aws is None or config.sagemaker is None or config.notifications is None:
        raise ConfigError(
            f"environment {config.name}: pipelines run on SageMaker only in an environment with aws:, "
            "sagemaker: and notifications: sections (backend: sagemaker), e.g. --env dev"
        )
