"""Hostile inputs through `mlops infer`, `train` and `monitor quality` as a user runs them: the documented
exit code, one line naming the file and line, no traceback, no predictions for a refused or failing batch."""

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ml.cli import cli
from ml.inference.pipeline import BatchSource, check_and_score
from ml.inference.resolve import load_model_artifacts
from ml.orchestration.services import build_services
from ml.registry import ModelVersion

HEADER = "record_id,Age,Shape,Margin,Density\n"


def mlops(work: Path, *args: str):
    return CliRunner().invoke(cli, ["--work-dir", str(work), *args], prog_name="mlops")


def clean_rows(workspace) -> str:
    return (workspace.data_dir / "batch.csv").read_text().split("\n", 1)[1]


def predictions_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "predictions" in p.name) if folder.is_dir() else []


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (lambda rows: rows.replace("\n", "\nb-short,50,1\n", 1), 3, r"line 3: has 3 field\(s\)"),
        (lambda rows: rows.replace("\n", "\nb-semi;50;1;2;3\n", 1), 3, r"line 3: has 1 field\(s\)"),
        (
            lambda rows: rows.replace("\n", "\n,50,1,2,3\n", 1),
            3,
            "line 3: column 'record_id': the record id is empty",
        ),
        (lambda rows: rows + rows.split("\n", 1)[0] + "\n", 3, "the record id repeats the one on line 2"),
        (lambda rows: rows.replace("\n", "\nbNA,NA,1,2,3\n", 1), 10, "line 3 = 'NA'"),
        (lambda rows: rows.replace("\n", "\nbbig,1e999,1,2,3\n", 1), 10, "line 3 = '1e999'"),
    ],
    ids=["truncated row", "other delimiter", "empty id", "duplicate id", "NA", "overflowing number"],
)
def test_infer_never_scores_a_row_that_does_not_parse(approved_workspace, tmp_path, change, code, message):
    path = tmp_path / "batch.csv"
    path.write_text(HEADER + change(clean_rows(approved_workspace)))

    result = mlops(
        approved_workspace.root, "infer", "--input", str(path), "--output-dir", str(tmp_path / "out")
    )

    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and str(path) in result.output
    assert re.search(message, result.output), result.output
    assert predictions_in(tmp_path / "out") == []


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfer\x00e\x00c\x00",
        b"PK\x03\x04" + bytes(range(256)),
        HEADER.encode() + b"b1," + b"7" * 200_000,
    ],
    ids=["UTF-16", "zip", "huge field"],
)
def test_infer_refuses_binary_and_huge_input_with_exit_3(approved_workspace, tmp_path, content):
    path = tmp_path / "batch.csv"
    path.write_bytes(content)

    result = mlops(
        approved_workspace.root, "infer", "--input", str(path), "--output-dir", str(tmp_path / "out")
    )

    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and str(path) in result.output


def test_a_tolerant_data_type_threshold_never_scores_a_value_that_is_not_a_number(
    config, approved_workspace, tmp_path
):
    services = build_services(config, approved_workspace)
    version: ModelVersion = services.registry.approved_version(config.model_group)
    model, baseline = load_model_artifacts(services.artifacts, version)
    baseline.constraints["monitoring_config"]["datatype_check_threshold"] = 0.0  # anything goes
    path = tmp_path / "batch.csv"
    path.write_text(HEADER + clean_rows(approved_workspace).replace("\n", "\nbNA,NA,1,2,3\n", 1))

    with pytest.raises(Exception, match="cannot be scored: line 3") as error:
        check_and_score(BatchSource(path, config.dataset, 100), baseline, model, version, tmp_path / "p.csv")

    assert getattr(error.value, "exit_code", None) == 3
    assert not list(tmp_path.glob("*p.csv*")), "nothing staged is left"


def test_every_scored_row_was_scored_from_its_own_fields(config, approved_workspace, tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(HEADER + clean_rows(approved_workspace).replace(",", " , "))  # blanks are harmless

    result = mlops(
        approved_workspace.root, "infer", "--input", str(path), "--output-dir", str(tmp_path / "out")
    )

    assert result.exit_code == 0, result.output
    services = build_services(config, approved_workspace)
    model, _ = load_model_artifacts(
        services.artifacts, services.registry.approved_version(config.model_group)
    )
    batch = pd.read_csv(approved_workspace.data_dir / "batch.csv", dtype={"record_id": str})
    predictions = pd.read_csv(tmp_path / "out/predictions.csv", dtype={"record_id": str})
    assert predictions["record_id"].tolist() == batch["record_id"].tolist()
    assert predictions["probability"].tolist() == pytest.approx(model.predict_proba(batch).tolist(), abs=1e-6)


def test_train_refuses_none_na_null_exactly_as_infer_counts_them(approved_workspace, tmp_path):
    part = approved_workspace.data_dir / "train-part1.csv"
    lines = part.read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[1], "null", 1)
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n")

    result = mlops(approved_workspace.root, "train", "--data", str(path))

    assert result.exit_code == 3, result.output
    assert f"{path}: line 6: column 'Age': 'null' is not a number" in result.output


