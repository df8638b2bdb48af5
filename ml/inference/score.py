"""Score a batch: a pure per-chunk step, and a writer that streams scored chunks into a CSV/Parquet file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ml.artifacts.local import file_sha256
from ml.train.train import ModelBundle


def score_batch(model: ModelBundle, batch: pd.DataFrame, id_column: str, model_version: int) -> pd.DataFrame:
    """Predictions for one chunk: record id, probability of the positive class, label, model version."""
    probability = model.predict_proba(batch)
    return pd.DataFrame(
        {
            # The column's own array: `.to_numpy()` would turn Arrow-backed strings into Python objects
            # (0.06 s per million rows) that the writer then converts back.
            id_column: batch[id_column].array,
            "probability": probability.astype("float64").round(6),
            "label": (probability >= model.threshold).astype("int64"),
            "model_version": model_version,
        }
    )


@dataclass(frozen=True)
class PredictionsSummary:
    """Where the predictions went and what they contain."""

    path: str
    sha256: str
    rows: int
    positives: int

    def to_dict(self) -> dict[str, str | int]:
        return {"path": self.path, "sha256": self.sha256, "rows": self.rows, "positives": self.positives}


def staging_path(final: Path) -> Path:
    """Where predictions are written until the batch has passed its check: never mistaken for the result."""
    return final.with_name(f".{final.name}.staged")


class PredictionWriter:
    """Appends scored chunks to a staged CSV or Parquet file (by the final file's suffix) through pyarrow."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self.path = staging_path(final)
        self.rows = self.positives = 0
        self._writer: Any = None

    def write(self, scored: pd.DataFrame) -> None:
        import pyarrow as pa

        table = pa.Table.from_pandas(scored, preserve_index=False)
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = _open_writer(self.path, self.final.suffix, table.schema)
        self._writer.write_table(table)
        self.rows += len(scored)
        self.positives += int(scored["label"].sum())

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def _open_writer(path: Path, suffix: str, schema: Any) -> Any:
    if suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return pq.ParquetWriter(path, schema)
    from pyarrow import csv

    return csv.CSVWriter(path, schema, write_options=csv.WriteOptions(quoting_style="needed"))


def publish_predictions(staged: PredictionWriter) -> PredictionsSummary:
    """Move the staged file into place (one rename), once the batch has passed its check."""
    if staged.rows == 0:
        raise ValueError("no predictions were staged")
    os.replace(staged.path, staged.final)
    return PredictionsSummary(str(staged.final), file_sha256(staged.final), staged.rows, staged.positives)
