"""Model quality with late labels: Model Monitor's metrics and formats, the label join, the constraints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.config.schema import ModelQualityConfig
from ml.errors import DataError
from ml.monitoring.labels import read_labels, read_predictions
from ml.monitoring.model_quality import (
    SCALAR_METRICS,
    check_model_quality,
    compute_quality_metrics,
    derive_quality_constraints,
    metric_rows,
)

PARAMS = ModelQualityConfig(bootstrap_rounds=50, min_samples=20)


def scored(n: int = 150, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions of a fair model (probability correlated with the label) and the true labels."""
    rng = np.random.default_rng(seed)
    actual = rng.integers(0, 2, n)
    probability = np.clip(0.3 * actual + rng.uniform(0, 0.7, n), 0, 1).round(6)
    ids = [f"r{i:06d}" for i in range(n)]
    predictions = pd.DataFrame(
        {"record_id": ids, "probability": probability, "label": (probability >= 0.5).astype(int)}
    )
    predictions["model_version"] = 1
    return predictions, pd.DataFrame({"record_id": ids, "Severity": actual})


@pytest.fixture(scope="module")
def report(spec):
    predictions, labels = scored()
    return compute_quality_metrics(predictions, labels, spec, PARAMS)


def test_metrics_match_scikit_learn(report):
    from sklearn import metrics as sk

    predictions, labels = scored()
    y, predicted, probability = labels["Severity"], predictions["label"], predictions["probability"]
    tn, fp, fn, tp = sk.confusion_matrix(y, predicted).ravel()
    expected = {
        "recall": sk.recall_score(y, predicted),
        "precision": sk.precision_score(y, predicted),
        "accuracy": sk.accuracy_score(y, predicted),
        "true_negative_rate": tn / (tn + fp),
        "false_positive_rate": fp / (fp + tn),
        "false_negative_rate": fn / (fn + tp),
        "auc": sk.roc_auc_score(y, probability),
        "f0_5": sk.fbeta_score(y, predicted, beta=0.5),
        "f1": sk.f1_score(y, predicted),
        "f2": sk.fbeta_score(y, predicted, beta=2),
    }
    for name, value in expected.items():
        assert report.value(name) == pytest.approx(value), name
    assert report.metrics["confusion_matrix"] == {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}


def test_report_uses_model_monitor_field_names(report):
    document = report.to_dict()
    assert set(document) == {"version", "dataset", "binary_classification_metrics"}
    assert document["dataset"]["item_count"] == 150
    metrics = document["binary_classification_metrics"]
    expected = {
        "confusion_matrix",
        "receiver_operating_characteristic_curve",
        "precision_recall_curve",
        *SCALAR_METRICS,
    }
    assert set(metrics) == expected
    assert {"recall_best_constant_classifier", "f0_5", "f2", "true_positive_rate"} <= set(metrics)
    for name in SCALAR_METRICS:
        assert set(metrics[name]) == {"value", "standard_deviation", "bootstrap_standard_deviation"}, name
        # 150 rows: below SageMaker's 200, so its deviation is "NaN"; our named bootstrap one is reported.
        assert metrics[name]["standard_deviation"] == "NaN", name
        assert metrics[name]["bootstrap_standard_deviation"] > 0 or "best_constant" in name, name
    roc, pr = metrics["receiver_operating_characteristic_curve"], metrics["precision_recall_curve"]
    assert set(roc) == {"false_positive_rates", "true_positive_rates"}
    assert set(pr) == {"precisions", "recalls"}
    assert roc["false_positive_rates"][0] == 0 and roc["true_positive_rates"][-1] == 1


def test_metrics_reproduce_the_aws_documentation_example():
    # "Model quality metrics" page: confusion matrix {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}.
    actual, predicted = np.array([0, 0, 0, 1]), np.array([0, 1, 1, 1])
    values = {
        k: float(v[0]) for k, v in metric_rows(actual, predicted, np.array([0.1, 0.6, 0.7, 0.9])).items()
    }
    assert values["recall"] == 1.0 and values["precision"] == pytest.approx(1 / 3)
    assert values["accuracy"] == 0.5 and values["true_negative_rate"] == pytest.approx(1 / 3)
    assert values["false_positive_rate"] == pytest.approx(2 / 3) and values["false_negative_rate"] == 0
    assert values["recall_best_constant_classifier"] == 1.0
    assert values["precision_best_constant_classifier"] == values["accuracy_best_constant_classifier"] == 0.25
    assert values["f0_5"] == pytest.approx(0.3846153846153846) and values["f2"] == pytest.approx(
        0.7142857142857143
    )
    assert values["f0_5_best_constant_classifier"] == pytest.approx(0.29411764705882354)
    assert values["f1_best_constant_classifier"] == pytest.approx(0.4)
    assert values["f2_best_constant_classifier"] == pytest.approx(0.625)


