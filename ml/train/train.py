"""Train XGBoost with early stopping, and the model bundle that travels from training to scoring."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.config.schema import DatasetSpec, TrainingConfig
from ml.train.preprocess import Preprocessor, TrainingSplit

BUNDLE_FORMAT = "mlops-xgboost-bundle/1"


@dataclass(frozen=True)
class ModelBundle:
    """Everything scoring needs: the fitted transform, the booster, the decision threshold."""

    preprocessor: Preprocessor
    booster_ubj: bytes
    best_iteration: int
    threshold: float
    label: str
    _booster: list[Any] = field(default_factory=list, compare=False, repr=False)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class for every row of `frame` (raw, unencoded features).

        `inplace_predict` reads the float32 matrix directly: building a DMatrix first cost as much as the
        prediction itself (0.26 s of 0.53 s per million rows on 2 cores), with identical results for finite
        input; infinite values, which the DMatrix refused, are refused here too.
        """
        if frame.empty:
            return np.empty(0, dtype="float32")  # xgboost warns about an empty dataset
        matrix = self.preprocessor.transform(frame)
        if not np.isfinite(matrix).all():  # the DMatrix path refused these; inplace_predict would score them
            from ml.errors import DataError

            columns = sorted(
                {self.preprocessor.encoded_names[i] for i in np.argwhere(~np.isfinite(matrix))[:, 1]}
            )
            raise DataError(f"infinite or too-large values in {columns}; such rows cannot be scored")
        return self.booster().inplace_predict(matrix, iteration_range=(0, self.best_iteration + 1))

    def booster(self) -> Any:
        """The loaded xgboost Booster, parsed once per bundle."""
        if not self._booster:
            import xgboost as xgb

            booster = xgb.Booster()
            booster.load_model(bytearray(self.booster_ubj))
            self._booster.append(booster)
        return self._booster[0]

    def to_bytes(self) -> bytes:
        """Deterministic bytes, so the same training run gives the same artifact digest."""
        document = {
            "format": BUNDLE_FORMAT,
            "preprocessor": self.preprocessor.to_dict(),
            "booster_ubj_base64": base64.b64encode(self.booster_ubj).decode("ascii"),
            "best_iteration": self.best_iteration,
            "threshold": self.threshold,
            "label": self.label,
        }
        return json.dumps(document, sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> ModelBundle:
        document = json.loads(data)
        if document.get("format") != BUNDLE_FORMAT:
            raise ValueError(f"not a model bundle of format {BUNDLE_FORMAT}: {document.get('format')!r}")
        return cls(
            preprocessor=Preprocessor.from_dict(document["preprocessor"]),
            booster_ubj=base64.b64decode(document["booster_ubj_base64"]),
            best_iteration=int(document["best_iteration"]),
            threshold=float(document["threshold"]),
            label=document["label"],
        )


def train_model(
    split: TrainingSplit, preprocessor: Preprocessor, spec: DatasetSpec, params: TrainingConfig
) -> ModelBundle:
    """Fit a binary XGBoost classifier on the train split, stopping early on the validation split."""
    import xgboost as xgb

    label = spec.label.name
    names = preprocessor.encoded_names
    hyper = params.xgboost
    # DMatrix construction otherwise uses every core, whatever `nthread` says: on a busy machine that
    # was the slowest part of a small fit.
    dtrain = xgb.DMatrix(
        preprocessor.transform(split.train),
        label=split.train[label],
        feature_names=names,
        nthread=hyper.nthread,
    )
    dvalid = xgb.DMatrix(
        preprocessor.transform(split.validation),
        label=split.validation[label],
        feature_names=names,
        nthread=hyper.nthread,
    )
    booster = xgb.train(
        {
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "max_depth": hyper.max_depth,
            "eta": hyper.eta,
            "subsample": hyper.subsample,
            "colsample_bytree": hyper.colsample_bytree,
            "min_child_weight": hyper.min_child_weight,
            "seed": hyper.seed,
            "nthread": hyper.nthread,
            "tree_method": "hist",
        },
        dtrain,
        num_boost_round=hyper.num_boost_round,
        evals=[(dvalid, "validation")],
        early_stopping_rounds=hyper.early_stopping_rounds,
        verbose_eval=False,
    )
    return ModelBundle(
        preprocessor=preprocessor,
        booster_ubj=bytes(booster.save_raw("ubj")),
        best_iteration=int(booster.best_iteration),
        threshold=params.threshold,
        label=label,
    )
