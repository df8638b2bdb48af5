"""How a PipelineSpec's steps become SageMaker steps: which run together in one job, and where conditions go.

A job is named after its first spec step and runs every following step up to the next job's first step.
A condition step is evaluated at the end of the job before it (its verdict is written as a property file)
and becomes a ConditionStep of the same name with a FailStep `<name>-failed`. So a step added to a spec
joins the job before it, in the local runner and on SageMaker alike.

Each job starts minutes after the previous one and is billed separately, hence few jobs: the reference ran
four to train and two to score. A data set named by a pipeline parameter arrives as a channel of the job
whose steps read it (`DATA_CHANNELS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from ml.spec import PipelineSpec

JobKind = Literal["training", "processing", "lambda"]


@dataclass(frozen=True)
class JobStart:
    """Where a job starts and what it needs."""

    kind: JobKind
    # Whether the job calls AWS APIs itself (registry, S3, SNS). Every other job runs with network isolation:
    # SageMaker copies its inputs in and its outputs out, encrypted with the environment's key.
    network: bool


@dataclass(frozen=True)
class Job:
    """One SageMaker step that runs spec steps: a training job, a processing job or the Lambda."""

    name: str
    kind: JobKind
    steps: tuple[str, ...]
    network: bool
    condition: str | None = None  # the condition step evaluated at the end of this job, if one follows
    reads: tuple[str, ...] = ()  # the spec's parameters its steps (and its condition) read

    @property
    def billed(self) -> bool:
        """SageMaker bills (and spends minutes starting) training and processing jobs, not the Lambda."""
        return self.kind != "lambda"


# The training data are a comma-separated list of S3 URIs (retraining joins two), which no channel can take,
# so the jobs that read them fetch them themselves; the others read channels only.
JOB_STARTS: Mapping[str, Mapping[str, JobStart]] = {
    "train": {
        "split": JobStart("training", network=True),
        "evaluate": JobStart("processing", network=False),
        "baseline": JobStart("processing", network=True),
    },
    "inference": {
        "resolve_model": JobStart("lambda", network=True),
        "load_model": JobStart("processing", network=False),
        "publish_predictions": JobStart("processing", network=False),
    },
}


@dataclass(frozen=True)
class DataChannel:
    """A spec parameter SageMaker copies into the job that reads it: `processing/input/<channel>` holds the
    objects at the S3 URI of the pipeline parameter `parameter`."""

    channel: str
    parameter: str


DATA_CHANNELS: Mapping[str, DataChannel] = {
    "evaluation_set": DataChannel("evaluation", "EvaluationData"),
    "batch": DataChannel("batch", "BatchData"),
}


def plan_jobs(spec: PipelineSpec) -> tuple[Job, ...]:
    """The jobs of a spec, in order.

    Raises:
        ValueError: the spec has no job plan, its first step starts no job, or a step after a condition
            starts none (it would run before the condition is checked).
    """
    starts = JOB_STARTS.get(spec.name)
    if starts is None:
        raise ValueError(f"pipeline {spec.name}: no SageMaker job plan; add one to JOB_STARTS")
    jobs: list[Job] = []
    for step in spec.steps:
        if step.kind != "condition" and step.name in starts:
            start = starts[step.name]
            jobs.append(Job(step.name, start.kind, (), start.network))
        elif not jobs or jobs[-1].condition:  # the first step, or a step after a condition
            problem = (
                "follows a condition but starts no job"
                if jobs and step.kind != "condition"
                else "follows no job"
            )
            raise ValueError(f"pipeline {spec.name}: {step.kind} step {step.name} {problem}; see JOB_STARTS")
        job = jobs[-1]
        reads = (*job.reads, *(n for n in step.inputs if n in spec.parameters and n not in job.reads))
        if step.kind == "condition":
            jobs[-1] = replace(job, condition=step.name, reads=reads)
        else:
            jobs[-1] = replace(job, steps=(*job.steps, step.name), reads=reads)
    return tuple(jobs)


def job_of_step(jobs: tuple[Job, ...], step: str) -> Job:
    """The job that runs (or, for a condition, evaluates) a spec step."""
    return next(job for job in jobs if step in job.steps or step == job.condition)
