"""The entry point every pipeline job runs in the image: `python -m ml.orchestration.sagemaker.container`.

`<pipeline> <job> [--run-id ID] [--arg NAME=VALUE ...]` runs the job's spec steps (see jobs.py) with the
local runner, in process: SageMaker's channels become the steps' named inputs and outputs.

- inputs: `processing/input/<channel>` (`input/data/<channel>` in a training job): `<earlier job>` holds
  that job's hand-over, one folder per instance (a training job's arrives as model.tar.gz), `batch` the
  batch's objects (every instance gets them all: see shards.py), `evaluation` the locked evaluation set,
  `model`, `statistics` and `constraints` the approved version's artifacts, named by their digests;
- outputs: `processing/output/{state,reports,predictions}` (`model/{state,reports}` in a training job):
  the hand-over, the property files and run record, the published predictions.

A training job is started as `<image> train`; it reads its pipeline and job from `MLOPS_PIPELINE` and
`MLOPS_JOB`. Every job reads `MLOPS_ENV` and the environment file shipped in the image. Exit 0 also when a
condition rejects (the pipeline's ConditionStep fails the run); non-zero when a step crashed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml.config.loader import load_environment
from ml.orchestration.local import LocalRunner, RunResult
from ml.orchestration.sagemaker.handover import load_shards, save_values
from ml.orchestration.sagemaker.jobs import Job, plan_jobs
from ml.orchestration.sagemaker.services import build_job_services
from ml.spec import PipelineSpec

OPT_ML = Path("/opt/ml")


@dataclass(frozen=True)
class JobPaths:
    """Where SageMaker mounts a job's channels (below `root`, /opt/ml in a real job)."""

    root: Path
    training: bool

    @property
    def inputs(self) -> Path:
        return self.root / ("input/data" if self.training else "processing/input")

    @property
    def outputs(self) -> Path:
        return self.root / ("model" if self.training else "processing/output")

    def output(self, name: str) -> Path:
        return self.outputs / name

    def handover_in(self, job: str) -> Path:
        """The hand-over of an earlier job: its `state` output's prefix, one folder per instance; a training
        job's arrives packed as model.tar.gz, holding /opt/ml/model and so `state/`."""
        folder = self.inputs / job
        packed = folder / "model.tar.gz"
        if not packed.is_file():
            return folder
        with tarfile.open(packed) as archive:
            archive.extractall(folder / "unpacked", filter="data")
        return folder / "unpacked" / "state"

    def host(self):
        """This instance among the job's instances (SageMaker's resourceconfig.json)."""
        from ml.orchestration.sagemaker.shards import Host

        return Host.read(self.root / ("input/config" if self.training else "config") / "resourceconfig.json")


@dataclass(frozen=True)
class JobRequest:
    """What one job was started with."""

    pipeline: str
    job: str
    environment: str
    run_id: str
    arguments: Mapping[str, str] = field(default_factory=dict)
    root: Path = OPT_ML
    config_dir: Path | None = None


def pipeline_spec(name: str) -> PipelineSpec:
    """The spec a SageMaker pipeline of this name runs."""
    if name == "train":
        from ml.train.pipeline import TRAIN_PIPELINE

        return TRAIN_PIPELINE
    if name == "inference":
        from ml.inference.pipeline import INFERENCE_PIPELINE

        return INFERENCE_PIPELINE
    raise ValueError(f"no pipeline {name!r}; expected train or inference")


def run_job(request: JobRequest, progress: Callable[[str], None] = print) -> RunResult:
    """Run one job's steps in process, then write its hand-over and reports."""
    config = load_environment(request.environment, request.config_dir)
    spec = pipeline_spec(request.pipeline)
    jobs = plan_jobs(spec)
    job = _find(jobs, request.job)
    paths = JobPaths(request.root, job.kind == "training")
    services = build_job_services(config, job, paths, request.arguments)
    values = {**_handed_over(jobs, job, paths), **services.lambda_outputs()}
    values.update(services.parameters(_needed(spec, job, values), values))
    sub = _job_spec(spec, job, values)
    services.persist_handed_over(spec, values)
    host = paths.host().name
    runs = paths.output("reports") / "runs" / host
    runner = LocalRunner(services.artifacts, services.notifier, runs, progress)
    result = runner.run(sub, values, services.input_digests, request.run_id)
    produced = [o for step in sub.steps for o in step.outputs if o in result.values]
    save_values(result.values, [*produced, *services.handover], paths.output("state") / host)
    write_reports(result, job, paths.output("reports"))
    if result.status == "succeeded" and "model_version" in produced and spec.name == "train":
        from ml.orchestration.workflows import registration_event

        # As `mlops train` does after a local run: people hear of the new version to review.
        services.notifier.notify(registration_event(result.values["model_version"], request.run_id))
    return result


