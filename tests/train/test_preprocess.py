import numpy as np
import pandas as pd
import pytest

from ml.train.preprocess import Preprocessor, TrainingSplit, fit_preprocessor, split_for_training


def frame(ages, shapes, labels=None):
    data = {
        "record_id": [f"r{i}" for i in range(len(ages))],
        "Age": ages,
        "Shape": shapes,
        "Margin": [1.0] * len(ages),
        "Density": [2.0] * len(ages),
    }
    data["Severity"] = labels if labels is not None else [i % 2 for i in range(len(ages))]
    return pd.DataFrame(data)


def test_transform_is_fitted_on_the_train_split_only(config):
    train = frame([40.0, 50.0, np.nan], [1.0, 1.0, 2.0])
    test = frame([90.0, 95.0, 99.0], [4.0, 4.0, 4.0])
    preprocessor = fit_preprocessor(TrainingSplit(train, train.iloc[:0], test), config.dataset)
    assert preprocessor.numeric_fill["Age"] == 45.0  # median of the train split, not of train + test
    assert preprocessor.categorical_fill["Shape"] == 1


def test_missing_values_are_imputed_and_codes_one_hot_encoded(config):
    train = frame([40.0, 50.0], [1.0, 2.0])
    preprocessor = fit_preprocessor(TrainingSplit(train, train, train), config.dataset)
    matrix = preprocessor.transform(frame([np.nan], [np.nan]))
    names = preprocessor.encoded_names
    row = dict(zip(names, matrix[0], strict=True))
    assert row["Age"] == 45.0
    assert row["Shape=1"] == 1.0 and row["Shape=2"] == 0.0


def test_unknown_code_encodes_as_all_zeros(config):
    train = frame([40.0, 50.0], [1.0, 2.0])
    preprocessor = fit_preprocessor(TrainingSplit(train, train, train), config.dataset)
    matrix = preprocessor.transform(frame([60.0], [9.0]))
    shape_columns = [i for i, n in enumerate(preprocessor.encoded_names) if n.startswith("Shape=")]
    assert matrix[0, shape_columns].sum() == 0


def test_preprocessor_round_trips_through_a_dict(config):
    train = frame([40.0, 50.0], [1.0, 2.0])
    preprocessor = fit_preprocessor(TrainingSplit(train, train, train), config.dataset)
    assert Preprocessor.from_dict(preprocessor.to_dict()) == preprocessor


def test_split_for_training_is_stratified_and_disjoint(config):
    data = frame(list(np.linspace(30, 80, 200)), [1.0] * 200, labels=[0] * 120 + [1] * 80)
    split = split_for_training(data, config.dataset, config.training)
    ids = [set(part["record_id"]) for part in (split.train, split.validation, split.test)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert sum(map(len, ids)) == 200
    assert split.test["Severity"].mean() == pytest.approx(0.4, abs=0.03)
