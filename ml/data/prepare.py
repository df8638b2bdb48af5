"""Pure steps that turn the raw data set into the four prepared files, under the data contract's policies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.config.schema import DatasetSpec, OutlierParams, SplitParams
from ml.errors import DataError

EVALUATION_FILE = "evaluation.csv"


@dataclass(frozen=True)
class PolicyCount:
    """How many rows had one kind of bad value in one column, and what the policy did with them."""

    column: str
    reason: str  # "missing" or "invalid"
    rows: int
    action: str  # impute / drop / ignore


@dataclass(frozen=True)
class ContractResult:
    """Rows that satisfy the data contract, with a count of every bad value found on the way."""

    data: pd.DataFrame
    counts: tuple[PolicyCount, ...]
    rows_in: int

    @property
    def rows_dropped(self) -> int:
        return self.rows_in - len(self.data)


def apply_data_contract(frame: pd.DataFrame, spec: DatasetSpec, source: str) -> ContractResult:
    """Count missing and out-of-domain values per column and apply each column's declared policy.

    Raises:
        DataError: a column whose policy is `fail` has a bad value; names the source, column and row.
    """
    drop = np.zeros(len(frame), dtype=bool)
    counts = []
    for column in spec.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        missing = values.isna().to_numpy()
        invalid = ~missing & ~values.map(lambda v, c=column: c.is_valid_value(v)).to_numpy(dtype=bool)
        for reason, mask, action in (
            ("missing", missing, column.on_missing),
            ("invalid", invalid, column.on_invalid),
        ):
            if not mask.any():
                continue
            if action == "fail":
                row = int(mask.nonzero()[0][0])
                raise DataError(
                    f"{source}: record {frame.iloc[row, 0]}: column {column.name!r} is {reason} "
                    f"({_plain(values.iloc[row])!r}); the contract says on_{reason}: fail. Fix the data or "
                    f"change dataset.columns[{column.name}].on_{reason} in the environment file"
                )
            counts.append(PolicyCount(column.name, reason, int(mask.sum()), action))
            if action == "drop":
                drop |= mask
    return ContractResult(frame.loc[~drop].reset_index(drop=True), tuple(counts), len(frame))


@dataclass(frozen=True)
class PreparedSplits:
    """The files of the sample workflow: training parts, the batch with its ground truth and outliers, and
    the locked evaluation set no version trains on."""

    train_part1: pd.DataFrame
    train_part2: pd.DataFrame
    batch: pd.DataFrame
    batch_outliers: pd.DataFrame
    batch_labels: pd.DataFrame
    evaluation: pd.DataFrame

    def files(self) -> Mapping[str, pd.DataFrame]:
        return {
            "train-part1.csv": self.train_part1,
            "train-part2.csv": self.train_part2,
            "batch.csv": self.batch,
            "batch-outliers.csv": self.batch_outliers,
            "batch-labels.csv": self.batch_labels,
            EVALUATION_FILE: self.evaluation,
        }


def stratified_partition(labels: np.ndarray, fractions: list[float], seed: int) -> list[np.ndarray]:
    """Split row positions into len(fractions) groups, each with the label mix of the whole, reproducibly."""
    if any(f <= 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions {fractions} must be positive and add up to 1, else groups overlap")
    rng = np.random.default_rng(seed)
    groups: list[list[np.ndarray]] = [[] for _ in fractions]
    for value in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == value))
        bounds = np.round(np.cumsum(fractions)[:-1] * len(rows)).astype(int)
        for group, part in zip(groups, np.split(rows, bounds), strict=True):
            group.append(part)
    return [np.sort(np.concatenate(parts)) for parts in groups]


def split_dataset(clean: pd.DataFrame, spec: DatasetSpec, params: SplitParams) -> PreparedSplits:
    """Split clean rows into train-part1/part2, a batch and the locked evaluation set (stratified on the
    label); derive the outliers."""
    label = spec.label.name
    if clean.empty:
        raise DataError(
            "no rows left after applying the data contract; check the source file and its policies"
        )
    fractions = [params.train_part1, params.train_part2, params.batch, params.evaluation]
    part1, part2, batch_rows, locked = stratified_partition(clean[label].to_numpy(), fractions, params.seed)
    columns = [spec.id_column, *spec.feature_names]
    batch = clean.iloc[batch_rows][columns].reset_index(drop=True)
    train_columns = [*columns, label]
    return PreparedSplits(
        train_part1=clean.iloc[part1][train_columns].reset_index(drop=True),
        train_part2=clean.iloc[part2][train_columns].reset_index(drop=True),
        batch=batch,
        batch_outliers=inject_outliers(batch, spec, params.outliers, params.seed),
        batch_labels=clean.iloc[batch_rows][[spec.id_column, label]].reset_index(drop=True),
        evaluation=clean.iloc[locked][train_columns].reset_index(drop=True),
    )


def inject_outliers(batch: pd.DataFrame, spec: DatasetSpec, params: OutlierParams, seed: int) -> pd.DataFrame:
    """Copy the batch with impossible values, unknown category codes and shifted distributions injected."""
    rng = np.random.default_rng(seed + 1)
    out = batch.copy()
    for column, amount in params.shift.items():
        out[column] = out[column] + amount
    rows = rng.choice(
        len(out), size=max(1, round(params.impossible_value_fraction * len(out))), replace=False
    )
    for column, value in params.impossible_values.items():
        out.loc[rows, column] = value
    categorical = [c.name for c in spec.features if c.type == "categorical"]
    if categorical:
        count = max(1, round(params.unknown_code_fraction * len(out)))
        for row in rng.choice(len(out), size=count, replace=False):
            out.loc[row, categorical[rng.integers(len(categorical))]] = params.unknown_code
    return out


def _plain(value):
    """A numpy scalar as the Python number people wrote (7.0, not np.float64(7.0))."""
    return value.item() if hasattr(value, "item") else value
