"""Violations in plain words: what the check expected, what it found, and what a person should do next.

Reviewers of a failed check are often not the engineers who wrote it; each check type gets an explanation
a reviewer can act on, and the description written by the check stays the record of what was found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ml.monitoring.wording import metric_key

RETRAINED = (
    "Retraining was started if the environment enables it; review the new version before approving it."
)


@dataclass(frozen=True)
class Explanation:
    """One violation for people: the subject (feature or metric), the expectation, the finding, the action."""

    subject: str
    check: str
    expected: str
    found: str
    action: str


# check type -> (what was expected, what to do); the finding is the violation's own description.
DATA_QUALITY_GUIDANCE = {
    "missing_column_check": (
        "every feature of the training baseline is a column of the batch",
        "Fix the export that produced the batch (a renamed or dropped column); do not score it as it is.",
    ),
    "extra_column_check": (
        "the batch holds only the baseline's features and the id column",
        "Check the export: a new or renamed column often means the upstream schema changed.",
    ),
    "data_type_check": (
        "values of the type seen in training (e.g. whole numbers), at the configured share",
        "Find the rows named in the finding upstream; text or decimals in a numeric field point to a broken "
        "export or a unit change.",
    ),
    "completeness_check": (
        "no more missing values than the baseline had, beyond sampling noise, and at least the floor",
        "Ask the data owner why values are missing; if it is a real change in collection, retrain on data "
        "collected the new way.",
    ),
    "categorical_values_check": (
        "only the category codes the data contract allows",
        "Unknown codes mean a new coding scheme or data-entry errors; map or reject them upstream before "
        "scoring. " + RETRAINED,
    ),
    "range_check": (
        "values inside the range the data contract declares",
        "Values outside the declared range are impossible by contract (e.g. an age of 150); correct them at "
        "the source.",
    ),
    "drift_test_check": (
        "no distribution change beyond sampling noise (our statistical test, an extension)",
        "The test found a change that Model Monitor's distance alone does not flag: compare the charts "
        "below and the effect size. " + RETRAINED,
    ),
    "baseline_drift_check": (
        "the batch distribution within the comparison threshold of the training distribution",
        "Compare the charts below: a shifted population or a changed unit or measurement. If the change is "
        "real, the model is scoring data unlike its training data. " + RETRAINED,
    ),
}
MODEL_QUALITY_ACTION = (
    "The model's predictions match the true outcomes worse than when it was approved. Check first that the "
    "labels belong to this batch (see the label join), then look at data drift in the same period. "
    + RETRAINED
)
OPERATOR_WORDS = {
    "LessThanThreshold": "at least",
    "LessThanOrEqualToThreshold": "above",
    "GreaterThanThreshold": "at most",
    "GreaterThanOrEqualToThreshold": "below",
}


def explain_data_quality(violation: Mapping) -> Explanation:
    """A data-quality violation (constraint_violations.json entry) in plain words."""
    check = str(violation.get("constraint_check_type", ""))
    expected, action = DATA_QUALITY_GUIDANCE.get(
        check,
        ("the batch meets the baseline's constraints", "Read the finding and the check's documentation."),
    )
    return Explanation(
        str(violation.get("feature_name", "")), check, expected, str(violation.get("description", "")), action
    )


def explain_model_quality(violation: Mapping, constraints: Mapping) -> Explanation:
    """A model-quality violation in plain words, with the threshold it was held to."""
    metric = metric_key(str(violation.get("metric_name", "")))
    check = str(violation.get("constraint_check_type", ""))
    rule = constraints.get("binary_classification_constraints", {}).get(metric, {})
    threshold = rule.get("threshold")
    bound = "" if threshold is None else f" {OPERATOR_WORDS.get(check, check)} {threshold:.4f}"
    expected = f"{metric}{bound} on the labelled batch"
    return Explanation(metric, check, expected, str(violation.get("description", "")), MODEL_QUALITY_ACTION)


def summarize_model_quality(report, constraints: Mapping) -> list[str]:
    """The lines `mlops monitor quality` prints: the label join (unmatched ids included) and key metrics."""
    join = report.join
    lines = [
        f"{join.matched} of {join.predictions} predictions matched a label ({join.matched_fraction:.1%})"
    ]
    for what, unmatched in (
        ("predictions without a label", join.unmatched_predictions),
        ("labels without a prediction", join.unmatched_labels),
    ):
        examples = f" (e.g. {', '.join(unmatched.examples)})" if unmatched.count else ""
        lines.append(f"{what}: {unmatched.count}{examples}")
    rules = constraints.get("binary_classification_constraints", {})
    for metric in dict.fromkeys(["auc", *rules, "f1", "accuracy", "precision", "recall"]):
        entry = report.metrics.get(metric, {})
        if "value" not in entry:
            continue
        text = f"{metric} {entry['value']:.4f}{spread_text(entry)}"
        if metric in rules:
            rule = rules[metric]
            text += f" (violation if {rule['comparison_operator']} {rule['threshold']:.4f})"
        lines.append(text)
    return lines


def spread_text(entry: Mapping) -> str:
    """` ± sd` with SageMaker's standard deviation, or our bootstrap one (named) where SageMaker's is NaN."""
    spread, bootstrap = entry.get("standard_deviation", "NaN"), entry.get("bootstrap_standard_deviation")
    if spread != "NaN":
        return f" ± {spread:.4f}"
    return "" if bootstrap in (None, "NaN") else f" ± {bootstrap:.4f} (bootstrap)"
