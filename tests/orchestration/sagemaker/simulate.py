"""Run a pipeline's jobs in process as SageMaker would: one folder per job standing in for /opt/ml, each
job's outputs copied into the channels of the jobs after it (a training job's packed as model.tar.gz)."""

from __future__ import annotations

import json
import shutil
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ml.orchestration.local import RunResult
from ml.orchestration.sagemaker.container import JobRequest, pipeline_spec, run_job
from ml.orchestration.sagemaker.jobs import Job, plan_jobs


@dataclass
class SimulatedRun:
    """Each job's folder and result, in order."""

    roots: dict[str, Path] = field(default_factory=dict)
    results: dict[str, RunResult] = field(default_factory=dict)

    def reports(self, job: str) -> Path:
        root = self.roots[job]
        return root / ("model" if (root / "model").is_dir() else "processing/output") / "reports"

    def verdict(self, condition: str) -> dict:
        """The property file a job wrote for the ConditionStep `condition`."""
        [path] = [p for job in self.roots if (p := self.reports(job) / f"{condition}.json").is_file()]
        return json.loads(path.read_text())


def simulate(
    pipeline: str,
    workdir: Path,
    run_id: str,
    arguments: Mapping[str, str],
    channels: Mapping[str, Mapping[str, Path]] | None = None,
) -> SimulatedRun:
    """Run every container job of `pipeline`; `channels[job][name]` are files SageMaker would copy in.

    Stops after a job whose condition rejected (the ConditionStep's FailStep would end the execution).
    """
    run = SimulatedRun()
    jobs = [job for job in plan_jobs(pipeline_spec(pipeline)) if job.kind != "lambda"]
    for job in jobs:
        root = workdir / job.name
        _lay_out(job, root, run, jobs, (channels or {}).get(job.name, {}), arguments)
        result = run_job(
            JobRequest(pipeline, job.name, "dev", run_id, arguments, root), progress=lambda m: None
        )
        run.roots[job.name], run.results[job.name] = root, result
        if result.status != "succeeded":
            break
    return run


def _lay_out(job: Job, root: Path, run: SimulatedRun, jobs: list[Job], files, arguments) -> None:
    training = job.kind == "training"
    inputs = root / ("input/data" if training else "processing/input")
    for earlier in jobs[: jobs.index(job)]:
        source = run.roots[earlier.name]
        if earlier.kind == "training":  # SageMaker packs /opt/ml/model into model.tar.gz
            (inputs / earlier.name).mkdir(parents=True)
            with tarfile.open(inputs / earlier.name / "model.tar.gz", "w:gz") as archive:
                for item in (source / "model").iterdir():
                    archive.add(item, arcname=item.name)
        else:
            shutil.copytree(source / "processing/output/state", inputs / earlier.name / "state")
    for channel, path in files.items():
        (inputs / channel).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, inputs / channel / path.name)
    if training:
        config = root / "input/config"
        config.mkdir(parents=True)
        hyperparameters = {k: v for k, v in arguments.items() if k == "training"}
        (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
