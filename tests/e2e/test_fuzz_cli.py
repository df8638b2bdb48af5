"""`mlops infer` over generated hostile batches (hypothesis): the exit code is one the README documents, no
traceback, no predictions unless the batch passed, and every prediction scored from its own row's fields."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ml.cli import cli
from ml.inference.resolve import load_model_artifacts
from ml.orchestration.services import build_services
from tests.conftest import REPO
from tests.data.hostile import strict_batch
from tests.fuzz.batches import batches

EXPECTED_EXIT_CODES = {0, 3, 10}


@pytest.fixture(scope="module")
def scoring(tmp_path_factory, trained_once, config):
    """A copy of the approved work dir, a config that does not retrain (speed), and the approved model."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(trained_once.root, root / "work")
    data = yaml.safe_load((REPO / "configs/local/environment.yaml").read_text())
    data["reactions"]["retrain_on_violation"] = False
    (root / "configs/local").mkdir(parents=True)
    (root / "configs/local/environment.yaml").write_text(yaml.safe_dump(data))
    services = build_services(config, trained_once)
    model, _ = load_model_artifacts(
        services.artifacts, services.registry.approved_version(config.model_group)
    )
    clean = (trained_once.data_dir / "batch.csv").read_bytes()
    return root, model, clean


@st.composite
def hostile_batches(draw, clean: bytes) -> bytes:
    """A generated batch, or the clean batch with a few of its lines replaced by generated ones."""
    generated = draw(batches())
    if draw(st.booleans()):
        return generated.data
    lines = clean.split(b"\n")
    for line in generated.data.split(b"\n")[1:4]:
        lines[draw(st.integers(1, len(lines) - 2))] = line
    return b"\n".join(lines)


@settings(max_examples=max(10, settings.default.max_examples // 10))
@given(data=st.data())
def test_infer_keeps_its_promises_on_any_batch(scoring, config, data):
    root, model, clean = scoring
    content = data.draw(hostile_batches(clean))
    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / "batch.csv", Path(folder) / "out"
        path.write_bytes(content)
        arguments = ["--work-dir", str(root / "work"), "--config-dir", str(root / "configs")]
        result = CliRunner().invoke(
            cli, [*arguments, "infer", "--input", str(path), "--output-dir", str(out)]
        )

        event(f"exit {result.exit_code}")
        assert result.exit_code in EXPECTED_EXIT_CODES, result.output
        assert "Traceback" not in result.output
        predictions = out / "predictions.csv"
        if result.exit_code != 0:
            assert not predictions.exists() and not list(out.glob(".*staged"))
            return
        rows = strict_batch(path, config.dataset).frame
        scored = pd.read_csv(predictions, dtype={"record_id": str}, keep_default_na=False)
        assert scored["record_id"].tolist() == rows["record_id"].tolist()
        expected = model.predict_proba(rows.astype({name: float for name in config.dataset.feature_names}))
        assert scored["probability"].tolist() == pytest.approx(expected.tolist(), abs=1e-6)
