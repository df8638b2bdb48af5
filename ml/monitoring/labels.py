"""Late labels: read a predictions file and a labels file, and join them by record id.

Nothing is dropped silently. Ids found on one side only are counted, with examples, in the `LabelJoin`,
and every reading error names the file, the column and the line, as `ml/data/io.py` does for batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ml.config.schema import DatasetSpec
from ml.data.csv_text import shown
from ml.data.io import contract_columns, read_strings
from ml.data.values import check_ids, clean_ids, parse_column
from ml.errors import DataError
from ml.registry import MAX_VERSION

PREDICTION_COLUMNS = ("probability", "label", "model_version")
MAX_EXAMPLES = 5
# Joined frame columns; fixed names, so a label column called "label" cannot clash with the prediction's.
JOINED_COLUMNS = ("record_id", "probability", "predicted", "actual", "model_version")


@dataclass(frozen=True)
class UnmatchedIds:
    """Ids present on one side of the join only: how many, and the first few in file order."""

    count: int
    examples: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"count": self.count, "examples": list(self.examples)}


@dataclass(frozen=True)
class LabelJoin:
    """Predictions joined with their true labels, and the ids that could not be joined."""

    joined: pd.DataFrame
    predictions: int
    labels: int
    unmatched_predictions: UnmatchedIds
    unmatched_labels: UnmatchedIds

    @property
    def matched(self) -> int:
        return len(self.joined)

    @property
    def matched_fraction(self) -> float:
        return self.matched / self.predictions if self.predictions else 0.0

    def to_dict(self) -> dict:
        return {
            "predictions": self.predictions,
            "labels": self.labels,
            "matched": self.matched,
            "predictions_without_label": self.unmatched_predictions.to_dict(),
            "labels_without_prediction": self.unmatched_labels.to_dict(),
        }


def read_predictions(path: Path, id_column: str) -> pd.DataFrame:
    """Read a predictions.csv written by `mlops infer`; probabilities in [0, 1], labels 0/1, one row per id.

    Raises:
        DataError: the file is missing, empty or not CSV, lacks a column, holds a bad value or a duplicate
            id; the message names the file, the column and the line.
    """
    columns = [id_column, *PREDICTION_COLUMNS]
    frame = _read_csv(path, columns, columns, id_column)
    frame["probability"] = _numbers(frame, "probability", path, lambda v: (v >= 0) & (v <= 1), "in [0, 1]")
    frame["label"] = _numbers(frame, "label", path, lambda v: np.isin(v, (0, 1)), "0 or 1").astype(int)
    versions = _numbers(frame, "model_version", path, _is_version, f"a version (1 to {MAX_VERSION})")
    frame["model_version"] = versions.astype("int64")
    return frame.reset_index(drop=True)


def _is_version(values: np.ndarray) -> np.ndarray:
    return (values >= 1) & (values <= MAX_VERSION) & (values == np.floor(values))


def read_labels(path: Path, spec: DatasetSpec) -> pd.DataFrame:
    """Read a labels file: the id column and the contract's label column (0/1), one row per id.

    Raises:
        DataError: as `read_predictions`; a missing label is an error too (remove the row until it is known).
    """
    label = spec.label.name
    frame = _read_csv(path, [spec.id_column, label], contract_columns(spec), spec.id_column)
    frame[label] = _numbers(frame, label, path, lambda v: np.isin(v, (0, 1)), "0 or 1").astype(int)
    return frame[[spec.id_column, label]].reset_index(drop=True)


def join_labels(predictions: pd.DataFrame, labels: pd.DataFrame, id_column: str, label: str) -> LabelJoin:
    """Inner-join on the id column, keeping count and examples of the ids only one side has.

    Raises:
        DataError: an id occurs twice in either frame (a join would silently double-count it).
    """
    check_unique_ids(predictions, id_column, "the predictions")
    check_unique_ids(labels, id_column, "the labels")
    right = labels[[id_column, label]].rename(columns={id_column: "record_id", label: "actual"})
    left = predictions[[id_column, *PREDICTION_COLUMNS]].rename(
        columns={id_column: "record_id", "label": "predicted"}
    )
    joined = left.merge(right, on="record_id", how="inner", validate="one_to_one")
    label_ids, prediction_ids = set(right["record_id"]), set(left["record_id"])
    return LabelJoin(
        joined=joined[list(JOINED_COLUMNS)].reset_index(drop=True),
        predictions=len(left),
        labels=len(right),
        unmatched_predictions=_unmatched(left["record_id"], label_ids),
        unmatched_labels=_unmatched(right["record_id"], prediction_ids),
    )


def check_unique_ids(frame: pd.DataFrame, id_column: str, source: str) -> None:
    """Raise DataError naming the source and the first duplicated ids."""
    duplicated = frame[id_column][frame[id_column].duplicated()]
    if not duplicated.empty:
        shown = ", ".join(repr(str(v)) for v in duplicated.unique()[:MAX_EXAMPLES])
        raise DataError(
            f"{source}: column {id_column!r}: id {shown} occurs more than once "
            f"({duplicated.size} duplicate row(s)); every record must appear once to be joined"
        )


def _unmatched(ids: pd.Series, other: set) -> UnmatchedIds:
    missing = [str(v) for v in ids if v not in other]
    return UnmatchedIds(len(missing), tuple(missing[:MAX_EXAMPLES]))


def _read_csv(path: Path, required: Sequence[str], allowed: Sequence[str], id_column: str) -> pd.DataFrame:
    """The shared strict reader (`ml.data.io`): encoding, header, field counts, ids; lines as index."""
    frame = read_strings(path, list(allowed), list(required))
    frame[id_column] = clean_ids(frame[id_column])
    check_ids(frame[id_column], path, id_column)
    check_unique_ids(frame, id_column, str(path))
    return frame


def _numbers(frame: pd.DataFrame, column: str, path: Path, valid, expected: str) -> pd.Series:
    parsed = parse_column(frame[column], missing_marker="")
    with np.errstate(invalid="ignore"):
        good = ~parsed.missing & ~parsed.bad & np.asarray(valid(parsed.values), dtype=bool)
    if not good.all():
        row = int(np.flatnonzero(~good)[0])
        raise DataError(
            f"{path}: line {frame.index[row]}: column {column!r}: {shown(frame[column].iloc[row])} is not "
            f"{expected} ({int((~good).sum())} such value(s) in this column); fix the value or remove the row"
        )
    return pd.Series(parsed.values, index=frame.index)