def test_standard_deviations_are_seeded(report, spec):
    predictions, labels = scored()
    again = compute_quality_metrics(predictions, labels, spec, PARAMS)
    assert again.metrics == report.metrics
    other = compute_quality_metrics(predictions, labels, spec, PARAMS.model_copy(update={"seed": 99}))
    assert (
        other.metrics["auc"]["bootstrap_standard_deviation"]
        != report.metrics["auc"]["bootstrap_standard_deviation"]
    )


def test_unmatched_ids_are_counted_with_examples(spec):
    predictions, labels = scored()
    late = labels.iloc[10:]
    extra = pd.DataFrame({"record_id": ["x1", "x2"], "Severity": [0, 1]})
    result = compute_quality_metrics(predictions, pd.concat([late, extra]), spec, PARAMS)
    join = result.to_dict()["dataset"]["label_join"]
    assert join["matched"] == 140 and join["predictions"] == 150 and join["labels"] == 142
    assert join["predictions_without_label"] == {"count": 10, "examples": [f"r{i:06d}" for i in range(5)]}
    assert join["labels_without_prediction"] == {"count": 2, "examples": ["x1", "x2"]}
    assert result.item_count == 140


def test_too_few_labels_is_an_error_with_the_counts(spec):
    predictions, labels = scored()
    with pytest.raises(DataError, match=r"75 of 150 predictions have a label .*min_matched_fraction 90%"):
        compute_quality_metrics(predictions, labels.iloc[:75], spec, PARAMS)


def test_duplicate_ids_are_an_error_naming_the_file_and_id(tmp_path):
    predictions, _ = scored(n=5)
    path = tmp_path / "predictions.csv"
    pd.concat([predictions, predictions.iloc[[2]]]).to_csv(path, index=False)
    with pytest.raises(DataError, match=rf"{path}: column 'record_id': id 'r000002' occurs more than once"):
        read_predictions(path, "record_id")


def test_labels_file_without_the_label_column_names_file_and_column(tmp_path, spec):
    path = tmp_path / "labels.csv"
    path.write_text("record_id,label\nr1,1\n")
    with pytest.raises(DataError, match=rf"{path}: header is missing column\(s\) \['Severity'\]"):
        read_labels(path, spec)


def test_a_bad_probability_names_file_line_and_column(tmp_path):
    path = tmp_path / "predictions.csv"
    path.write_text("record_id,probability,label,model_version\nr1,0.2,0,1\nr2,1.7,1,1\n")
    with pytest.raises(DataError, match=rf"{path}: line 3: column 'probability': '1.7' is not in \[0, 1\]"):
        read_predictions(path, "record_id")


def test_constraints_are_derived_from_the_version_metrics():
    params = ModelQualityConfig(max_auc_drop=0.1, minimums={"recall": 0.6})
    constraints = derive_quality_constraints({"auc": 0.9, "recall": 0.8}, params)
    assert constraints == {
        "version": 0.0,
        "binary_classification_constraints": {
            "auc": {"threshold": pytest.approx(0.8), "comparison_operator": "LessThanThreshold"},
            "recall": {"threshold": 0.6, "comparison_operator": "LessThanThreshold"},
        },
    }


def test_an_absolute_auc_floor_wins_when_it_is_stricter():
    params = ModelQualityConfig(max_auc_drop=0.2, minimums={"auc": 0.75})
    rules = derive_quality_constraints({"auc": 0.9}, params)["binary_classification_constraints"]
    assert rules["auc"]["threshold"] == 0.75


def test_a_metric_below_its_threshold_is_a_model_monitor_violation(report):
    constraints = derive_quality_constraints({"auc": report.value("auc") + 0.2}, ModelQualityConfig())
    violations = check_model_quality(report, constraints)
    assert not violations.passed
    (entry,) = violations.to_dict()["violations"]
    assert set(entry) == {"metric_name", "constraint_check_type", "description"}
    assert entry["metric_name"] == "auc" and entry["constraint_check_type"] == "LessThanThreshold"
    assert entry["description"].startswith(
        f"Metric auc with {report.value('auc')!r} +/- NaN was LessThanThreshold "
        f"'{constraints['binary_classification_constraints']['auc']['threshold']!r}' (bootstrap standard"
    )


def test_metrics_within_their_thresholds_pass(report):
    constraints = derive_quality_constraints(
        {"auc": report.value("auc")}, ModelQualityConfig(max_auc_drop=0.01)
    )
    assert check_model_quality(report, constraints).passed


def test_greater_than_constraints_from_a_sagemaker_baseline_are_read(report):
    rule = {
        "threshold": report.value("false_positive_rate") - 0.01,
        "comparison_operator": "GreaterThanThreshold",
    }
    violations = check_model_quality(
        report, {"binary_classification_constraints": {"false_positive_rate": rule}}
    )
    assert [v.metric_name for v in violations.violations] == ["falsePositiveRate"]


def test_an_unknown_metric_in_constraints_is_an_error(report):
    rule = {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}
    with pytest.raises(DataError, match=r"binary_classification_constraints\.gini: unknown metric"):
        check_model_quality(report, {"binary_classification_constraints": {"gini": rule}})