@pytest.mark.parametrize(
    ("predictions", "message"),
    [
        (lambda text: text.replace(",1\n", ",99999999999999999999\n", 1), "is not a version"),
        (lambda text: text.replace(",1\n", ",1,extra\n", 1), "has 5 field(s), expected 4"),
        (lambda text: '"probability",' + text, "appear more than once"),
        (lambda text: text.encode("utf-16").decode("latin-1"), "not UTF-8"),
    ],
    ids=["out-of-range version", "long row", "duplicate header", "UTF-16"],
)
def test_monitor_quality_refuses_malformed_predictions_with_exit_3(
    approved_workspace, tmp_path, predictions, message
):
    scored = mlops(
        approved_workspace.root,
        "infer",
        "--input",
        str(approved_workspace.data_dir / "batch.csv"),
        "--output-dir",
        str(tmp_path / "scored"),
    )
    assert scored.exit_code == 0, scored.output
    path = tmp_path / "bad.csv"
    path.write_bytes(predictions((tmp_path / "scored/predictions.csv").read_text()).encode("latin-1"))

    result = mlops(
        approved_workspace.root,
        "monitor",
        "quality",
        "--predictions",
        str(path),
        "--labels",
        str(approved_workspace.data_dir / "batch-labels.csv"),
        "--output-dir",
        str(tmp_path / "mq"),
    )

    assert result.exit_code == 3, result.output
    assert message in result.output and str(path) in result.output and "Traceback" not in result.output


def test_an_output_dir_below_a_file_is_a_clear_error(approved_workspace, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")

    result = mlops(
        approved_workspace.root,
        "infer",
        "--input",
        str(approved_workspace.data_dir / "batch.csv"),
        "--output-dir",
        str(blocker / "out"),
    )

    assert result.exit_code == 1 and f"{blocker / 'out'}: cannot create the output folder" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_dir_is_a_clear_error(approved_workspace, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    batch = approved_workspace.data_dir / "batch.csv"

    result = mlops(approved_workspace.root, "infer", "--input", str(batch), "--output-dir", str(folder))

    assert result.exit_code == 1 and "cannot write to the output folder" in result.output


def test_a_work_dir_below_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")

    result = mlops(blocker / "work", "registry", "list")

    assert (
        result.exit_code == 1 and str(blocker / "work") in result.output and "Traceback" not in result.output
    )


def test_a_passing_run_then_a_failing_one_leaves_only_the_failing_runs_files(approved_workspace, tmp_path):
    out = tmp_path / "out"
    good = approved_workspace.data_dir / "batch.csv"
    assert (
        mlops(approved_workspace.root, "infer", "--input", str(good), "--output-dir", str(out)).exit_code == 0
    )
    bad = approved_workspace.data_dir / "batch-outliers.csv"
    (out / "notes.txt").write_text("the user's own file")

    result = mlops(approved_workspace.root, "infer", "--input", str(bad), "--output-dir", str(out))

    assert result.exit_code == 10
    assert predictions_in(out) == []
    assert (out / "notes.txt").read_text() == "the user's own file"
    assert json.loads((out / ".mlops-run.json").read_text())["status"] == "rejected"


def test_a_second_run_into_an_output_dir_in_use_is_refused_naming_the_first(approved_workspace, tmp_path):
    from ml.orchestration.outputs import claim_output_dir

    batch = approved_workspace.data_dir / "batch.csv"
    with claim_output_dir(tmp_path / "out", "inference-first", ("report.html",)):
        result = mlops(
            approved_workspace.root, "infer", "--input", str(batch), "--output-dir", str(tmp_path / "out")
        )

    assert result.exit_code == 1 and "run inference-first (process" in result.output
    assert predictions_in(tmp_path / "out") == []


@pytest.mark.parametrize(
    "content",
    [
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
        "name: local\nname: local\n",
        "name: Jos\udce9\n",
    ],
    ids=["alias bomb", "duplicate key", "latin-1"],
)
def test_a_hostile_environment_file_is_exit_2(tmp_path, content):
    folder = tmp_path / "configs/local"
    folder.mkdir(parents=True)
    (folder / "environment.yaml").write_bytes(content.encode("utf-8", "surrogateescape"))

    result = CliRunner().invoke(cli, ["--config-dir", str(tmp_path / "configs"), "registry", "list"])

    assert result.exit_code == 2, result.output
    assert "environment.yaml" in result.output and "Traceback" not in result.output


def test_an_out_of_range_version_option_is_a_usage_error(approved_workspace):
    result = mlops(approved_workspace.root, "registry", "show", "--version", "99999999999999999999")

    assert result.exit_code == 2 and "99999999999999999999 is not in the range" in result.output


def test_an_out_of_range_version_in_an_approval_file_is_a_config_error(tmp_path):
    from ml.errors import ConfigError
    from ml.registry.approvals import load_approval_file

    path = tmp_path / "approved-model.yaml"
    path.write_text(
        "approvals:\n  - model_group: g\n    version: 99999999999999999999\n    artifact_digest: "
        + "a" * 64
        + "\n"
        "    reason: r\n    approved_by: b\n    approved_at: 2026-01-01T00:00:00Z\n"
    )

    with pytest.raises(ConfigError, match=r"approvals\.0\.version: .*less than or equal to 2147483647"):
        load_approval_file(path)


def test_infer_into_a_killed_runs_folder_says_so_and_takes_it_over(approved_workspace, tmp_path):
    import socket
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    out = tmp_path / "out"
    out.mkdir()
    lock = {"run_id": "inference-killed", "pid": gone.pid, "host": socket.gethostname(), "started_at": "t"}
    (out / ".mlops-run.lock").write_text(json.dumps(lock))
    batch = approved_workspace.data_dir / "batch.csv"

    result = mlops(approved_workspace.root, "infer", "--input", str(batch), "--output-dir", str(out))

    assert result.exit_code == 0, result.output
    assert "run inference-killed was killed while writing here" in result.output
