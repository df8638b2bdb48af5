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
from ml.orchestration.sagemaker.jobs import DATA_CHANNELS, Job, plan_jobs

# What the builder gives the training job (steps.py).
HYPERPARAMETERS = ("training", "TrainingData", "CreatedBy")


@dataclass
class SimulatedRun:
    """Each job's folder (one per instance) and result (the first instance's), in order."""

    roots: dict[str, list[Path]] = field(default_factory=dict)
    results: dict[str, RunResult] = field(default_factory=dict)

    def reports(self, job: str, instance: int = 0) -> Path:
        root = self.roots[job][instance]
        return root / ("model" if (root / "model").is_dir() else "processing/output") / "reports"

    def verdict(self, condition: str) -> dict:
        """The property file a job wrote for the ConditionStep `condition`."""
        documents = [
            json.loads(path.read_text())
            for job, roots in self.roots.items()
            for index in range(len(roots))
            if (path := self.reports(job, index) / f"{condition}.json").is_file()
        ]
        assert documents and all(d == documents[0] for d in documents), "instances disagree on the verdict"
        return documents[0]


def simulate(
    pipeline: str,
    workdir: Path,
    run_id: str,
    arguments: Mapping[str, str],
    channels: Mapping[str, Mapping[str, list[Path]]] | None = None,
    instances: Mapping[str, int] | None = None,
    data: Mapping[str, list[Path]] | None = None,
) -> SimulatedRun:
    """Run every container job of `pipeline`; `channels[job][name]` are files SageMaker would copy in,
    `data[parameter]` the objects of a data set's pipeline parameter, which reach the job that reads it as
    the builder wires it (jobs.DATA_CHANNELS), `instances[job]` how many instances run it (each gets every
    channel file: FullyReplicated).

    Stops after a job whose condition rejected (the ConditionStep's FailStep would end the execution).
    """
    run = SimulatedRun()
    jobs = [job for job in plan_jobs(pipeline_spec(pipeline)) if job.kind != "lambda"]
    for job in jobs:
        hosts = [f"algo-{n}" for n in range(1, (instances or {}).get(job.name, 1) + 1)]
        run.roots[job.name] = []
        for host in hosts:
            root = workdir / job.name / host
            files = {**(channels or {}).get(job.name, {}), **_data_channels(job, data or {})}
            _lay_out(job, root, run, jobs, files, arguments)
            resources = {"current_host": host, "hosts": hosts}
            config = root / ("input/config" if job.kind == "training" else "config")
            config.mkdir(parents=True, exist_ok=True)
            (config / "resourceconfig.json").write_text(json.dumps(resources))
            # A training job gets no arguments: only what its hyperparameters.json holds (see _lay_out).
            given = {} if job.kind == "training" else arguments
            result = run_job(JobRequest(pipeline, job.name, "dev", run_id, given, root), lambda m: None)
            run.roots[job.name].append(root)
            run.results.setdefault(job.name, result)
        if run.results[job.name].status != "succeeded":
            break
    return run


def _data_channels(job: Job, data: Mapping[str, list[Path]]) -> dict[str, list[Path]]:
    return {DATA_CHANNELS[name].channel: files for name, files in data.items() if name in job.reads}


def _lay_out(job: Job, root: Path, run: SimulatedRun, jobs: list[Job], files, arguments) -> None:
    training = job.kind == "training"
    inputs = root / ("input/data" if training else "processing/input")
    for earlier in jobs[: jobs.index(job)]:
        if earlier.kind == "training":  # SageMaker packs /opt/ml/model into model.tar.gz
            (inputs / earlier.name).mkdir(parents=True)
            with tarfile.open(inputs / earlier.name / "model.tar.gz", "w:gz") as archive:
                for item in (run.roots[earlier.name][0] / "model").iterdir():
                    archive.add(item, arcname=item.name)
            continue
        for source in run.roots[earlier.name]:  # every instance uploads into the same state prefix
            shutil.copytree(source / "processing/output/state", inputs / earlier.name, dirs_exist_ok=True)
    for channel, paths in files.items():
        (inputs / channel).mkdir(parents=True, exist_ok=True)
        for path in paths:
            shutil.copyfile(path, inputs / channel / path.name)
    if training:
        config = root / "input/config"
        config.mkdir(parents=True)
        hyperparameters = {k: v for k, v in arguments.items() if k in HYPERPARAMETERS}
        (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
