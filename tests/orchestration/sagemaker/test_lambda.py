"""The resolve Lambda: the handler against moto, and its package run with nothing but the zip on the path."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from ml.errors import ArtifactIntegrityError, ConfigError, ModelNotFoundError
from ml.orchestration.sagemaker.lambda_handler import OUTPUTS, handler
from ml.orchestration.sagemaker.lambda_package import build_package, glibc_of
from ml.orchestration.services import build_sagemaker_registry
from ml.registry import ApprovalStatus
from tests.contracts.test_model_registry import make_candidate
from tests.orchestration.sagemaker.conftest import REPO

STATISTICS, CONSTRAINTS = "b" * 64, "c" * 64


def register(aws_dev, *, approve: bool, lineage: dict | None = None):
    group = aws_dev.config.model_group
    baseline = {
        "baseline": {"statistics.json": STATISTICS, "constraints.json": CONSTRAINTS},
        "baseline_uri": {"statistics.json": "s3://b/s.json", "constraints.json": "s3://b/c.json"},
    }
    registry = build_sagemaker_registry(aws_dev.config, None)
    registry.register(make_candidate(group=group, lineage=baseline if lineage is None else lineage))
    if approve:
        registry.set_status(group, 1, ApprovalStatus.APPROVED, reason="ok", changed_by="alice")


def test_the_handler_returns_the_approved_version_and_its_baseline(aws_dev):
    register(aws_dev, approve=True)

    outputs = handler({}, None)

    assert tuple(outputs) == OUTPUTS
    assert outputs["ModelVersion"] == 1 and outputs["ArtifactDigest"] == "a" * 64
    assert (outputs["StatisticsDigest"], outputs["ConstraintsUri"]) == (STATISTICS, "s3://b/c.json")


def test_nothing_approved_fails_the_step_with_the_registry_message(aws_dev):
    register(aws_dev, approve=False)

    with pytest.raises(ModelNotFoundError, match=r"no approved version; pending versions: \[1\]"):
        handler({}, None)


def test_a_version_without_a_baseline_in_s3_is_refused_by_name(aws_dev):
    register(aws_dev, approve=True, lineage={})

    with pytest.raises(ArtifactIntegrityError, match="version 1: no S3 artifact or baseline"):
        handler({}, None)


def test_the_environment_must_be_named(aws_dev, monkeypatch):
    monkeypatch.delenv("MLOPS_ENV")

    with pytest.raises(ConfigError, match="MLOPS_ENV is not set"):
        handler({}, None)


def test_the_package_runs_the_handler_with_nothing_but_its_own_files(aws_dev, tmp_path):
    register(aws_dev, approve=True)
    build_package(REPO, tmp_path / "resolve-lambda.zip")
    with zipfile.ZipFile(tmp_path / "resolve-lambda.zip") as archive:
        archive.extractall(tmp_path / "task")
    # -S -I: no site-packages and no user paths, as in the Lambda runtime where /var/task is the code.
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from ml.orchestration.sagemaker.lambda_handler import handler; "
        "out = handler({}, None); "
        "print(json.dumps({'out': out, 'heavy': sorted({'numpy', 'pandas', 'xgboost'} & set(sys.modules))}))"
    )
    env_config = str(tmp_path / "task" / "configs")
    done = subprocess.run(
        [sys.executable, "-S", "-c", script, str(tmp_path / "task")],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "MLOPS_CONFIG_DIR": env_config},
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["out"]["ModelVersion"] == 1 and result["heavy"] == []


def test_the_package_is_byte_for_byte_reproducible(tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    build_package(REPO, first)
    build_package(REPO, second)

    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("tag", "glibc"),
    [("cp311-cp311-manylinux2014_x86_64", (2, 17)), ("cp311-cp311-manylinux_2_28_x86_64", (2, 28))],
)
def test_platform_tags_give_the_glibc_they_need(tag, glibc):
    assert glibc_of(tag) == glibc
