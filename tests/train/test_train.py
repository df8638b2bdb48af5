import numpy as np
import pandas as pd
import pytest

from ml.train.evaluate import evaluate_model
from ml.train.preprocess import fit_preprocessor, split_for_training
from ml.train.train import ModelBundle, train_model


@pytest.fixture(scope="module")
def synthetic(config):
    rng = np.random.default_rng(5)
    n = 400
    age = rng.normal(55, 12, n)
    shape = rng.integers(1, 5, n).astype(float)
    logit = (age - 55) / 4 + 2 * (shape - 2.5)
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    data = pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(n)],
            "Age": age,
            "Shape": shape,
            "Margin": rng.integers(1, 6, n).astype(float),
            "Density": rng.integers(1, 5, n).astype(float),
            "Severity": labels,
        }
    )
    return split_for_training(data, config.dataset, config.training)


def fit(split, config):
    return train_model(split, fit_preprocessor(split, config.dataset), config.dataset, config.training)


def test_model_learns_the_signal(synthetic, config):
    metrics = evaluate_model(fit(synthetic, config), synthetic, config.dataset, config.training)
    assert metrics.auc > 0.8
    assert metrics.auc_ci_low < metrics.auc < metrics.auc_ci_high
    assert (
        metrics.true_positives + metrics.false_negatives + metrics.true_negatives + metrics.false_positives
        == metrics.test_rows
        == len(synthetic.test)
    )


def test_training_is_reproducible_to_the_byte(synthetic, config):
    assert fit(synthetic, config).to_bytes() == fit(synthetic, config).to_bytes()


def test_bundle_round_trip_predicts_the_same(synthetic, config):
    model = fit(synthetic, config)
    loaded = ModelBundle.from_bytes(model.to_bytes())
    np.testing.assert_array_equal(model.predict_proba(synthetic.test), loaded.predict_proba(synthetic.test))


def test_early_stopping_uses_the_validation_split(synthetic, config):
    model = fit(synthetic, config)
    assert model.best_iteration < config.training.xgboost.num_boost_round - 1


def test_not_a_bundle_is_refused():
    with pytest.raises(ValueError, match="not a model bundle"):
        ModelBundle.from_bytes(b'{"format": "other"}')
