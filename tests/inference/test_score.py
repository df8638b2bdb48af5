import pandas as pd
import pytest

from ml.inference.score import score_batch, write_predictions
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


def test_a_failing_chunk_leaves_no_predictions_file(model, tmp_path):
    good = pd.DataFrame(
        {"record_id": ["a"], "Age": [30.0], "Shape": [1.0], "Margin": [1.0], "Density": [3.0]}
    )

    def chunks():
        yield good
        raise OSError("disk went away")

    with pytest.raises(OSError):
        write_predictions(chunks(), model, "record_id", 1, tmp_path / "predictions.csv")
    assert list(tmp_path.iterdir()) == []
