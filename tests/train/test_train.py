import numpy as np
import pandas as pd
import pytest

from ml.errors import DataError
from ml.train.crossval import cross_validate
from ml.train.evaluate import evaluate_model
from ml.train.locked import EvaluationSet, evaluate_on_locked_set
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


def test_cross_validation_fits_each_fold_on_its_own_rows(synthetic, config):
    data = pd.concat([synthetic.train, synthetic.validation, synthetic.test], ignore_index=True)
    five = config.training.model_copy(update={"cv_folds": 5})
    result = cross_validate(data, config.dataset, five)
    assert result.folds == len(result.fold_aucs) == 5
    assert 0.8 < result.mean < 1 and result.std > 0
    assert result.registry_metrics() == {"cv_auc_mean": result.mean, "cv_auc_std": result.std, "cv_folds": 5}
    assert cross_validate(data, config.dataset, five) == result  # seeded


def test_cross_validation_needs_as_many_rows_per_class_as_folds(synthetic, config):
    few = pd.concat([synthetic.train[synthetic.train["Severity"] == 0], synthetic.train.head(0)])
    few = pd.concat([few, synthetic.train[synthetic.train["Severity"] == 1].head(3)], ignore_index=True)
    with pytest.raises(
        DataError, match=r"the rarer Severity class has 3 rows, fewer than training\.cv_folds=10"
    ):
        cross_validate(few, config.dataset, config.training)


def test_locked_evaluation_keeps_every_rows_probability(synthetic, config):
    model = fit(synthetic, config)
    locked = EvaluationSet(synthetic.test, "ab" * 32, "evaluation.csv")
    result = evaluate_on_locked_set(model, locked, config.dataset, config.training)
    assert result.scores.record_ids == tuple(synthetic.test["record_id"])
    assert result.scores.probabilities == pytest.approx(model.predict_proba(synthetic.test).tolist())
    assert result.metrics == evaluate_model(model, synthetic, config.dataset, config.training)
    assert result.registry_metrics()["evaluation_auc"] == result.metrics.auc


def test_one_class_evaluation_data_is_a_clear_error(synthetic, config):
    benign = synthetic.test[synthetic.test["Severity"] == 0]
    locked = EvaluationSet(benign, "ab" * 32, "data/evaluation.csv")
    with pytest.raises(
        DataError, match=r"locked evaluation set data/evaluation.csv: \d+ rows with label class\(es\) \[0\]"
    ):
        evaluate_on_locked_set(fit(synthetic, config), locked, config.dataset, config.training)
