"""How a PipelineSpec's steps become SageMaker steps: which run together in one job, and where conditions go.

A job is named after its first spec step and runs every following step up to the next job's first step.
A condition step is evaluated at the end of the job before it (its verdict is written as a property file)
and becomes a ConditionStep of the same name with a FailStep `<name>-failed`. So a step added to a spec
joins the job before it, in the local runner and on SageMaker alike.

Each job starts minutes after the previous one and is billed separately, hence few jobs: the reference ran
four to train and two to score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    after_condition = True
    for step in spec.steps:
        if step.kind == "condition":
            if not jobs or jobs[-1].condition:
                raise ValueError(f"pipeline {spec.name}: condition {step.name} follows no job")
            jobs[-1] = _with(jobs[-1], condition=step.name)
            after_condition = True
        elif step.name in starts:
            start = starts[step.name]
            jobs.append(Job(step.name, start.kind, (step.name,), start.network))
            after_condition = False
        elif after_condition:
            raise ValueError(
                f"pipeline {spec.name}: step {step.name} follows a condition but starts no job; "
                "name it in JOB_STARTS"
            )
        else:
            jobs[-1] = _with(jobs[-1], steps=(*jobs[-1].steps, step.name))
    return tuple(jobs)


def _with(job: Job, **changes) -> Job:
    from dataclasses import replace

    return replace(job, **changes)


def job_of_step(jobs: tuple[Job, ...], step: str) -> Job:
    """The job that runs (or, for a condition, evaluates) a spec step."""
    return next(job for job in jobs if step in job.steps or step == job.condition)
