"""The one schema every environment file (`configs/<env>/environment.yaml`) is validated against.

Defaults live here, never in code that reads the config; unknown keys are refused so a typo cannot
silently fall back to a default.

Kinds: one flat `EnvironmentConfig` with a `kind` field (`workload`: local, dev, prod run the pipelines;
`registry`: the central model-registry account, which runs none) and `backend` (`local` | `sagemaker`).
Sections that only some environments take are optional fields, and `ml/config/kinds.py` says, in one
table, where each section is required and where it is refused. We chose this over a discriminated union
of two models because every caller (`config.dataset`, `config.training`, ...) and
`EnvironmentConfig.model_json_schema()` keep working on one class, and the same table also writes the
`if`/`then` clauses of configs/schema.json. Sections with defaults (training, monitoring, ...) keep
them on a registry file too, but setting them there is an error: a key that takes no effect is refused.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from ml.config.base import StrictModel
from ml.config.dataset import ColumnSpec, DatasetSpec
from ml.config.kinds import (
    add_section_conditions,
    consistency_problems,
    section_problems,
    without_refused_sections,
)
from ml.config.sections import (
    ApprovalsConfig,
    AWSConfig,
    CIConfig,
    GovernanceConfig,
    NotificationsConfig,
    RegistryConfig,
    SageMakerConfig,
    ScheduleConfig,
)
from ml.registry import MODEL_GROUP_PATTERN

# Defined in their own modules, imported from here by callers: `from ml.config.schema import DatasetSpec`.
__all__ = ["ColumnSpec", "DatasetSpec", "StrictModel"]

Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]


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
    """Reproducible, stratified split of the raw file into the prepared files."""

    seed: int = 20070101
    train_part1: Fraction = 0.35
    train_part2: Fraction = 0.30
    batch: Fraction = 0.15
    evaluation: Fraction = Field(
        default=0.20,
        description="locked evaluation set (evaluation.csv): no version trains on it, every version is "
        "scored on it, so champion and challenger are compared on the same rows",
    )
    outliers: OutlierParams = OutlierParams()

    @model_validator(mode="after")
    def _check_sum(self) -> SplitParams:
        total = self.train_part1 + self.train_part2 + self.batch + self.evaluation
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"train_part1 + train_part2 + batch + evaluation must be 1.0, got {total:g}")
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
    cv_folds: int = Field(
        default=10,
        ge=2,
        le=50,
        description="k of the stratified k-fold cross-validated AUC reported with every version",
    )
    xgboost: XGBoostParams = XGBoostParams()

    @model_validator(mode="after")
    def _check_fractions(self) -> TrainingConfig:
        held_out = self.test_fraction + self.validation_fraction
        if held_out >= 0.9:
            raise ValueError(
                f"test_fraction + validation_fraction is {held_out:g}; keep it below 0.9 so the train split "
                "has rows of its own (the splits must not overlap)"
            )
        return self


class QualityGate(StrictModel):
    """A model is registered only when its held-out metrics meet these minimums."""

    min_auc: float = Field(default=0.75, ge=0.5, le=1.0)


class FeatureDriftTestConfig(StrictModel):
    """One feature's overrides of `monitoring.drift_tests`; an unset key keeps the shared value."""

    enabled: bool = True
    min_samples: int | None = Field(default=None, ge=2, description="fewest present batch values to test")
    effect_size_floor: float | None = Field(
        default=None, ge=0, description="in the feature's effect-size unit (see docs/monitoring-drift.md)"
    )


