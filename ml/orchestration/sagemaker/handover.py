"""Values one job hands to the next: written to its state output, read from the next job's input channel.

Both jobs run the same image (the same code and libraries), so values are pickled; each file's SHA-256 is
kept in a manifest and checked before unpickling, so only bytes this pipeline wrote are ever loaded (the
folder travels through the environment's KMS-encrypted bucket). Staged predictions are a file, not a
value: the file travels beside the manifest and is staged again where the next job publishes.
"""

from __future__ import annotations

import json
import pickle
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ml.artifacts.local import file_sha256
from ml.errors import ArtifactIntegrityError
from ml.inference.score import PredictionWriter

MANIFEST = "handover.json"


def save_values(values: Mapping[str, Any], names: Iterable[str], folder: Path) -> None:
    """Write `names` of `values` into `folder` with a manifest of their digests."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict[str, Any]] = {}
    for name in names:
        value = values[name]
        if isinstance(value, PredictionWriter):
            target = folder / f"{name}.staged{value.final.suffix}"
            if value.rows:  # a shard with no objects of its own to score staged nothing
                shutil.copyfile(value.path, target)
            else:
                target.write_bytes(b"")
            entry = {"predictions": target.name, "rows": value.rows, "positives": value.positives}
        else:
            target = folder / f"{name}.pickle"
            target.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            entry = {"pickle": target.name}
        manifest[name] = {**entry, "sha256": file_sha256(target)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def load_values(folder: Path, predictions_path: Path | None = None) -> dict[str, Any]:
    """Read the values a job handed over; staged predictions are staged again for `predictions_path`.

    Raises:
        ArtifactIntegrityError: the manifest is missing, or a file is missing or differs from its digest.
    """
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ArtifactIntegrityError(f"{folder}: no {MANIFEST}; the job before this one wrote no hand-over")
    values: dict[str, Any] = {}
    for name, entry in json.loads(manifest_path.read_text()).items():
        source = folder / (entry.get("pickle") or entry["predictions"])
        if not source.is_file() or file_sha256(source) != entry["sha256"]:
            raise ArtifactIntegrityError(f"{source}: missing or changed since its job wrote it")
        if "pickle" in entry:
            values[name] = pickle.loads(source.read_bytes())
        else:
            values[name] = _restage(source, entry, predictions_path or folder / "predictions.csv")
    return values


def load_shards(folder: Path, predictions_path: Path) -> dict[str, Any]:
    """The hand-over of a job that ran on one or more instances (`folder/<host>/`), shards merged.

    Every instance computed the same values except its share of the predictions: the values come from the
    first host, the staged predictions of all hosts are joined in host order.
    """
    from ml.orchestration.sagemaker.shards import merge_staged

    hosts = sorted(path for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []
    if not hosts:
        raise ArtifactIntegrityError(f"{folder}: no hand-over; the job before this one wrote none")
    scratch = Path(tempfile.mkdtemp(prefix="shards-"))
    shards = [load_values(host, scratch / host.name / predictions_path.name) for host in hosts]
    values = dict(shards[0])
    for name, value in values.items():
        if isinstance(value, PredictionWriter):
            final = predictions_path.with_suffix(value.final.suffix)
            values[name] = merge_staged([shard[name] for shard in shards], final)
    return values


def _restage(source: Path, entry: Mapping[str, Any], predictions_path: Path) -> PredictionWriter:
    writer = PredictionWriter(predictions_path.with_suffix(source.suffix))
    writer.rows, writer.positives = int(entry["rows"]), int(entry["positives"])
    if writer.rows:
        writer.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, writer.path)
    return writer
