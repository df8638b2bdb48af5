"""The hand-over between jobs: digests checked on loading, files hashed in blocks (batches can be large)."""

from pathlib import Path

import pandas as pd
import pytest

from ml.errors import ArtifactIntegrityError
from ml.inference.score import PredictionWriter
from ml.orchestration.sagemaker.handover import load_values, save_values


def staged_predictions(folder: Path, rows: int) -> PredictionWriter:
    writer = PredictionWriter(folder / "predictions.csv")
    writer.write(pd.DataFrame({"id": range(rows), "probability": 0.7, "label": [1, 0] * (rows // 2)}))
    writer.close()
    return writer


def test_staged_predictions_are_hashed_in_blocks_never_read_whole(tmp_path, monkeypatch):
    writer = staged_predictions(tmp_path / "job1", 2_000)
    read_whole = Path.read_bytes

    def refuse_staged(path: Path) -> bytes:
        if ".staged" in path.name:
            raise AssertionError(f"{path} read into memory whole")
        return read_whole(path)

    monkeypatch.setattr(Path, "read_bytes", refuse_staged)
    save_values({"predictions": writer, "threshold": 0.5}, ["predictions", "threshold"], tmp_path / "state")
    values = load_values(tmp_path / "state", tmp_path / "job2" / "predictions.csv")
    assert values["threshold"] == 0.5
    assert (values["predictions"].rows, values["predictions"].positives) == (2_000, 1_000)
    assert values["predictions"].path.read_text() == writer.path.read_text()


def test_a_changed_hand_over_file_is_refused(tmp_path):
    save_values({"threshold": 0.5}, ["threshold"], tmp_path / "state")
    (tmp_path / "state" / "threshold.pickle").write_bytes(b"not what the job wrote")
    with pytest.raises(ArtifactIntegrityError, match="changed since its job wrote it"):
        load_values(tmp_path / "state")