class DriftTestsConfig(StrictModel):
    """Statistical drift tests per feature, beside Model Monitor's distance (docs/monitoring-drift.md)."""

    enabled: bool = True
    alpha: float = Field(default=0.01, gt=0, lt=1, description="false-alarm rate per batch, all features")
    correction: Literal["holm", "benjamini-hochberg"] = "holm"
    min_samples: int = Field(
        default=50, ge=2, description="fewer present batch values: 'not enough data', neither pass nor fail"
    )
    numeric_effect_size_floor: float = Field(
        default=0.1, ge=0, description="Wasserstein-1 distance / baseline std below which no alarm"
    )
    categorical_effect_size_floor: float = Field(
        default=0.05, ge=0, le=1, description="Jensen-Shannon distance (base 2) below which no alarm"
    )
    missing_values_effect_size_floor: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="rise of the missing share (batch minus baseline) below which no completeness alarm",
    )
    features: dict[str, FeatureDriftTestConfig] = Field(default_factory=dict)

    def check_features(self, feature_names: list[str]) -> None:
        """Refuse overrides for names that are not features of the data set."""
        unknown = sorted(set(self.features) - set(feature_names))
        if unknown:
            raise ValueError(
                f"monitoring.drift_tests.features: {unknown} are not features of the dataset; "
                f"use one of {feature_names}"
            )


# Model Monitor documents both spellings of the comparison method (docs/monitoring-drift.md).
COMPARISON_METHODS = {
    "Robust": "Robust",
    "Simple": "Simple",
    "linf_robust": "Robust",
    "linf_simple": "Simple",
}
CHI_SQUARED_REFUSAL = (
    "ChiSquared is not supported: AWS does not document which chi-squared statistic Model Monitor compares "
    "with categorical_comparison_threshold nor in which direction, so no check here could promise its "
    "meaning; use LInfinity (categories are also tested by the chi-squared homogeneity test of "
    "monitoring.drift_tests, with a known false-alarm rate)"
)


class MonitoringConfig(StrictModel):
    """Data-quality check settings, in SageMaker Model Monitor's own terms."""

    comparison_method: Literal["Robust", "Simple"] = "Robust"
    comparison_threshold: float = Field(default=0.1, gt=0, le=1)
    categorical_comparison_threshold: float | None = Field(
        default=None, gt=0, le=1, description="threshold of categorical features; unset: comparison_threshold"
    )
    categorical_drift_method: Literal["LInfinity", "ChiSquared"] = "LInfinity"
    datatype_check_threshold: float = Field(default=1.0, ge=0, le=1)
    domain_content_threshold: float = Field(default=1.0, ge=0, le=1)
    # An absolute floor beside the missing-values test of drift_tests (which sees smaller rises against the
    # baseline's observed share). Density is missing in ~8% of the sample's rows: 0.9 failed 12-16% of clean
    # 200-row batches on sampling noise alone; at 0.8 a clean batch is ~6 standard deviations away.
    completeness_threshold: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="absolute floor of the share of non-missing values (our extension; 0 switches it off)",
    )
    # `mlops infer` on 10M rows, CSV / Parquet (benchmarks/README.md, "Batch scoring vs rows"): chunks of
    # 25k 6.5 / 5.9 s, peak 296 / 383 MB; 50k 5.5 / 5.2 s, 319 / 410 MB; 100k 4.9 / 4.8 s, 400 / 420 MB;
    # 200k 4.9 / 4.3 s, 534 / 470 MB. Up to 1M rows the size changes little (within 7%).
    chunk_rows: int = Field(default=100_000, ge=100, description="rows read and scored at a time")
    drift_tests: DriftTestsConfig = DriftTestsConfig()

    @field_validator("comparison_method", mode="before")
    @classmethod
    def _canonical_method(cls, value: object) -> object:
        return COMPARISON_METHODS.get(value, value) if isinstance(value, str) else value

    @field_validator("categorical_drift_method")
    @classmethod
    def _refuse_chi_squared(cls, value: str) -> str:
        if value == "ChiSquared":
            raise ValueError(CHI_SQUARED_REFUSAL)
        return value