def _find(jobs: Sequence[Job], name: str) -> Job:
    for job in jobs:
        if job.name == name and job.kind != "lambda":
            return job
    from ml.errors import ConfigError

    names = [job.name for job in jobs if job.kind != "lambda"]
    raise ConfigError(f"no job {name!r} in this pipeline; expected one of {names}")


def _handed_over(jobs: Sequence[Job], job: Job, paths: JobPaths) -> dict[str, Any]:
    """The values every earlier job (except the Lambda, whose outputs come as arguments) handed over."""
    values: dict[str, Any] = {}
    for earlier in jobs[: jobs.index(job)]:
        if earlier.kind != "lambda":
            values.update(
                load_shards(paths.handover_in(earlier.name), paths.output("predictions") / "predictions")
            )
    return values


def _needed(spec: PipelineSpec, job: Job, values: Mapping[str, Any]) -> list[str]:
    """The pipeline parameters the job's steps read that no earlier job handed over."""
    steps = [s for s in spec.steps if s.name in job.steps or s.name == job.condition]
    produced = {o for s in steps for o in s.outputs}
    names = {i.removesuffix(".refs") for s in steps for i in s.inputs} - produced - set(values) - {"run_id"}
    return sorted(name for name in names if name in spec.parameters)


def _job_spec(spec: PipelineSpec, job: Job, values: Mapping[str, Any]) -> PipelineSpec:
    steps = tuple(s for s in spec.steps if s.name in job.steps or s.name == job.condition)
    produced = {o for s in steps for o in s.outputs}
    available = {*values, *(f"{name}.refs" for name in values if name in spec.artifacts)}
    return PipelineSpec(
        name=spec.name,
        steps=steps,
        parameters=tuple(sorted(available)),
        artifacts={name: kind for name, kind in spec.artifacts.items() if name in produced},
        failure_event=spec.failure_event,
    )


def write_reports(result: RunResult, job: Job, folder: Path) -> None:
    """Property files for SageMaker: every output with `to_dict()`, and the condition's verdict."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in result.values.items():
        if hasattr(value, "to_dict") and not isinstance(value, type):
            _write_json(folder / f"{name}.json", value.to_dict())
    if job.condition:
        step = next(s for s in pipeline_spec(result.record.pipeline).steps if s.name == job.condition)
        decision = result.values.get(step.outputs[0])
        if decision is not None:
            reasons = list(decision.reasons)
            verdict = {
                "passed": decision.passed,
                "reasons": reasons,
                "first_reason": reasons[0] if reasons else "",
                "violations": 0 if decision.passed else len(reasons),  # for the FailStep's message
            }
            _write_json(folder / f"{job.condition}.json", verdict)


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def parse_request(argv: Sequence[str], environ: Mapping[str, str]) -> JobRequest:
    """Read the command line; `train` alone (how SageMaker starts a training job) reads the environment."""
    if list(argv) == ["train"]:
        argv = [environ["MLOPS_PIPELINE"], environ["MLOPS_JOB"], "--run-id", environ.get("MLOPS_RUN_ID", "")]
    parser = argparse.ArgumentParser(prog="python -m ml.orchestration.sagemaker.container")
    parser.add_argument("pipeline", choices=["train", "inference"])
    parser.add_argument("job")
    parser.add_argument("--run-id", default="")
    parser.add_argument("--arg", action="append", default=[], help="NAME=VALUE, e.g. MinAuc=0.75")
    parser.add_argument("--root", type=Path, default=OPT_ML)
    parsed = parser.parse_args(list(argv))
    arguments = dict(item.split("=", 1) for item in parsed.arg)
    return JobRequest(
        parsed.pipeline, parsed.job, environ["MLOPS_ENV"], parsed.run_id, arguments, parsed.root
    )


def main(argv: Sequence[str] | None = None) -> int:
    from ml.errors import MlopsError

    try:
        result = run_job(parse_request(sys.argv[1:] if argv is None else argv, os.environ))
    except MlopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if result.status == "failed":
        print(f"error: {result.record.error}", file=sys.stderr)
        return 7
    print(f"{result.record.pipeline} job finished: {result.status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
