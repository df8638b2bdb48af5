"""What a job in the image talks through, and the pipeline parameters it builds from the environment file.

A job with network access (jobs.py says which) gets the environment's real services: the S3 artifact
store (SSE-KMS), the central SageMaker registry, SNS. A job under network isolation gets a store below its
own folders (SageMaker copies the inputs in and the outputs out) and a notifier writing into its reports;
whatever it must tell people, the pipeline's failed step tells through EventBridge.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ml.artifacts import ArtifactRef, ArtifactStore
from ml.artifacts.codecs import encode_files, put_content
from ml.artifacts.local import LocalArtifactStore, file_sha256
from ml.config.schema import EnvironmentConfig, QualityGate, TrainingConfig
from ml.errors import ArtifactIntegrityError, ConfigError, DataError
from ml.notify import Notifier
from ml.orchestration.sagemaker.jobs import DATA_CHANNELS, Job
from ml.orchestration.sagemaker.naming import COMMIT_VARIABLE
from ml.registry import ApprovalStatus, ModelRegistry, ModelVersion
from ml.spec import PipelineSpec

if TYPE_CHECKING:
    from ml.orchestration.sagemaker.container import JobPaths


class ChannelArtifactStore(LocalArtifactStore):
    """Writes below the job's own output; reads what it wrote or, by digest, a file in an input channel.

    SageMaker copies an object `.../sha256/ab/<digest>` into a channel as a file named `<digest>`.
    """

    def __init__(self, root: Path, inputs: Path) -> None:
        super().__init__(root)
        self.inputs = inputs

    def get_bytes(self, ref: ArtifactRef) -> bytes:
        if not self.exists(ref.key):
            name = Path(ref.key).name
            found = sorted(self.inputs.rglob(name)) if self.inputs.is_dir() else []
            if found:
                self.put_bytes(ref.key, found[0].read_bytes())
        return super().get_bytes(ref)


@dataclass
class JobServices:
    """The job's store, notifier and registry, and how it builds the pipeline's parameters."""

    config: EnvironmentConfig
    job: Job
    paths: JobPaths
    arguments: Mapping[str, str]
    artifacts: ArtifactStore
    notifier: Notifier
    registry: ModelRegistry | None
    input_digests: dict[str, str] = field(default_factory=dict)
    handover: list[str] = field(default_factory=list)  # parameters loaded here that later jobs read

    def parameters(self, names: list[str], given: Mapping[str, Any]) -> dict[str, Any]:
        """Build the named pipeline parameters; `given` holds what earlier jobs handed over."""
        values: dict[str, Any] = {}
        if {"training_data", "registration"} & set(names):
            values.update(self._training_data())
        available = {**given, **values}
        builders: dict[str, Callable[[], Any]] = {
            "dataset_spec": lambda: self.config.dataset,
            "training_params": self._training_params,
            "quality_gate": self._quality_gate,
            "monitoring_params": lambda: self.config.monitoring,
            "registry": self._registry,
            "artifacts": lambda: self.artifacts,
            "model_group": lambda: self.config.model_group,
            "batch": self._batch,
            "predictions_path": self._predictions_path,
            "evaluation_set": lambda: self._evaluation_set(available["training_data"]),
        }
        for name in names:
            if name not in values:
                if name not in builders:
                    raise ConfigError(f"job {self.job.name}: no way to build pipeline parameter {name!r}")
                values[name] = builders[name]()
        return values

    def lambda_outputs(self) -> dict[str, Any]:
        """The approved version the resolve Lambda returned, as the steps after it read it."""
        if "ArtifactDigest" not in self.arguments:
            return {}
        baseline = {
            "statistics.json": self.arguments["StatisticsDigest"],
            "constraints.json": self.arguments["ConstraintsDigest"],
        }
        version = ModelVersion(
            model_group=self.config.model_group,
            version=int(self.arguments["ModelVersion"]),
            status=ApprovalStatus.APPROVED,
            artifact_digest=self.arguments["ArtifactDigest"],
            artifact_uri=self.arguments.get("ArtifactUri", ""),
            metrics={},
            parameters={},
            lineage={"baseline": baseline},
            created_by="",
            created_at="",
        )
        return {"model_version": version}

    def persist_handed_over(self, spec: PipelineSpec, values: dict[str, Any]) -> None:
        """Store artifacts an earlier job produced in this job's store, so steps here get their `.refs`."""
        for name, kind in spec.artifacts.items():
            if name in values and f"{name}.refs" not in values:
                files = encode_files(kind, name, values[name])
                values[f"{name}.refs"] = {
                    file: put_content(self.artifacts, data) for file, data in files.items()
                }

    def _registry(self) -> ModelRegistry:
        if self.registry is None:
            raise ConfigError(
                f"job {self.job.name} runs under network isolation and cannot reach the registry"
            )
        return self.registry

    def _training_params(self) -> TrainingConfig:
        given = self.arguments.get("training")  # the training job's hyperparameters
        return TrainingConfig.model_validate(json.loads(given)) if given else self.config.training

    def _quality_gate(self) -> QualityGate:
        given = self.arguments.get("MinAuc")
        return QualityGate(min_auc=float(given)) if given else self.config.quality_gate

    def _training_data(self) -> dict[str, Any]:
        from ml.orchestration.workflows import load_training_data, registration_context

        uris = [uri.strip() for uri in self.arguments.get("TrainingData", "").split(",") if uri.strip()]
        if not uris:
            raise ConfigError(
                f"job {self.job.name}: argument TrainingData (comma-separated S3 URIs) is empty"
            )
        created_by = self._created_by()
        files = fetch_s3_objects(uris, self.paths.inputs / "training", self.config.aws.region)
        data, by_path = load_training_data(self.config, files, print)
        digests = {uri: by_path[str(path)] for uri, path in zip(uris, files, strict=True)}
        self.input_digests.update(digests)
        code = {"git_commit": os.environ.get(COMMIT_VARIABLE) or "unknown", "git_dirty": False}
        self.handover.extend(["training_data", "registration"])
        return {
            "training_data": data,
            "registration": registration_context(self.config, digests, created_by, code),
        }

    def _created_by(self) -> str:
        """Who started the run (pipeline parameter CreatedBy): separation of duties compares the approver
        with it, so a run that does not say is refused rather than recorded under the container's user."""
        created_by = self.arguments.get("CreatedBy", "").strip()
        if not created_by:
            raise ConfigError(
                f"job {self.job.name}: argument CreatedBy (who started the run) is empty; "
                "run `mlops pipelines upsert` so the train pipeline passes it"
            )
        return created_by

    def _evaluation_set(self, training: Any) -> Any:
        """The locked set from its channel, loaded and checked as `mlops train` does (the same digest)."""
        from ml.orchestration.workflows import load_evaluation_set

        files = self._channel_files("evaluation_set")
        if len(files) != 1:
            raise ConfigError(
                f"job {self.job.name}: EvaluationData must name one CSV object (sagemaker.data.evaluation); "
                f"found {[path.name for path in files] or 'nothing'} in {self._channel('evaluation_set')}"
            )
        evaluation = load_evaluation_set(self.config, files[0], training)
        self.input_digests[evaluation.source] = evaluation.sha256
        return evaluation

    def _batch(self) -> Any:
        from ml.orchestration.sagemaker.shards import ShardedBatch

        files = self._batch_files()
        if len({path.suffix.lower() for path in files}) != 1:
            raise ConfigError(
                f"job {self.job.name}: BatchData must name CSV or Parquet objects of one format; found "
                f"{[path.name for path in files] or 'nothing'} in {self._channel('batch')}"
            )
        self.input_digests.update({path.name: file_sha256(path) for path in files})
        mine = frozenset(self.paths.host().share(files))
        return ShardedBatch(tuple(files), mine, self.config.dataset, self.config.monitoring.chunk_rows)

    def _batch_files(self) -> list[Path]:
        return self._channel_files("batch")

    def _channel(self, parameter: str) -> Path:
        return self.paths.inputs / DATA_CHANNELS[parameter].channel

    def _channel_files(self, parameter: str) -> list[Path]:
        """The objects SageMaker copied into the data channel of a spec parameter (jobs.DATA_CHANNELS)."""
        folder = self._channel(parameter)
        return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []

    def _predictions_path(self) -> Path:
        files = self._batch_files()
        parquet = bool(files) and files[0].suffix.lower() in (".parquet", ".pq")
        return self.paths.output("predictions") / ("predictions.parquet" if parquet else "predictions.csv")


