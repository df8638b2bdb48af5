"""Split the training data and fit the feature transform — on the training split only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml.config.schema import DatasetSpec, TrainingConfig
from ml.data.prepare import stratified_partition


@dataclass(frozen=True)
class TrainingSplit:
    """Rows for fitting, for early stopping, and held out for evaluation."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


def split_for_training(data: pd.DataFrame, spec: DatasetSpec, params: TrainingConfig) -> TrainingSplit:
    """Stratified, seeded train/validation/test split of the training data."""
    labels = data[spec.label.name].to_numpy()
    rest = 1.0 - params.test_fraction - params.validation_fraction
    train, validation, test = stratified_partition(
        labels, [rest, params.validation_fraction, params.test_fraction], params.seed
    )
    rows = [data.iloc[part].reset_index(drop=True) for part in (train, validation, test)]
    return TrainingSplit(*rows)


@dataclass(frozen=True)
class Preprocessor:
    """Imputation and one-hot encoding learned from the training split and applied unchanged everywhere else.

    The reference implementation fitted its imputer on the whole data set before splitting, which leaks test
    rows into training; this one only ever sees `TrainingSplit.train`.
    """

    numeric_fill: dict[str, float]
    categorical_codes: dict[str, list[int]]
    categorical_fill: dict[str, int]
    features: list[str]

    @property
    def encoded_names(self) -> list[str]:
        names = []
        for feature in self.features:
            if feature in self.categorical_codes:
                names.extend(f"{feature}={code}" for code in self.categorical_codes[feature])
            else:
                names.append(feature)
        return names

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """A float32 matrix; an unknown category code encodes as all zeros (the check flags it)."""
        blocks = []
        for feature in self.features:
            values = pd.to_numeric(frame[feature], errors="coerce").to_numpy(dtype="float64")
            if feature in self.categorical_codes:
                values = np.where(np.isnan(values), self.categorical_fill[feature], values)
                codes = np.asarray(self.categorical_codes[feature], dtype="float64")
                blocks.append(values[:, None] == codes[None, :])
            else:
                blocks.append(np.where(np.isnan(values), self.numeric_fill[feature], values)[:, None])
        with np.errstate(
            over="ignore"
        ):  # beyond float32 becomes inf, which scoring refuses with a clear error
            return np.hstack(blocks).astype("float32")

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric_fill": self.numeric_fill,
            "categorical_codes": self.categorical_codes,
            "categorical_fill": self.categorical_fill,
            "features": self.features,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessor:
        return cls(**data)


def fit_preprocessor(split: TrainingSplit, spec: DatasetSpec) -> Preprocessor:
    """Learn medians (numeric) and most frequent codes (categorical) from the train split alone."""
    numeric_fill, codes, categorical_fill = {}, {}, {}
    for column in spec.features:
        present = split.train[column.name].dropna()
        if column.type == "categorical":
            codes[column.name] = list(column.values or [])
            categorical_fill[column.name] = (
                int(present.mode().min()) if len(present) else codes[column.name][0]
            )
        else:
            numeric_fill[column.name] = float(present.median()) if len(present) else 0.0
    return Preprocessor(numeric_fill, codes, categorical_fill, spec.feature_names)
