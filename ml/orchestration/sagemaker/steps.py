"""One SageMaker step per job (jobs.py), and the ConditionStep + FailStep after a job whose condition follows.

Channels: a job gets every earlier job's `state` output at `processing/input/<job>` (a training job's as
model.tar.gz) and the data sets its steps read (`DATA_CHANNELS`: the batch, the locked evaluation set), and
writes `state` and `reports` (property files, run record, Model Monitor files) below
`s3://<bucket>/pipelines/<pipeline>/<execution id>/<job>/`; published predictions go to
`s3://<bucket>/runs/<execution id>/predictions/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ml.config.schema import EnvironmentConfig
from ml.orchestration.sagemaker.jobs import DATA_CHANNELS, Job
from ml.orchestration.sagemaker.lambda_handler import ENVIRONMENT_VARIABLE, OUTPUTS
from ml.orchestration.sagemaker.naming import failed_step_name, pipeline_name

ENTRYPOINT = ["python", "-m", "ml.orchestration.sagemaker.container"]
INPUT_ROOT, OUTPUT_ROOT = "/opt/ml/processing/input", "/opt/ml/processing/output"
# The job after the Lambda gets the version's number and digests as arguments, its files as channels.
LAMBDA_ARGUMENTS = ("ModelVersion", "ArtifactDigest", "ArtifactUri", "StatisticsDigest", "ConstraintsDigest")
LAMBDA_CHANNELS = {"model": "ArtifactUri", "statistics": "StatisticsUri", "constraints": "ConstraintsUri"}


@dataclass
class PipelineContext:
    """What every step of one pipeline is built from."""

    config: EnvironmentConfig
    pipeline: str
    image: str
    session: Any
    parameters: dict[str, Any]
    built: dict[str, Any] = field(default_factory=dict)  # job name -> its SageMaker step
    jobs: list[Job] = field(default_factory=list)

    @property
    def kms_key(self) -> str:
        return self.config.aws.kms_key_arn

    def uri(self, *parts: Any) -> Any:
        """s3://<bucket>/<parts...> with pipeline variables joined in at run time."""
        from sagemaker.core.workflow.functions import Join

        return Join(on="/", values=[f"s3://{self.config.aws.artifact_bucket}", *parts])


def build_steps(context: PipelineContext, jobs: tuple[Job, ...]) -> list[Any]:
    """The top-level steps; what follows a condition sits in that ConditionStep's if_steps."""
    built = []
    for job in jobs:
        step = _BUILDERS[job.kind](context, job)
        context.built[job.name] = step
        context.jobs.append(job)
        built.append((job, step))
    return _nest(context, built)


def _nest(context: PipelineContext, built: list[tuple[Job, Any]]) -> list[Any]:
    steps = []
    for index, (job, step) in enumerate(built):
        steps.append(step)
        if job.condition:
            return [*steps, _condition_step(context, job, _nest(context, built[index + 1 :]))]
    return steps


def _condition_step(context: PipelineContext, job: Job, if_steps: list[Any]) -> Any:
    from sagemaker.core.workflow.conditions import ConditionEquals, ConditionGreaterThanOrEqualTo
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep

    step = context.built[job.name]
    name = job.condition

    def value(path: str) -> Any:
        return JsonGet(step_name=step.name, property_file=step.property_files[0], json_path=path)

    if name == "quality_gate":  # the gate on the AUC against the MinAuc parameter, as apply_quality_gate
        auc, threshold = value("auc"), context.parameters["MinAuc"]
        condition = ConditionGreaterThanOrEqualTo(left=auc, right=threshold)
        message = Join(on="", values=["quality gate: held-out auc ", auc, " is below MinAuc ", threshold])
    else:  # any other condition: its own verdict, written by the job before it
        condition = ConditionEquals(left=value("passed"), right=True)
        message = Join(
            on="", values=[f"{name}: ", value("violations"), " violation(s); first: ", value("first_reason")]
        )
    fail = FailStep(name=failed_step_name(name), error_message=message)
    return ConditionStep(name=name, conditions=[condition], if_steps=if_steps, else_steps=[fail])


def _processing_step(context: PipelineContext, job: Job) -> Any:
    from sagemaker.core.network import NetworkConfig
    from sagemaker.core.processing import Processor
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow.steps import ProcessingStep

    processor = Processor(
        role=context.config.sagemaker.execution_role_arn,
        image_uri=context.image,
        instance_count=context.parameters.get("ProcessingInstanceCount", 1) if _scores(job) else 1,
        instance_type=context.parameters["ProcessingInstanceType"],
        entrypoint=ENTRYPOINT,
        volume_kms_key=context.kms_key,
        output_kms_key=context.kms_key,
        base_job_name=f"{pipeline_name(context.config, context.pipeline)}-{job.name}".replace("_", "-"),
        sagemaker_session=context.session,
        env={ENVIRONMENT_VARIABLE: context.config.name},
        network_config=NetworkConfig(
            enable_network_isolation=not job.network, encrypt_inter_container_traffic=True
        ),
    )
    step_args = processor.run(
        inputs=_inputs(context, job), outputs=_outputs(context, job), arguments=_arguments(context, job)
    )
    files = [PropertyFile(name=f"{job.condition}-verdict", output_name="reports", path=_verdict_file(job))]
    return ProcessingStep(name=job.name, step_args=step_args, property_files=files if job.condition else None)


def _scores(job: Job) -> bool:
    """The job that checks and scores the batch may run on ProcessingInstanceCount instances."""
    return "check_and_score" in job.steps


def _verdict_file(job: Job) -> str:
    return "metrics.json" if job.condition == "quality_gate" else f"{job.condition}.json"


