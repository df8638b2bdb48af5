import pandas as pd
import pytest

from ml.inference.score import PredictionWriter, publish_predictions, score_batch
from ml.train.preprocess import fit_preprocessor, split_for_training
from ml.train.train import train_model


@pytest.fixture(scope="module")
def model(config, prepared_dir):
    from ml.data.io import read_table

    data = read_table(prepared_dir / "train-part1.csv", config.dataset, with_label=True)
    split = split_for_training(data, config.dataset, config.training)
    return train_model(split, fit_preprocessor(split, config.dataset), config.dataset, config.training)


def test_score_batch_labels_by_the_model_threshold(model):
    batch = pd.DataFrame(
        {
            "record_id": ["a", "b"],
            "Age": [30.0, 80.0],
            "Shape": [1.0, 4.0],
            "Margin": [1.0, 5.0],
            "Density": [3.0, 3.0],
        }
    )
    scored = score_batch(model, batch, "record_id", model_version=3)
    assert scored["record_id"].tolist() == ["a", "b"]
    assert scored["label"].tolist() == (scored["probability"] >= model.threshold).astype(int).tolist()
    assert scored["probability"].iloc[0] < scored["probability"].iloc[1]
    assert set(scored["model_version"]) == {3}


def test_discarded_predictions_leave_no_file(model, tmp_path):
    good = pd.DataFrame(
        {"record_id": ["a"], "Age": [30.0], "Shape": [1.0], "Margin": [1.0], "Density": [3.0]}
    )
    writer = PredictionWriter(tmp_path / "predictions.csv")
    writer.write(score_batch(model, good, "record_id", 1))
    assert writer.path.exists() and writer.path.name.startswith(".")
    writer.discard()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_published_predictions_round_trip(model, tmp_path, suffix):
    batch = pd.DataFrame(
        {
            "record_id": ["a", "b", "c"],
            "Age": [30.0, 80.0, None],
            "Shape": [1.0, 4.0, 2.0],
            "Margin": [1.0, 5.0, 3.0],
            "Density": [3.0, 3.0, None],
        }
    )
    writer = PredictionWriter(tmp_path / f"predictions{suffix}")
    for start in (0, 2):  # two chunks, one file
        writer.write(score_batch(model, batch.iloc[start : start + 2], "record_id", 7))
    writer.close()
    summary = publish_predictions(writer)
    read = pd.read_parquet(summary.path) if suffix == ".parquet" else pd.read_csv(summary.path)
    assert read["record_id"].tolist() == ["a", "b", "c"]
    assert summary.rows == 3 and not writer.path.exists()
    assert read["model_version"].tolist() == [7, 7, 7]


def test_in_place_prediction_equals_the_dmatrix_path_bit_for_bit(model, prepared_dir, config):
    import xgboost as xgb

    batch = pd.read_csv(prepared_dir / "batch.csv", na_values=[config.dataset.missing_marker])
    matrix = xgb.DMatrix(model.preprocessor.transform(batch), feature_names=model.preprocessor.encoded_names)
    expected = model.booster().predict(matrix, iteration_range=(0, model.best_iteration + 1))
    assert model.predict_proba(batch).tobytes() == expected.tobytes()
    assert score_batch(model, batch.iloc[:0], "record_id", 1).empty
