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


def test_a_role_the_backend_does_not_provide_is_a_config_error(tmp_path):
    prod = load_environment("prod", REPO / "configs")
    with pytest.raises(
        ConfigError, match=r"backend 'sagemaker' does not provide the artifact store.*\['local'\]"
    ):
        build_services(prod, Workspace(tmp_path))


def test_sagemaker_statistics_reader_reads_nothing_yet(tmp_path):
    prod = load_environment("prod", REPO / "configs")
    assert build_statistics_reader(prod, Workspace(tmp_path))(object()) is None