class ModelQualityConfig(StrictModel):
    """Model-quality check of a scored batch once its true labels arrive (`mlops monitor quality`)."""

    max_auc_drop: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="largest allowed fall of the batch AUC below the scoring version's held-out AUC",
    )
    # Only metrics where higher is better: each floor becomes a LessThanThreshold constraint.
    minimums: dict[
        Literal[
            "accuracy",
            "precision",
            "recall",
            "true_positive_rate",
            "true_negative_rate",
            "f0_5",
            "f1",
            "f2",
            "auc",
        ],
        Annotated[float, Field(ge=0, le=1)],
    ] = Field(
        default_factory=dict,
        description="optional absolute floors per Model Monitor metric name, e.g. {auc: 0.75, recall: 0.7}",
    )
    min_matched_fraction: float = Field(
        default=0.9, gt=0, le=1, description="lowest share of predictions that must have a label"
    )
    min_samples: int = Field(default=50, ge=10, description="fewest labelled predictions to judge a model by")
    bootstrap_rounds: int = Field(default=200, ge=20, description="resamples behind each standard deviation")
    seed: int = 11


class ReactionsConfig(StrictModel):
    """What happens when a scheduled batch violates its baseline."""

    retrain_on_violation: bool = True
    retrain_data: list[str] = Field(default_factory=lambda: ["part1", "part2"], min_length=1)

    @field_validator("retrain_data")
    @classmethod
    def _check_retrain_data(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in ("part1", "part2") and not n.endswith(".csv")]
        if unknown:
            raise ValueError(f"{unknown}: use part1, part2 or paths of CSV files")
        if len(set(names)) != len(names):
            raise ValueError(f"{names}: a file listed twice would train on its rows twice")
        return names


class LocalBackendConfig(StrictModel):
    """Where the embedded backend keeps its registry, artifacts, runs and notification log."""

    work_dir: str = Field(default="mlops-work", description="relative to the current directory")


class EnvironmentConfig(StrictModel):
    """One environment (`configs/<name>/environment.yaml`), complete: no overlays, no hidden defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=add_section_conditions)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    kind: Literal["workload", "registry"] = Field(
        default="workload", description="workload runs pipelines; registry is the central model registry"
    )
    backend: Literal["local", "sagemaker"]
    project: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    model_group: str = Field(pattern=f"^{MODEL_GROUP_PATTERN.pattern}$")
    aws: AWSConfig | None = None
    registry: RegistryConfig | None = None
    ci: CIConfig | None = None
    sagemaker: SageMakerConfig | None = None
    schedule: ScheduleConfig | None = None
    notifications: NotificationsConfig | None = None
    approvals: ApprovalsConfig = ApprovalsConfig()
    governance: GovernanceConfig = GovernanceConfig()
    local: LocalBackendConfig = LocalBackendConfig()
    dataset: DatasetSpec | None = Field(default=None, description="required for kind workload")
    split: SplitParams = SplitParams()
    training: TrainingConfig = TrainingConfig()
    quality_gate: QualityGate = QualityGate()
    monitoring: MonitoringConfig = MonitoringConfig()
    reactions: ReactionsConfig = ReactionsConfig()
    model_quality: ModelQualityConfig = ModelQualityConfig()

    @model_validator(mode="after")
    def _check_sections(self) -> EnvironmentConfig:
        # One message with every problem, one per line, each starting with its dotted field.
        problems = section_problems(self) or consistency_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_serializer(mode="wrap")
    def _dump_taken_sections(self, handler: SerializerFunctionWrapHandler) -> dict:
        # Refused sections still hold their defaults in memory; leaving them out of a dump lets
        # `EnvironmentConfig.model_validate(config.model_dump())` round-trip for every kind.
        return without_refused_sections(self, handler(self))

    @model_validator(mode="after")
    def _check_outlier_columns(self) -> EnvironmentConfig:
        if self.dataset is None:
            return self
        numeric = {c.name for c in self.dataset.features if c.type == "numeric"}
        outliers = self.split.outliers
        for key, names in (("impossible_values", outliers.impossible_values), ("shift", outliers.shift)):
            unknown = sorted(set(names) - numeric)
            if unknown:
                raise ValueError(
                    f"split.outliers.{key}: {unknown} are not numeric features; use one of {sorted(numeric)}"
                )
        return self

    @model_validator(mode="after")
    def _check_drift_test_features(self) -> EnvironmentConfig:
        if self.dataset is not None:  # kind registry has no dataset
            self.monitoring.drift_tests.check_features(self.dataset.feature_names)
        return self
