"""The one schema every environment file (`configs/<env>/environment.yaml`) is validated against.

Defaults live here, never in code that reads the config; unknown keys are refused so a typo cannot
silently fall back to a default.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(StrictModel):
    """One column of the data set: its role, type, allowed values and what to do with bad values."""

    name: str = Field(min_length=1)
    role: Literal["feature", "label", "excluded"]
    type: Literal["categorical", "numeric"]
    description: str = ""
    values: list[int] | None = Field(default=None, description="allowed integer codes (categorical only)")
    min: float | None = Field(default=None, description="smallest allowed value (numeric only)")
    max: float | None = Field(default=None, description="largest allowed value (numeric only)")
    on_missing: Literal["impute", "drop", "fail", "ignore"] = "fail"
    on_invalid: Literal["drop", "fail", "ignore"] = "fail"

    @model_validator(mode="after")
    def _check_consistent(self) -> ColumnSpec:
        if self.type == "categorical" and not self.values:
            raise ValueError(f"column {self.name!r}: a categorical column needs 'values' (its allowed codes)")
        if self.type == "numeric" and self.values is not None:
            raise ValueError(f"column {self.name!r}: 'values' is for categorical columns; use min/max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"column {self.name!r}: min ({self.min}) is greater than max ({self.max})")
        if self.role != "excluded" and "ignore" in (self.on_missing, self.on_invalid):
            raise ValueError(f"column {self.name!r}: 'ignore' is only allowed for excluded columns")
        if self.role == "label" and self.on_missing == "impute":
            raise ValueError(f"column {self.name!r}: a label cannot be imputed; use drop or fail")
        return self

    def is_valid_value(self, value: float) -> bool:
        """Whether a present (non-missing) value lies in the column's declared domain."""
        if self.type == "categorical":
            return float(value).is_integer() and int(value) in set(self.values or ())
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class DatasetSpec(StrictModel):
    """The data contract: which file, which columns, which label, and how bad values are handled."""

    name: str
    source: str = Field(description="path of the raw file, relative to the repository root")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    header: bool = Field(description="whether the raw file's first line names the columns")
    missing_marker: str = "?"
    id_column: str = "record_id"
    columns: list[ColumnSpec] = Field(min_length=2)

    @model_validator(mode="after")
    def _check_roles(self) -> DatasetSpec:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate column names: {duplicates}")
        if self.id_column in names:
            raise ValueError(f"id_column {self.id_column!r} clashes with a data column of the same name")
        labels = [c for c in self.columns if c.role == "label"]
        if len(labels) != 1:
            raise ValueError(f"exactly one column must have role 'label', found {len(labels)}")
        if labels[0].type != "categorical" or sorted(labels[0].values or []) != [0, 1]:
            raise ValueError(f"label {labels[0].name!r} must be categorical with values [0, 1]")
        if not self.features:
            raise ValueError("at least one column must have role 'feature'")
        return self

    @property
    def label(self) -> ColumnSpec:
        return next(c for c in self.columns if c.role == "label")

    @property
    def features(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.role == "feature"]

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self.features]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


class OutlierParams(StrictModel):
    """How `batch-outliers` is made from `batch`: each kind of injected problem, documented in the README."""

    impossible_value_fraction: Fraction = Field(
        default=0.05, description="share of rows whose numeric features get an impossible value"
    )
    impossible_values: dict[str, float] = Field(
        default_factory=dict, description="feature -> impossible value"
    )
    unknown_code_fraction: Fraction = Field(
        default=0.05, description="share of rows where one categorical feature gets an unknown code"
    )
    unknown_code: int = 9
    shift: dict[str, float] = Field(default_factory=dict, description="feature -> amount added to every row")


class SplitParams(StrictModel):
    """Reproducible, stratified split of the raw file into the four prepared files."""

    seed: int = 20070101
    train_part1: Fraction = 0.45
    train_part2: Fraction = 0.35
    batch: Fraction = 0.20
    outliers: OutlierParams = OutlierParams()

    @model_validator(mode="after")
    def _check_sum(self) -> SplitParams:
        total = self.train_part1 + self.train_part2 + self.batch
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"train_part1 + train_part2 + batch must be 1.0, got {total:g}")
        return self


class XGBoostParams(StrictModel):
    """Hyper-parameters passed to xgboost.train; the seed makes runs reproducible."""

    max_depth: int = Field(default=3, ge=1, le=16)
    eta: float = Field(default=0.1, gt=0, le=1)
    subsample: float = Field(default=0.9, gt=0, le=1)
    colsample_bytree: float = Field(default=1.0, gt=0, le=1)
    min_child_weight: float = Field(default=1.0, ge=0)
    num_boost_round: int = Field(default=300, ge=1)
    early_stopping_rounds: int = Field(default=20, ge=1)
    seed: int = 42
    nthread: int = Field(default=2, ge=1)


class TrainingConfig(StrictModel):
    """Held-out splits, model parameters and evaluation settings of the train pipeline."""

    seed: int = 7
    test_fraction: Fraction = 0.2
    validation_fraction: Fraction = 0.15
    threshold: Fraction = Field(default=0.5, description="probability above which a lesion is malignant")
    bootstrap_rounds: int = Field(default=1000, ge=100)
    xgboost: XGBoostParams = XGBoostParams()


class QualityGate(StrictModel):
    """A model is registered only when its held-out metrics meet these minimums."""

    min_auc: float = Field(default=0.75, ge=0.5, le=1.0)


class MonitoringConfig(StrictModel):
    """Data-quality check settings, in SageMaker Model Monitor's own terms."""

    comparison_method: Literal["Robust", "Simple"] = "Robust"
    comparison_threshold: float = Field(default=0.1, gt=0, le=1)
    datatype_check_threshold: float = Field(default=1.0, ge=0, le=1)
    domain_content_threshold: float = Field(default=1.0, ge=0, le=1)
    completeness_threshold: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="lowest share of non-missing values before a completeness violation",
    )
    chunk_rows: int = Field(default=50_000, ge=100, description="rows read and scored at a time")


class ReactionsConfig(StrictModel):
    """What happens when a scheduled batch violates its baseline."""

    retrain_on_violation: bool = True
    retrain_data: list[str] = Field(default_factory=lambda: ["part1", "part2"], min_length=1)


class LocalBackendConfig(StrictModel):
    """Where the embedded backend keeps its registry, artifacts, runs and notification log."""

    work_dir: str = Field(default="mlops-work", description="relative to the current directory")


class EnvironmentConfig(StrictModel):
    """One environment (`configs/<name>/environment.yaml`), complete: no overlays, no hidden defaults."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    backend: Literal["local", "sagemaker"]
    project: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    model_group: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    local: LocalBackendConfig = LocalBackendConfig()
    dataset: DatasetSpec
    split: SplitParams = SplitParams()
    training: TrainingConfig = TrainingConfig()
    quality_gate: QualityGate = QualityGate()
    monitoring: MonitoringConfig = MonitoringConfig()
    reactions: ReactionsConfig = ReactionsConfig()

    @model_validator(mode="after")
    def _check_outlier_columns(self) -> EnvironmentConfig:
        numeric = {c.name for c in self.dataset.features if c.type == "numeric"}
        outliers = self.split.outliers
        for key, names in (("impossible_values", outliers.impossible_values), ("shift", outliers.shift)):
            unknown = sorted(set(names) - numeric)
            if unknown:
                raise ValueError(
                    f"split.outliers.{key}: {unknown} are not numeric features; use one of {sorted(numeric)}"
                )
        return self
