"""Commands that need only the registry work on every backend (prod's SageMaker registry on moto here)."""

import json

import pytest
from click.testing import CliRunner

from ml.cli import cli
from ml.config.loader import load_environment
from ml.errors import ConfigError
from ml.orchestration.services import Workspace, build_services, build_statistics_reader
from tests.conftest import REPO


def mlops(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="mlops")


def test_registry_list_reads_prods_sagemaker_registry(fresh_moto, tmp_path):
    result = mlops("registry", "list", "--env", "prod", "--work-dir", str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []


def test_registry_show_reads_prods_sagemaker_registry(fresh_moto, tmp_path):
    result = mlops("registry", "show", "--env", "prod", "--work-dir", str(tmp_path), "--version", "1")
    assert result.exit_code == 4, result.output  # asked the registry, which has no version 1
    assert "not available" not in result.stderr


def test_a_role_the_backend_does_not_provide_is_a_config_error(tmp_path, monkeypatch):
    from ml.orchestration import services

    prod = load_environment("prod", REPO / "configs")
    registry_only = {"registry": services.BACKENDS["sagemaker"]["registry"]}
    monkeypatch.setitem(services.BACKENDS, "sagemaker", registry_only)
    with pytest.raises(
        ConfigError, match=r"backend 'sagemaker' does not provide the artifact store.*\['local'\]"
    ):
        build_services(prod, Workspace(tmp_path))


def test_sagemaker_statistics_reader_reads_the_baseline_from_the_environments_bucket(fresh_moto, tmp_path):
    from ml.artifacts.codecs import encode_json, put_content
    from tests.contracts.test_model_registry import make_candidate

    prod = load_environment("prod", REPO / "configs")
    fresh_moto.client("s3").create_bucket(Bucket=prod.aws.artifact_bucket)
    store = build_services(prod, Workspace(tmp_path)).artifacts
    statistics = {"version": 0.0, "dataset": {"item_count": 3}, "features": []}
    stored = put_content(store, encode_json(statistics))
    version = make_candidate(lineage={"baseline": {"statistics.json": stored.sha256}})
    missing = make_candidate(lineage={"baseline": {"statistics.json": "f" * 64}})

    read = build_statistics_reader(prod, Workspace(tmp_path))
    assert read(version) == statistics
    assert read(missing) is None
