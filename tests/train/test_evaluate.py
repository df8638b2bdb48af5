import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ml.train.evaluate import bootstrap_auc_interval, roc_auc


def test_auc_matches_sklearn_including_ties():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 300)
    scores = np.round(rng.random(300) + labels * 0.3, 1)  # rounding makes many ties
    assert roc_auc(labels, scores)[0] == pytest.approx(roc_auc_score(labels, scores))


def test_auc_is_computed_on_probabilities_not_hard_labels():
    # every positive outranks every negative, yet all probabilities are below a 0.5 threshold
    labels = np.array([0, 0, 1, 1])
    probabilities = np.array([0.1, 0.2, 0.3, 0.4])
    assert roc_auc(labels, probabilities)[0] == 1.0
    assert roc_auc(labels, (probabilities >= 0.5).astype(float))[0] == 0.5


def test_bootstrap_interval_brackets_the_estimate_and_is_seeded():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 200)
    scores = rng.random(200) + labels * 0.5
    low, high = bootstrap_auc_interval(labels, scores, rounds=500, seed=3)
    assert low < roc_auc(labels, scores)[0] < high
    assert (low, high) == bootstrap_auc_interval(labels, scores, rounds=500, seed=3)
