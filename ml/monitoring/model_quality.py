"""Model quality of scored predictions against late true labels, in SageMaker Model Monitor's formats.

Formats (AWS, Amazon SageMaker developer guide):
- metrics: "Model quality metrics", binary classification
  (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html):
  `binary_classification_metrics` with `confusion_matrix` (outer key the true label, inner key the predicted
  one, as the page's example adds up), each scalar metric as `{"value", "standard_deviation"}`, the ROC and
  precision-recall curves, and the `*_best_constant_classifier` metrics of the classifier that always
  predicts the class the model predicted most often (ties: positive). That rule is the only one that fits
  both published analyzer outputs: the page's example (3 of 4 predicted positive: constant positive) and
  a real baselining job (tests/monitoring/fixtures/analyzer/churn-model-quality: 16 of 201 predicted
  positive: constant negative, accuracy 173/201);
- constraints: "Create a model quality baseline"
  (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-baseline.html):
  `{"version": 0.0, "binary_classification_constraints": {metric: {"threshold", "comparison_operator"}}}`;
  the metric violates its constraint when `value <comparison_operator> threshold` holds;
- violations: Model Monitor's constraint_violations.json with `metric_name` (camelCase, as the analyzer
  writes it: `truePositiveRate`), `constraint_check_type` (the comparison operator) and `description`
  in the analyzer's words ("Metric auc with 0.61 +/- 0.03 was LessThanThreshold '0.79'").

Standard deviations follow SageMaker's documented method ("Model quality metrics": the metric on 5 random
80% subsamples, their standard deviation; only from 200 rows, "NaN" below), seeded by `model_quality.seed`
so the same files give the same numbers; the sample standard deviation of the five (ddof = 1, Spark's
`stddev`) is our reading of "the standard deviation for those results". Five values make it a rough
estimate, and a subsample of 80% without replacement varies less than a fresh batch would (by the factor
sqrt(0.2 / 0.8) = 0.5 for a proportion), so each metric also carries our extension
`bootstrap_standard_deviation`: `bootstrap_rounds` resamples of all rows with replacement, the sampling
error of the batch's metric, reported at any size. `dataset` carries our extension `label_join`.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.config.schema import DatasetSpec, ModelQualityConfig
from ml.errors import DataError
from ml.monitoring.labels import LabelJoin, join_labels
from ml.monitoring.wording import analyzer_metric_name, metric_sentence, with_details

FORMAT_VERSION = 0.0
MAX_CURVE_POINTS = 200
# SageMaker's documented method (module docstring): 5 subsamples of 80%, only from 200 rows.
SUBSAMPLES, SUBSAMPLE_SHARE, MIN_ROWS_FOR_DEVIATION = 5, 0.8, 200
# Model Monitor's operators; a metric violates its constraint when `value <operator> threshold` is true.
COMPARISONS = {
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
}
SCALAR_METRICS = (
    "recall",
    "precision",
    "accuracy",
    "recall_best_constant_classifier",
    "precision_best_constant_classifier",
    "accuracy_best_constant_classifier",
    "true_positive_rate",
    "true_negative_rate",
    "false_positive_rate",
    "false_negative_rate",
    "auc",
    "f0_5",
    "f1",
    "f2",
    "f0_5_best_constant_classifier",
    "f1_best_constant_classifier",
    "f2_best_constant_classifier",
)
_CURVES = ("receiver_operating_characteristic_curve", "precision_recall_curve")


@dataclass(frozen=True)
class ModelQualityReport:
    """Metrics of one labelled batch (`binary_classification_metrics`) and how its labels were joined."""

    metrics: dict
    join: LabelJoin

    @property
    def item_count(self) -> int:
        return self.join.matched

    def value(self, metric: str) -> float:
        return float(self.metrics[metric]["value"])

    def to_dict(self) -> dict:
        """The model-quality statistics.json."""
        dataset = {"item_count": self.item_count, "label_join": self.join.to_dict()}
        return {"version": FORMAT_VERSION, "dataset": dataset, "binary_classification_metrics": self.metrics}


@dataclass(frozen=True)
class QualityViolation:
    """One entry of the model-quality constraint_violations.json."""

    metric_name: str
    constraint_check_type: str
    description: str


@dataclass(frozen=True)
class ModelQualityViolations:
    """Every violated constraint of one check; empty when the batch passed."""

    violations: tuple[QualityViolation, ...]

    @property
    def passed(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict:
        return {"violations": [vars(violation) for violation in self.violations]}


def compute_quality_metrics(
    predictions: pd.DataFrame, labels: pd.DataFrame, spec: DatasetSpec, params: ModelQualityConfig
) -> ModelQualityReport:
    """Join predictions with their true labels and compute Model Monitor's binary-classification metrics.

    Args:
        predictions: `record_id` (the contract's id column), `probability`, `label` (predicted, 0/1),
            `model_version`, as `mlops infer` writes them.
        labels: the id column and the contract's label column (0/1).
        spec: the data contract (id and label column names).
        params: the share of predictions that must have labels, the fewest rows, the bootstrap.

    Returns:
        The report; ids found on one side only are counted in `report.join`.

    Raises:
        DataError: duplicate ids; too few predictions have labels; the labels hold one class only.
    """
    join = join_labels(predictions, labels, spec.id_column, spec.label.name)
    _check_enough_labels(join, params)
    actual = join.joined["actual"].to_numpy(dtype=int)
    predicted = join.joined["predicted"].to_numpy(dtype=int)
    probability = join.joined["probability"].to_numpy(dtype=float)
    values = {name: float(row[0]) for name, row in metric_rows(actual, predicted, probability).items()}
    spread = _subsample_deviations(actual, predicted, probability, params.seed)
    bootstrap = _bootstrap_deviations(actual, predicted, probability, params.bootstrap_rounds, params.seed)
    scalars = {
        name: {
            "value": values[name],
            "standard_deviation": spread[name],
            "bootstrap_standard_deviation": bootstrap[name],
        }
        for name in SCALAR_METRICS
    }
    metrics = {
        "confusion_matrix": _confusion_matrix(actual, predicted),
        **scalars,
        **_curves(actual, probability),
    }
    ordered = ["confusion_matrix", *SCALAR_METRICS[:10], *_CURVES, *SCALAR_METRICS[10:]]
    return ModelQualityReport({name: metrics[name] for name in ordered}, join)


def metric_rows(actual: np.ndarray, predicted: np.ndarray, probability: np.ndarray) -> dict[str, np.ndarray]:
    """Every scalar metric, row-wise over 2-D input (one resample per row), so the bootstrap is vectorised."""
    from ml.train.evaluate import roc_auc

    actual, predicted = np.atleast_2d(actual).astype(bool), np.atleast_2d(predicted).astype(bool)
    tp, fp = (actual & predicted).sum(axis=1), (~actual & predicted).sum(axis=1)
    fn, tn = (actual & ~predicted).sum(axis=1), (~actual & ~predicted).sum(axis=1)
    rows = actual.shape[1]
    recall, precision = _ratio(tp, tp + fn), _ratio(tp, tp + fp)
    # The constant classifier predicts the class the model predicted most often (module docstring).
    says_positive = (tp + fp) * 2 >= rows
    share = (tp + fn) / rows
    constant_recall = np.where(says_positive, (tp + fn > 0).astype(float), 0.0)
    constant_precision = np.where(says_positive, share, 0.0)
    metrics = {
        "recall": recall,
        "precision": precision,
        "accuracy": (tp + tn) / rows,
        "recall_best_constant_classifier": constant_recall,
        "precision_best_constant_classifier": constant_precision,
        "accuracy_best_constant_classifier": np.where(says_positive, share, 1 - share),
        "true_positive_rate": recall,
        "true_negative_rate": _ratio(tn, tn + fp),
        "false_positive_rate": _ratio(fp, fp + tn),
        "false_negative_rate": _ratio(fn, fn + tp),
        "auc": roc_auc(actual.astype(int), np.atleast_2d(probability)),
    }
    for beta, name in ((0.5, "f0_5"), (1.0, "f1"), (2.0, "f2")):
        metrics[name] = _f_beta(precision, recall, beta)
        metrics[f"{name}_best_constant_classifier"] = _f_beta(constant_precision, constant_recall, beta)
    return metrics


def derive_quality_constraints(version_metrics: Mapping, params: ModelQualityConfig) -> dict:
    """The constraints a batch must meet: AUC within `max_auc_drop` of the version's, plus the floors.

    Args:
        version_metrics: the registry version's `metrics` (its held-out evaluation).
        params: `max_auc_drop` and the optional absolute `minimums`.

    Returns:
        A Model Monitor model-quality constraints.json; each floor is a `LessThanThreshold` constraint (and
        the stricter of the two when both apply to AUC).

    Raises:
        DataError: there is nothing to check (no AUC in the version's metrics and no minimums).
    """
    floors = {name: float(value) for name, value in params.minimums.items()}
    if "auc" in version_metrics:
        relative = float(version_metrics["auc"]) - params.max_auc_drop
        floors["auc"] = max(relative, floors.get("auc", relative))
    if not floors:
        raise DataError(
            "the version's metrics have no auc and model_quality.minimums is empty; "
            "add a floor under model_quality.minimums in the environment file"
        )
    constraints = {
        name: {"threshold": threshold, "comparison_operator": "LessThanThreshold"}
        for name, threshold in sorted(floors.items())
    }
    return {"version": FORMAT_VERSION, "binary_classification_constraints": constraints}


def check_model_quality(report: ModelQualityReport, constraints: Mapping) -> ModelQualityViolations:
    """Compare a report with a model-quality constraints.json (ours or one from SageMaker's baselining job).

    Raises:
        DataError: a constraint names a metric the report lacks or an unknown comparison operator.
    """
    found = []
    for metric, rule in constraints.get("binary_classification_constraints", {}).items():
        operator_name = rule.get("comparison_operator")
        if metric not in report.metrics or operator_name not in COMPARISONS:
            raise DataError(
                f"constraints.json: binary_classification_constraints.{metric}: unknown metric or "
                f"comparison_operator {operator_name!r}; use one of {sorted(COMPARISONS)} "
                f"on one of {list(SCALAR_METRICS)}"
            )
        value, threshold = report.value(metric), float(rule["threshold"])
        if COMPARISONS[operator_name](value, threshold):
            entry = report.metrics[metric]
            sentence = metric_sentence(metric, value, entry["standard_deviation"], operator_name, threshold)
            ours = f"(bootstrap standard deviation {entry['bootstrap_standard_deviation']:.4f})"
            description = with_details(sentence, ours)
            found.append(QualityViolation(analyzer_metric_name(metric), operator_name, description))
    return ModelQualityViolations(tuple(found))


def _check_enough_labels(join: LabelJoin, params: ModelQualityConfig) -> None:
    counts = (
        f"{join.matched} of {join.predictions} predictions have a label "
        f"({join.unmatched_predictions.count} without, e.g. {list(join.unmatched_predictions.examples)}; "
        f"{join.unmatched_labels.count} label(s) without a prediction)"
    )
    if join.matched_fraction < params.min_matched_fraction:
        raise DataError(
            f"{counts}: below model_quality.min_matched_fraction {params.min_matched_fraction:.0%}; "
            "wait for more labels or check that both files come from the same batch"
        )
    if join.matched < params.min_samples:
        raise DataError(f"{counts}: fewer than model_quality.min_samples ({params.min_samples})")
    classes = set(join.joined["actual"].unique())
    if classes != {0, 1}:
        raise DataError(
            f"the labels of the {join.matched} matched predictions are all {classes}; AUC needs both"
        )


def _subsample_deviations(actual, predicted, probability, seed: int) -> dict[str, float | str]:
    """SageMaker's method: each metric on 5 random 80% subsamples (without replacement), their std."""
    if len(actual) < MIN_ROWS_FOR_DEVIATION:
        return dict.fromkeys(SCALAR_METRICS, "NaN")
    rng = np.random.default_rng(seed)
    size = round(SUBSAMPLE_SHARE * len(actual))
    rows = np.stack([rng.choice(len(actual), size=size, replace=False) for _ in range(SUBSAMPLES)])
    found = metric_rows(actual[rows], predicted[rows], probability[rows])
    return {name: _deviation(values) for name, values in found.items()}


def _bootstrap_deviations(actual, predicted, probability, rounds: int, seed: int) -> dict[str, float | str]:
    rng = np.random.default_rng(seed)
    # Resample in blocks of rows so memory stays near a few million cells however large the batch is.
    block = max(1, 2_000_000 // len(actual))
    samples: dict[str, list[np.ndarray]] = {name: [] for name in SCALAR_METRICS}
    for start in range(0, rounds, block):
        rows = rng.integers(0, len(actual), size=(min(block, rounds - start), len(actual)))
        for name, values in metric_rows(actual[rows], predicted[rows], probability[rows]).items():
            samples[name].append(values)
    return {name: _deviation(np.concatenate(values)) for name, values in samples.items()}


def _deviation(values: np.ndarray) -> float | str:
    finite = values[np.isfinite(values)]
    return float(np.std(finite, ddof=1)) if finite.size > 1 else "NaN"


def _confusion_matrix(actual: np.ndarray, predicted: np.ndarray) -> dict:
    return {
        str(truth): {str(guess): int(((actual == truth) & (predicted == guess)).sum()) for guess in (0, 1)}
        for truth in (0, 1)
    }


def _curves(actual: np.ndarray, probability: np.ndarray) -> dict:
    from sklearn.metrics import precision_recall_curve, roc_curve

    fpr, tpr, _ = roc_curve(actual, probability)
    precision, recall, _ = precision_recall_curve(actual, probability)
    roc = _thin(fpr, tpr)
    # scikit-learn lists recall from 1 down to 0; Model Monitor's example lists it rising.
    pr = _thin(recall[::-1], precision[::-1])
    return {
        "receiver_operating_characteristic_curve": {
            "false_positive_rates": roc[0],
            "true_positive_rates": roc[1],
        },
        "precision_recall_curve": {"precisions": pr[1], "recalls": pr[0]},
    }


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """At most MAX_CURVE_POINTS points, always keeping both ends, so a big batch writes a small file."""
    keep = np.unique(np.linspace(0, len(x) - 1, min(len(x), MAX_CURVE_POINTS)).round().astype(int))
    return [float(v) for v in x[keep]], [float(v) for v in y[keep]]


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division default)."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def _f_beta(precision: np.ndarray, recall: np.ndarray, beta: float) -> np.ndarray:
    weight = beta**2
    return _ratio((1 + weight) * precision * recall, weight * precision + recall)
