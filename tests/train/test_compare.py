"""The paired comparison: intervals that cover a known difference, refusals that say why."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from ml.errors import DataError
from ml.train.compare import (
    EvaluationScores,
    NotComparableError,
    compare_scores,
    reliability_bins,
    roc_points,
)
from ml.train.paired import delong_auc_difference, paired_proportion_difference

DIGEST = "ab" * 32


def binormal(rng, positives: int, negatives: int, separations: tuple[float, float], rho: float):
    """Scores of two correlated models: unit-variance normals, positives shifted by each separation.

    With unit variances the true AUC of a model is Φ(separation / √2), so the true difference is known.
    """
    labels = np.r_[np.ones(positives, int), np.zeros(negatives, int)]
    shared = rng.standard_normal(len(labels))
    scores = [
        s * labels + math.sqrt(rho) * shared + math.sqrt(1 - rho) * rng.standard_normal(len(labels))
        for s in separations
    ]
    return labels, scores[0], scores[1]


def scores(labels, probabilities, digest=DIGEST, threshold=0.5, ids=None) -> EvaluationScores:
    ids = tuple(map(str, range(len(labels)))) if ids is None else ids
    return EvaluationScores(digest, ids, tuple(labels), tuple(map(float, probabilities)), threshold)


def test_delong_interval_covers_the_true_auc_difference_at_the_nominal_rate():
    rng = np.random.default_rng(2024)
    separations = (1.2, 1.5)
    truth = norm.cdf(separations[1] / math.sqrt(2)) - norm.cdf(separations[0] / math.sqrt(2))
    covered = []
    for _ in range(1000):
        labels, first, second = binormal(rng, 60, 90, separations, rho=0.6)
        interval = delong_auc_difference(labels, first, second)
        covered.append(interval.low <= truth <= interval.high)
    # 1000 simulations: the observed rate's standard error is 0.7 points around the nominal 95%.
    assert 0.93 <= np.mean(covered) <= 0.97


def test_newcombe_interval_covers_the_true_sensitivity_difference_at_about_the_nominal_rate():
    rng = np.random.default_rng(7)
    # Two correlated tests on 80 positives: P(first hit) = 0.75, P(second hit) = 0.85.
    covered = []
    for _ in range(1000):
        u = rng.random(80)
        v = np.where(rng.random(80) < 0.2, rng.random(80), u)  # the same row decides most pairs
        first, second = u < 0.75, v < 0.85
        interval = paired_proportion_difference(first, second)
        covered.append(interval.low <= 0.10 <= interval.high)
    # Newcombe's score interval is slightly conservative: it covers a bit more than 95%.
    assert 0.93 <= np.mean(covered) <= 0.99


def test_identical_decisions_still_get_an_interval_of_positive_width():
    hits = np.r_[np.ones(40, bool), np.zeros(10, bool)]
    interval = paired_proportion_difference(hits, hits)
    assert interval.estimate == 0 and interval.low < 0 < interval.high


def test_compare_reports_the_challengers_difference_with_its_method():
    rng = np.random.default_rng(3)
    labels, first, second = binormal(rng, 100, 150, (0.8, 2.0), rho=0.5)
    champion, challenger = (scores(labels, norm.cdf(s)) for s in (first, second))
    comparison = compare_scores(champion, challenger, champion_version=1, challenger_version=2)
    assert comparison.auc.difference == pytest.approx(comparison.auc.challenger - comparison.auc.champion)
    assert comparison.auc.low > 0 and comparison.auc_verdict() == "better"
    assert comparison.non_inferior(0.02)
    assert "DeLong" in comparison.auc.method and "Newcombe" in comparison.sensitivity.method
    assert comparison.rows == 250 and comparison.positives == 100
    assert comparison.brier.difference == pytest.approx(
        comparison.brier.challenger - comparison.brier.champion
    )
    reversed_ = compare_scores(challenger, champion, champion_version=2, challenger_version=1)
    assert reversed_.auc_verdict() == "worse" and not reversed_.non_inferior(0.02)


def test_different_evaluation_sets_are_not_comparable():
    labels = [0, 1, 0, 1]
    with pytest.raises(NotComparableError, match=r"different evaluation sets \(sha256 abababababab vs cdcd"):
        compare_scores(
            scores(labels, [0.1, 0.9, 0.2, 0.8]),
            scores(labels, [0.1, 0.9, 0.2, 0.8], digest="cd" * 32),
            champion_version=1,
            challenger_version=2,
        )


def test_same_digest_but_other_records_is_not_comparable():
    labels = [0, 1, 0, 1]
    with pytest.raises(NotComparableError, match="records or labels differ"):
        compare_scores(
            scores(labels, [0.1, 0.9, 0.2, 0.8]),
            scores(labels, [0.1, 0.9, 0.2, 0.8], ids=("9", "1", "2", "3")),
            champion_version=1,
            challenger_version=2,
        )


def test_one_class_evaluation_data_is_a_clear_error():
    only_benign = scores([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match=r"3 rows with label class\(es\) \[0\]; .* needs both 0 and 1"):
        compare_scores(only_benign, only_benign, champion_version=1, challenger_version=2)


def test_curves_for_the_report():
    fpr, tpr = roc_points([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    bins = reliability_bins([0, 1, 1, 1], [0.05, 0.95, 0.91, 0.5])
    assert bins == [
        {"predicted": 0.05, "observed": 0.0, "rows": 1},
        {"predicted": 0.5, "observed": 1.0, "rows": 1},
        {"predicted": pytest.approx(0.93), "observed": 1.0, "rows": 2},
    ]
