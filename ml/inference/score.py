"""Score a batch: a pure per-chunk step, and the thin loop that streams chunks into one predictions file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ml.artifacts.local import file_sha256
from ml.train.train import ModelBundle


def score_batch(model: ModelBundle, batch: pd.DataFrame, id_column: str, model_version: int) -> pd.DataFrame:
    """Predictions for one chunk: record id, probability of the positive class, label, model version."""
    probability = model.predict_proba(batch)
    return pd.DataFrame(
        {
            id_column: batch[id_column].to_numpy(),
            "probability": probability.round(6),
            "label": (probability >= model.threshold).astype(int),
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


def write_predictions(
    chunks: Iterable[pd.DataFrame], model: ModelBundle, id_column: str, model_version: int, path: Path
) -> PredictionsSummary:
    """Score chunk by chunk into a temp file and rename it into place only when every chunk succeeded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    rows = positives = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for number, chunk in enumerate(chunks):
                scored = score_batch(model, chunk, id_column, model_version)
                scored.to_csv(handle, index=False, header=number == 0, lineterminator="\n")
                rows += len(scored)
                positives += int(scored["label"].sum())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return PredictionsSummary(str(path), file_sha256(path), rows, positives)
