"""Wiring for `mlops data prepare`: read the source, apply the contract, split, write the files atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ml.artifacts.local import file_sha256, write_bytes_atomically
from ml.config.schema import EnvironmentConfig
from ml.data.io import read_raw_source, write_csv_atomically
from ml.data.prepare import EVALUATION_FILE, ContractResult, apply_data_contract, split_dataset
from ml.errors import DataError

REPORT = "prepare-report.json"
TRAIN_PARTS = {"part1": "train-part1.csv", "part2": "train-part2.csv"}


@dataclass(frozen=True)
class PrepareSummary:
    """What `mlops data prepare` wrote and why rows were changed or dropped."""

    output_dir: Path
    row_counts: dict[str, int]
    contract: ContractResult
    source_sha256: str
    file_sha256: dict[str, str]

    @property
    def evaluation_sha256(self) -> str:
        """The digest that identifies the locked evaluation set in every version's registry entry."""
        return self.file_sha256[EVALUATION_FILE]


def prepare_sample_data(config: EnvironmentConfig, source: Path, output_dir: Path) -> PrepareSummary:
    """Prepare train-part1, train-part2, batch and batch-outliers from the configured source file."""
    spec = config.dataset
    digest = file_sha256(source) if source.is_file() else ""
    if spec.sha256 and digest and digest != spec.sha256:
        raise DataError(
            f"{source}: sha256 is {digest}, but dataset.sha256 in the environment file says {spec.sha256}; "
            "restore the original file or update dataset.sha256 after review"
        )
    contract = apply_data_contract(read_raw_source(source, spec), spec, str(source))
    splits = split_dataset(contract.data, spec, config.split)
    counts = {name: len(frame) for name, frame in splits.files().items()}
    report = {
        "source": str(source),
        "source_sha256": digest,
        "rows_in": contract.rows_in,
        "rows_dropped": contract.rows_dropped,
        "policy_counts": [asdict(c) for c in contract.counts],
        "row_counts": counts,
        "split": config.split.model_dump(),
    }
    files = {name: _integers_as_integers(frame) for name, frame in splits.files().items()}
    digests = _write_all_or_nothing(files, report, output_dir)
    return PrepareSummary(output_dir, counts, contract, digest, digests)


def _write_all_or_nothing(files: dict[str, pd.DataFrame], report: dict, output_dir: Path) -> dict[str, str]:
    """Write every file into a staging folder first, then rename them into place, the report last;
    return each file's SHA-256 (also recorded in the report under `sha256`).

    A failure while writing (the slow, fallible part) leaves the previous files untouched; the renames
    that follow are metadata operations in one folder, and the report written last marks a complete set.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output_dir, prefix=".prepare-"))
    try:
        for name, frame in files.items():
            write_csv_atomically(frame, staging / name)
        digests = {name: file_sha256(staging / name) for name in files}
        document = json.dumps({**report, "sha256": digests}, indent=2).encode() + b"\n"
        write_bytes_atomically(staging / REPORT, document)
        for name in [*files, REPORT]:
            os.replace(staging / name, output_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return digests


def resolve_training_files(selector: tuple[str, ...], data_dir: Path) -> list[Path]:
    """Turn `part1`, `part1+part2` or explicit paths into the files to train on."""
    paths = []
    for item in selector:
        for name in item.split("+"):
            if name in TRAIN_PARTS:
                paths.append(data_dir / TRAIN_PARTS[name])
            elif "/" in name or "." in name:
                paths.append(Path(name))
            else:
                raise DataError(
                    f"--data {item}: {name!r} is neither a prepared part ({', '.join(TRAIN_PARTS)}) "
                    "nor a CSV path; use e.g. --data part1+part2 or --data path/to/train.csv"
                )
    return paths


def _integers_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """Write integral float columns as integers (missing stays empty), so files read as people wrote them."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype.kind == "f" and ((values.dropna() % 1) == 0).all():
            out[column] = values.astype("Int64")
    return out
