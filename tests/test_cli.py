"""The `mlops` commands as a user runs them: exit codes and what stderr says."""

import hashlib
import json
import shutil
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ml.cli import cli
from tests.aws_server import aws_environment, free_port
from tests.conftest import REPO


def mlops(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="mlops")


@pytest.fixture
def work(tmp_path, prepared_dir) -> Path:
    shutil.copytree(prepared_dir, tmp_path / "work" / "data")
    return tmp_path / "work"


@pytest.fixture
def trained(work) -> Path:
    assert mlops("--work-dir", str(work), "train", "--data", "part1", "--by", "ana").exit_code == 0
    return work


def config_dir_with(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((REPO / "configs/local/environment.yaml").read_text())
    change(data)
    folder = tmp_path / "configs" / "local"
    folder.mkdir(parents=True)
    (folder / "environment.yaml").write_text(yaml.safe_dump(data))
    return tmp_path / "configs"


def test_data_prepare_prints_row_counts_and_policy_counts(tmp_path):
    result = mlops("--work-dir", str(tmp_path), "data", "prepare")
    assert result.exit_code == 0, result.output
    assert "train-part1.csv" in result.output and "337 rows" in result.output
    assert "evaluation.csv" in result.output and "192 rows" in result.output
    digest = hashlib.sha256((tmp_path / "data" / "evaluation.csv").read_bytes()).hexdigest()
    assert f"locked evaluation set: evaluation.csv, sha256 {digest}" in result.output
    assert "Density: 76 row(s) missing -> impute" in result.output
    assert (tmp_path / "data" / "batch-outliers.csv").is_file()


def test_train_registers_and_registry_lists_as_json(trained):
    result = mlops("--work-dir", str(trained), "registry", "list", "--format", "json")
    versions = json.loads(result.output)
    assert [(v["version"], v["status"], v["created_by"]) for v in versions] == [
        (1, "PendingManualApproval", "ana")
    ]
    table = mlops("--work-dir", str(trained), "registry", "list").output
    assert "PendingManualApproval" in table and "auc [95% CI]" in table


def test_registry_show_includes_history(trained):
    mlops("--work-dir", str(trained), "approve", "--version", "1", "--by", "rita", "--reason", "looks good")
    result = mlops("--work-dir", str(trained), "registry", "show", "--version", "1")
    assert result.exit_code == 0
    assert "local v1 approve -> Approved by rita (direct)\n      reason: looks good" in result.output


def test_unknown_version_exits_4(trained):
    result = mlops("approve", "--work-dir", str(trained), "--version", "7", "--by", "rita", "--reason", "x")
    assert result.exit_code == 4
    assert "version 7" in result.stderr


def test_approving_a_rejected_version_exits_5(trained):
    assert (
        mlops(
            "--work-dir", str(trained), "reject", "--version", "1", "--by", "rita", "--reason", "no"
        ).exit_code
        == 0
    )
    result = mlops("--work-dir", str(trained), "approve", "--version", "1", "--by", "rita", "--reason", "yes")
    assert result.exit_code == 5
    assert "is Rejected; it cannot become Approved" in result.stderr


def test_infer_without_an_approved_version_exits_4(trained):
    result = mlops("--work-dir", str(trained), "infer", "--input", str(trained / "data/batch.csv"))
    assert result.exit_code == 4
    assert "has no approved version; pending versions: [1]" in result.stderr


def test_infer_outliers_exits_10_and_writes_no_predictions(trained, tmp_path):
    mlops("--work-dir", str(trained), "approve", "--version", "1", "--by", "rita", "--reason", "ok")
    out = tmp_path / "out"
    result = mlops(
        "--work-dir",
        str(trained),
        "infer",
        "--input",
        str(trained / "data/batch-outliers.csv"),
        "--output-dir",
        str(out),
    )
    assert result.exit_code == 10
    assert "no predictions written" in result.stderr
    assert "baseline_drift_check: Numerical distance: " in result.stderr
    assert "exceeds numerical threshold: 0.1 Age: " in result.stderr
    assert not (out / "predictions.csv").exists()
    assert (out / "constraint_violations.json").is_file()


def test_infer_clean_batch_writes_predictions(trained, tmp_path):
    mlops("--work-dir", str(trained), "approve", "--version", "1", "--by", "rita", "--reason", "ok")
    result = mlops(
        "--work-dir",
        str(trained),
        "infer",
        "--input",
        str(trained / "data/batch.csv"),
        "--output-dir",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out/predictions.csv").is_file()


def test_training_file_with_wrong_header_exits_3(work, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,Age,Shape\n1,50,1\n")
    result = mlops("--work-dir", str(work), "train", "--data", str(bad))
    assert result.exit_code == 3
    assert "bad.csv: header is missing column(s) ['Margin', 'Density', 'Severity']" in result.stderr


def test_training_file_with_non_numeric_value_exits_3(work, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("record_id,Age,Shape,Margin,Density,Severity\nr1,50,1,1,1,0\nr2,50,round,1,1,0\n")
    result = mlops("--work-dir", str(work), "train", "--data", str(bad))
    assert result.exit_code == 3
    assert "line 3: column 'Shape': 'round' is not a number" in result.stderr


def test_missing_training_file_exits_3(work):
    result = mlops("--work-dir", str(work), "train", "--data", "nowhere/train.csv")
    assert result.exit_code == 3
    assert "train.csv: file not found" in result.stderr


def test_gate_rejection_exits_8(work, tmp_path):
    configs = config_dir_with(tmp_path, lambda d: d["quality_gate"].update(min_auc=0.99))
    result = mlops("--config-dir", str(configs), "--work-dir", str(work), "train")
    assert result.exit_code == 8
    assert "not registered: auc" in result.stderr


def test_unknown_config_key_exits_2(tmp_path):
    configs = config_dir_with(tmp_path, lambda d: d["monitoring"].update(chunk_row=10))
    result = mlops("--config-dir", str(configs), "config", "validate")
    assert result.exit_code == 2
    assert "environment.yaml: monitoring.chunk_row: unknown key" in result.stderr


def test_demo_runs_all_scenarios_and_can_run_again(tmp_path):
    for _ in range(2):
        result = mlops("demo", "--work-dir", str(tmp_path / "demo"))
        assert result.exit_code == 0, result.output
        assert "all five scenarios behaved as expected" in result.output
    assert "v2 PendingManualApproval" in result.output
    assert "192 locked" in result.output
    assert "compare v2 vs v1         v2 indistinguishable, non-inferior  Δauc +0.012 [-0.010, +0.035]" in (
        result.output
    )
    assert (tmp_path / "demo" / "comparisons" / "v1-vs-v2" / "report.html").is_file()


def test_demo_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = mlops("demo", "--work-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "not made by `mlops demo`" in result.stderr
    assert (tmp_path / "precious.txt").exists()


def test_infer_writes_parquet_when_asked(trained, tmp_path):
    import pandas as pd

    mlops("--work-dir", str(trained), "approve", "--version", "1", "--by", "rita", "--reason", "ok")
    result = mlops(
        "infer",
        "--work-dir",
        str(trained),
        "--input",
        str(trained / "data/batch.csv"),
        "--output-dir",
        str(tmp_path / "out"),
        "--output-format",
        "parquet",
    )
    assert result.exit_code == 0, result.output
    predictions = pd.read_parquet(tmp_path / "out/predictions.parquet")
    assert len(predictions) == 145 and set(predictions["model_version"]) == {1}
    assert not (tmp_path / "out/predictions.csv").exists()


class AccessDenied(BaseHTTPRequestHandler):
    """An AWS JSON endpoint that refuses every call, as SageMaker does for a role without the right."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"__type": "AccessDeniedException", "message": "not authorized"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def aws_at(monkeypatch, tmp_path):
    """Point the AWS clients at a local endpoint with fake credentials, one attempt per call."""
    from ml import aws

    def point(endpoint_url: str) -> None:
        for name, value in aws_environment(endpoint_url, tmp_path).items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        monkeypatch.setattr(aws, "build_client", partial(aws.build_client, max_attempts=1))

    return point


def test_an_aws_refusal_is_reported_as_aws_not_as_a_bug(aws_at, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), AccessDenied)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        aws_at(f"http://127.0.0.1:{server.server_address[1]}")
        result = mlops("registry", "list", "--env", "dev", "--work-dir", str(tmp_path))
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        "error: AWS ListModelPackages (AccessDeniedException): not authorized; "
        "check the role, credentials and region"
    )
    assert "bug" not in result.stderr and "Traceback" not in result.output


def test_an_unreachable_aws_endpoint_is_reported_as_aws_not_as_a_bug(aws_at, tmp_path):
    aws_at(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    result = mlops("registry", "list", "--env", "dev", "--work-dir", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: AWS EndpointConnectionError: Could not connect to the endpoint")
    assert result.stderr.rstrip().endswith("; check the role, credentials and region")
    assert "bug" not in result.stderr and "Traceback" not in result.output
