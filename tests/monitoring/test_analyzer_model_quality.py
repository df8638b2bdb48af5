"""Model-quality files the analyzer wrote (tests/monitoring/fixtures/analyzer/README.md), read as plain JSON.

The churn baselining job scored 201 labelled rows: confusion matrix {"0": {"0": 173, "1": 0},
"1": {"0": 12, "1": 16}} (outer key the true label). Its probabilities were not published, so AUC is
left out of the value comparisons; every other metric follows from the confusion matrix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.config.schema import ModelQualityConfig
from ml.monitoring.model_quality import (
    SCALAR_METRICS,
    check_model_quality,
    compute_quality_metrics,
    metric_rows,
)

FIXTURES = Path(__file__).parent / "fixtures" / "analyzer"
CHURN = FIXTURES / "churn-model-quality"
PARAMS = ModelQualityConfig(bootstrap_rounds=20, min_samples=10, min_matched_fraction=0.9)
DESCRIPTION = re.compile(
    r"^Metric ([A-Za-z0-9_]+) with ([0-9.E-]+) \+/- ([0-9.E-]+|NaN) was (\w+) '([0-9.E-]+)'"
)


def rows_from(matrix: dict) -> tuple[np.ndarray, np.ndarray]:
    """(actual, predicted) with the counts of a confusion matrix [true][predicted]."""
    pairs = [(int(t), int(p), n) for t, row in matrix.items() for p, n in row.items()]
    actual = np.concatenate([np.full(n, t) for t, _, n in pairs])
    predicted = np.concatenate([np.full(n, p) for _, p, n in pairs])
    return actual, predicted


def scored(actual: np.ndarray, predicted: np.ndarray, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    probability = np.where(predicted == 1, rng.uniform(0.5, 1, actual.size), rng.uniform(0, 0.5, actual.size))
    ids = [f"r{i:05d}" for i in range(actual.size)]
    predictions = pd.DataFrame(
        {"record_id": ids, "probability": probability, "label": predicted, "model_version": 1}
    )
    return predictions, pd.DataFrame({"record_id": ids, "Severity": actual})


def table_values(path: Path) -> dict[str, float]:
    """`metric.value` and `metric.standard_deviation` rows of a pandas-rendered statistics table."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^(\w+)\.(value|standard_deviation)\s+([0-9.]+)$", line.strip())
        if match:
            found[f"{match.group(1)}.{match.group(2)}"] = float(match.group(3))
    return found


CHURN_MATRIX = {"0": {"0": 173, "1": 0}, "1": {"0": 12, "1": 16}}


def test_label_metrics_match_the_analyzers_churn_baseline():
    analyzer = table_values(CHURN / "baseline-statistics-table.txt")
    actual, predicted = rows_from(CHURN_MATRIX)
    ours = {name: float(v[0]) for name, v in metric_rows(actual, predicted, predicted.astype(float)).items()}

    compared = [name for name in SCALAR_METRICS if name != "auc" and f"{name}.value" in analyzer]
    assert len(compared) == 16  # every scalar metric but AUC
    for name in compared:
        assert ours[name] == pytest.approx(analyzer[f"{name}.value"], abs=5e-7), name
    # The model predicted negative for 185 of 201: the constant classifier says negative.
    assert ours["accuracy_best_constant_classifier"] == pytest.approx(173 / 201)
    assert ours["recall_best_constant_classifier"] == 0.0


def test_metrics_match_the_aws_example_and_its_nan_deviations(spec):
    example = json.loads((FIXTURES / "aws-docs/binary_classification_metrics.json").read_text())
    analyzer = example["binary_classification_metrics"]
    actual, predicted = rows_from(analyzer["confusion_matrix"])
    predictions, labels = scored(np.tile(actual, 5), np.tile(predicted, 5))  # 20 rows, same shares

    report = compute_quality_metrics(predictions, labels, spec, PARAMS)

    for name in SCALAR_METRICS:
        if name != "auc":
            assert report.value(name) == pytest.approx(analyzer[name]["value"], rel=1e-12), name
        assert report.metrics[name]["standard_deviation"] == analyzer[name]["standard_deviation"] == "NaN"


def test_standard_deviations_start_at_two_hundred_rows(spec):
    actual, predicted = rows_from(CHURN_MATRIX)
    below = compute_quality_metrics(*scored(actual[1:-1], predicted[1:-1]), spec, PARAMS)  # 199 rows
    at = compute_quality_metrics(*scored(actual, predicted), spec, PARAMS)  # 201 rows

    assert {below.metrics[name]["standard_deviation"] for name in SCALAR_METRICS} == {"NaN"}
    assert all(below.metrics[name]["bootstrap_standard_deviation"] != "NaN" for name in ("auc", "accuracy"))
    assert at.metrics["accuracy"]["standard_deviation"] > 0
    assert at.metrics["precision"]["standard_deviation"] == 0.0  # precision is 1 in every subsample


def test_deviations_follow_the_subsampling_method_not_the_bootstrap(spec):
    """Over many seeds: 80% subsamples vary by sqrt(0.2 / 0.8) = half a bootstrap's spread of a proportion."""
    actual, predicted = rows_from(CHURN_MATRIX)
    predictions, labels = scored(actual, predicted)
    runs = [
        compute_quality_metrics(predictions, labels, spec, PARAMS.model_copy(update={"seed": s}))
        for s in range(60)
    ]
    subsample = np.array([run.metrics["accuracy"]["standard_deviation"] for run in runs])
    bootstrap = np.array([run.metrics["accuracy"]["bootstrap_standard_deviation"] for run in runs])
    p, n = 173 / 201 + 16 / 201, 201
    expected = np.sqrt(p * (1 - p) / (0.8 * n) * 0.2 * n / (n - 1))
    assert np.sqrt((subsample**2).mean()) == pytest.approx(expected, rel=0.15)
    assert np.sqrt((bootstrap**2).mean()) == pytest.approx(np.sqrt(p * (1 - p) / n), rel=0.15)
    # The analyzer's own value for these rows (0.008559) is a typical draw of the same estimator.
    assert np.quantile(subsample, 0.02) < 0.008559 < np.quantile(subsample, 0.98)


def test_violations_read_like_the_analyzers(spec):
    analyzer = json.loads((CHURN / "constraint_violations.json").read_text())["violations"]
    for entry in analyzer:
        match = DESCRIPTION.match(entry["description"])
        assert (
            match
            and match.group(1) == entry["metric_name"]
            and match.group(4) == entry["constraint_check_type"]
        )
    names = {entry["metric_name"] for entry in analyzer}
    assert {"truePositiveRate", "falsePositiveRate", "auc"} <= names

    actual, predicted = rows_from(CHURN_MATRIX)
    report = compute_quality_metrics(*scored(actual, predicted), spec, PARAMS)
    rules = {"true_positive_rate": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"}}
    (ours,) = check_model_quality(report, {"binary_classification_constraints": rules}).to_dict()[
        "violations"
    ]

    match = DESCRIPTION.match(ours["description"])
    assert ours["metric_name"] == match.group(1) == "truePositiveRate"
    assert float(match.group(2)) == pytest.approx(16 / 28) and match.group(5) == "0.9"
