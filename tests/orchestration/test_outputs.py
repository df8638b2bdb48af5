"""An output folder is one run's at a time; earlier runs' files go, the user's stay, killed runs show."""

import json
import os
import socket
import subprocess
import sys

import pytest

from ml.orchestration.local import RunRecord, run_status
from ml.orchestration.outputs import LOCK, MANIFEST, OutputDirError, claim_output_dir

PRODUCES = ("report.html", "predictions.csv")


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_second_run_into_a_folder_in_use_is_refused_naming_the_first(tmp_path):
    with (
        claim_output_dir(tmp_path, "run-a", PRODUCES),
        pytest.raises(OutputDirError) as error,
        claim_output_dir(tmp_path, "run-b", PRODUCES),
    ):
        pass

    assert f"run run-a (process {os.getpid()}" in str(error.value) and "is writing into this folder" in str(
        error.value
    )


def test_a_killed_runs_lock_is_recognised_and_taken_over(tmp_path):
    lock = {"run_id": "run-killed", "pid": dead_pid(), "host": socket.gethostname(), "started_at": "x"}
    (tmp_path / LOCK).write_text(json.dumps(lock))
    (tmp_path / MANIFEST).write_text(
        json.dumps({"run_id": "run-killed", "status": "running", "files": list(PRODUCES)})
    )
    (tmp_path / "report.html").write_text("half a report")

    with claim_output_dir(tmp_path, "run-b", PRODUCES) as claim:
        assert not (tmp_path / "report.html").exists(), "the killed run's half-written file is gone"
        claim.status = "succeeded"

    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["note"].startswith("run run-killed was killed while writing here")
    assert manifest["status"] == "succeeded" and not (tmp_path / LOCK).exists()


def test_a_file_no_run_wrote_is_never_overwritten(tmp_path):
    (tmp_path / "report.html").write_text("the user's own report")

    with (
        pytest.raises(OutputDirError, match=r"report\.html: exists, and no mlops run wrote it"),
        claim_output_dir(tmp_path, "run-a", PRODUCES),
    ):
        pass

    assert (tmp_path / "report.html").read_text() == "the user's own report"
    assert not (tmp_path / LOCK).exists() and not (tmp_path / MANIFEST).exists()


def test_the_previous_runs_files_are_removed_before_the_next_run(tmp_path):
    with claim_output_dir(tmp_path, "run-a", PRODUCES) as claim:
        (tmp_path / "predictions.csv").write_text("a's rows")
        claim.status = "succeeded"

    with claim_output_dir(tmp_path, "run-b", PRODUCES) as claim:
        assert not (tmp_path / "predictions.csv").exists()
        claim.status = "failed"

    assert json.loads((tmp_path / MANIFEST).read_text()) | {"updated_at": ""} == {
        "run_id": "run-b",
        "status": "failed",
        "files": [],
        "updated_at": "",
    }


def test_an_interrupted_claim_says_so(tmp_path):
    with pytest.raises(KeyboardInterrupt), claim_output_dir(tmp_path, "run-a", PRODUCES):
        raise KeyboardInterrupt

    assert json.loads((tmp_path / MANIFEST).read_text())["status"] == "interrupted"


def test_a_run_record_left_running_by_a_dead_process_reads_as_killed(tmp_path):
    RunRecord("run-a", "inference", "running", "t0", {}, pid=dead_pid()).save(tmp_path)
    assert run_status(tmp_path) == "killed"

    RunRecord("run-b", "inference", "running", "t0", {}).save(tmp_path)
    assert run_status(tmp_path) == "running"


def test_json_outputs_hold_standard_json_only():
    from ml.artifacts.codecs import encode_json

    text = encode_json({"mean": float("inf"), "std": [float("nan"), 1.5]}).decode()

    assert json.loads(text, parse_constant=pytest.fail) == {"mean": None, "std": [None, 1.5]}