def build_job_services(
    config: EnvironmentConfig, job: Job, paths: JobPaths, arguments: Mapping[str, str]
) -> JobServices:
    """The services a job gets: the environment's own with network access, its folders without."""
    arguments = {**_hyperparameters(paths), **arguments}
    if not job.network:
        from ml.notify.log import LogNotifier

        store = ChannelArtifactStore(paths.output("reports") / "artifacts", paths.inputs)
        notifier = LogNotifier(paths.output("reports") / "notifications.jsonl")
        return JobServices(config, job, paths, arguments, store, notifier, None)
    from ml.orchestration.services import build_sagemaker_artifacts, build_sagemaker_notifier
    from ml.orchestration.services import build_sagemaker_registry as registry

    return JobServices(
        config,
        job,
        paths,
        arguments,
        build_sagemaker_artifacts(config),
        build_sagemaker_notifier(config),
        registry(config, None),  # type: ignore[arg-type]
    )


def _hyperparameters(paths: JobPaths) -> dict[str, str]:
    """A training job's hyperparameters (SageMaker writes them as strings); empty for processing jobs."""
    path = paths.root / "input/config/hyperparameters.json"
    return {k: str(v) for k, v in json.loads(path.read_text()).items()} if path.is_file() else {}


def fetch_s3_objects(uris: list[str], folder: Path, region: str) -> list[Path]:
    """Download each s3:// URI into `folder` (the job reads its training data itself: see jobs.py)."""
    from ml.aws import build_client

    client = build_client("s3", region=region)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index, uri in enumerate(uris):
        if not uri.startswith("s3://") or "/" not in uri[5:]:
            raise ConfigError(f"TrainingData: {uri!r} is not an s3://bucket/key URI")
        bucket, key = uri[5:].split("/", 1)
        target = folder / f"{index:02d}-{Path(key).name}"
        try:
            client.download_file(bucket, key, str(target))
        except ClientError as error:
            raise DataError(
                f"TrainingData: {uri} cannot be read: {error}; check the URI and the role"
            ) from None
        files.append(target)
    if not files:
        raise ArtifactIntegrityError("no training data was fetched")
    return files
