"""Read a batch as `mlops infer` does (fast path, strict reader on doubt), for the hostile-input tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ml.config.schema import DatasetSpec
from ml.data.io import BatchTypeError, iter_batch_chunks, iter_csv_chunks
from ml.errors import DataError

HEADER = "record_id,Age,Shape,Margin,Density\n"


@dataclass(frozen=True)
class Reading:
    """What the readers made of a file: the chunks, or the data error that refused it, and the path taken."""

    frame: pd.DataFrame | None
    error: str | None
    fast: bool  # True when the fast path gave the answer without the strict reader


def read_batch(path: Path, spec: DatasetSpec, chunk_rows: int = 3) -> Reading:
    """Every chunk of the batch joined, or the refusal; mirrors `check_and_score`'s fallback."""
    try:
        return Reading(_joined(iter_batch_chunks(path, spec, chunk_rows)), None, True)
    except BatchTypeError:
        pass
    except DataError as exc:
        return Reading(None, str(exc), True)
    return strict_batch(path, spec, chunk_rows)


def strict_batch(path: Path, spec: DatasetSpec, chunk_rows: int = 3) -> Reading:
    """The strict reader alone."""
    try:
        return Reading(_joined(iter_csv_chunks(path, spec, chunk_rows)), None, False)
    except DataError as exc:
        return Reading(None, str(exc), False)


def _joined(chunks) -> pd.DataFrame:
    frames = list(chunks)
    return pd.concat(frames) if frames else pd.DataFrame()