def _inputs(context: PipelineContext, job: Job) -> list[Any]:
    from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

    def channel(name: str, source: Any, distribution: str = "FullyReplicated") -> Any:
        s3 = ProcessingS3Input(
            s3_uri=source,
            local_path=f"{INPUT_ROOT}/{name}",
            s3_data_type="S3Prefix",
            s3_input_mode="File",
            s3_data_distribution_type=distribution,
        )
        return ProcessingInput(input_name=name, s3_input=s3)

    channels = []
    for earlier in context.jobs:  # the jobs built so far: those before this one
        step = context.built[earlier.name]
        if earlier.kind == "training":
            channels.append(channel(earlier.name, step.properties.ModelArtifacts.S3ModelArtifacts))
        elif earlier.kind == "processing":
            channels.append(channel(earlier.name, _output_uri(step, "state")))
        elif _scores(job):  # the Lambda: the approved version's files, fetched by SageMaker
            outputs = step.properties.Outputs
            channels.extend(channel(name, outputs[key]) for name, key in LAMBDA_CHANNELS.items())
    for name, data in DATA_CHANNELS.items():  # the data sets its steps read, named by pipeline parameters
        if name in job.reads:
            channels.append(channel(data.channel, context.parameters[data.parameter]))
    return channels


def _output_uri(step: Any, name: str) -> Any:
    return step.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri


def _outputs(context: PipelineContext, job: Job) -> list[Any]:
    from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output
    from sagemaker.core.workflow.execution_variables import ExecutionVariables

    execution = ExecutionVariables.PIPELINE_EXECUTION_ID
    names = ["state", "reports", *(["predictions"] if "publish_predictions" in job.steps else [])]
    outputs = []
    for name in names:
        if name == "predictions":
            uri = context.uri("runs", execution, "predictions")
        else:
            uri = context.uri("pipelines", context.pipeline, execution, job.name, name)
        s3 = ProcessingS3Output(s3_uri=uri, local_path=f"{OUTPUT_ROOT}/{name}", s3_upload_mode="EndOfJob")
        outputs.append(ProcessingOutput(output_name=name, s3_output=s3))
    return outputs


def _arguments(context: PipelineContext, job: Job) -> list[Any]:
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join

    arguments: list[Any] = [context.pipeline, job.name, "--run-id", ExecutionVariables.PIPELINE_EXECUTION_ID]
    if "MinAuc" in context.parameters:
        arguments += ["--arg", Join(on="", values=["MinAuc=", context.parameters["MinAuc"]])]
    lambdas = [context.built[j.name] for j in context.jobs if j.kind == "lambda"]
    if lambdas and _scores(job):
        outputs = lambdas[0].properties.Outputs
        for name in LAMBDA_ARGUMENTS:
            arguments += ["--arg", Join(on="", values=[f"{name}=", outputs[name]])]
    return arguments


def _training_step(context: PipelineContext, job: Job) -> Any:
    data = [name for name in job.reads if name in DATA_CHANNELS]
    if data:  # a training job's only channels are the earlier jobs' (it has none)
        raise ValueError(
            f"job {job.name}: a training job takes no data channel; read {data} in a processing job"
        )
    from sagemaker.core.shapes import OutputDataConfig
    from sagemaker.core.training.configs import Compute, Networking
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.mlops.workflow.steps import TrainingStep
    from sagemaker.train import ModelTrainer

    trainer = ModelTrainer(
        sagemaker_session=context.session,
        role=context.config.sagemaker.execution_role_arn,
        training_image=context.image,
        base_job_name=f"{pipeline_name(context.config, context.pipeline)}-{job.name}".replace("_", "-"),
        compute=Compute(
            instance_type=context.parameters["TrainingInstanceType"],
            instance_count=1,
            volume_kms_key_id=context.kms_key,
        ),
        networking=Networking(
            enable_network_isolation=not job.network, enable_inter_container_traffic_encryption=True
        ),
        output_data_config=OutputDataConfig(
            s3_output_path=f"s3://{context.config.aws.artifact_bucket}/pipelines/{context.pipeline}/training",
            kms_key_id=context.kms_key,
        ),
        environment={
            ENVIRONMENT_VARIABLE: context.config.name,
            "MLOPS_PIPELINE": context.pipeline,
            "MLOPS_JOB": job.name,
            "MLOPS_RUN_ID": ExecutionVariables.PIPELINE_EXECUTION_ID,
        },
        # The training section travels as the job's hyperparameters (visible in the console); the
        # container trains with exactly these.
        hyperparameters={
            "training": json.dumps(context.config.training.model_dump(), sort_keys=True),
            "TrainingData": context.parameters["TrainingData"],
            "CreatedBy": context.parameters["CreatedBy"],  # recorded with the registration it builds
        },
    )
    return TrainingStep(name=job.name, step_args=trainer.train())


def _lambda_step(context: PipelineContext, job: Job) -> Any:
    from sagemaker.core.lambda_helper import Lambda
    from sagemaker.mlops.workflow.lambda_step import LambdaOutput, LambdaOutputTypeEnum, LambdaStep

    aws, function = context.config.aws, context.config.sagemaker.resolve_function_name
    arn = f"arn:aws:lambda:{aws.region}:{aws.account_id}:function:{function}"
    types = {"ModelVersion": LambdaOutputTypeEnum.Integer}
    outputs = [LambdaOutput(name, types.get(name, LambdaOutputTypeEnum.String)) for name in OUTPUTS]
    return LambdaStep(
        name=job.name, lambda_func=Lambda(function_arn=arn, session=context.session), outputs=outputs
    )


_BUILDERS = {"processing": _processing_step, "training": _training_step, "lambda": _lambda_step}
