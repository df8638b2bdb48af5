"""Rules across environment files: each broken alone in a copy of configs/, each named by file and field."""

import shutil

import pytest

from ml.config.loader import load_all_environments
from ml.config.rules import check_environments, validate_environments
from ml.errors import ConfigError
from tests.config.conftest import CONFIGS, edit_env, replace_in_env


def problems_of(config_dir) -> list[str]:
    return [line for lines in validate_environments(config_dir).problems.values() for line in lines]


def test_repository_environments_break_no_rule():
    assert check_environments(load_all_environments(CONFIGS)) == []


def test_workload_must_register_into_a_declared_registry_account(config_dir):
    edit_env(config_dir, "prod", lambda d: d["registry"].update(account_id="444444444444"))
    [problem] = problems_of(config_dir)
    assert (
        "prod/environment.yaml: registry.account_id: 444444444444 is not the account of any kind: registry"
        in problem
    )
    assert "configs/registry has 333333333333" in problem


def test_missing_registry_environment_is_reported(config_dir):
    shutil.rmtree(config_dir / "registry")
    problems = problems_of(config_dir)
    assert any("dev/environment.yaml: registry.account_id:" in p and "none exists" in p for p in problems)


def test_workloads_must_use_the_registrys_model_package_group(config_dir):
    def rename(data):
        data["model_group"] = data["registry"]["model_package_group"] = "another-group"

    edit_env(config_dir, "prod", rename)
    problems = problems_of(config_dir)
    expected = "prod/environment.yaml: registry.model_package_group: is 'another-group' but configs/registry"
    assert any(expected in p for p in problems)
    assert any("prod/environment.yaml: model_group: must equal configs/dev's" in p for p in problems)


def test_workloads_must_use_the_registrys_region(config_dir):
    replace_in_env(config_dir, "registry", "us-east-1", "us-west-2")
    problems = problems_of(config_dir)
    assert any(
        "dev/environment.yaml: registry.region: is 'us-east-1' but configs/registry" in p for p in problems
    )
    assert any("prod/environment.yaml: registry.region:" in p for p in problems)


def test_account_ids_must_differ(config_dir):
    replace_in_env(config_dir, "dev", "111111111111", "222222222222")
    [problem] = problems_of(config_dir)
    assert "prod/environment.yaml: aws.account_id: 222222222222 is also configs/dev's account" in problem


def test_registry_account_cannot_be_a_workload_account(config_dir):
    replace_in_env(config_dir, "registry", "333333333333", "111111111111")
    problems = problems_of(config_dir)
    assert any(
        "registry/environment.yaml: aws.account_id: 111111111111 is also configs/dev's" in p for p in problems
    )


@pytest.mark.parametrize("prior", ["staging", "registry"])
def test_prior_approval_must_name_a_workload_environment(config_dir, prior):
    edit_env(config_dir, "prod", lambda d: d["governance"].update(require_prior_approval_in=[prior]))
    [problem] = problems_of(config_dir)
    assert (
        f"prod/environment.yaml: governance.require_prior_approval_in: '{prior}' is not a workload" in problem
    )
    assert "use one of ['dev', 'local']" in problem


def test_prior_approvals_must_not_form_a_cycle(config_dir):
    edit_env(config_dir, "dev", lambda d: d["governance"].update(require_prior_approval_in=["prod"]))
    problems = problems_of(config_dir)
    assert any(
        "dev/environment.yaml: governance.require_prior_approval_in: approvals wait" in p for p in problems
    )
    assert any(
        "prod/environment.yaml: governance.require_prior_approval_in: approvals wait" in p for p in problems
    )


def test_promoted_environment_needs_the_same_data_contract(config_dir):
    edit_env(config_dir, "prod", lambda d: d["dataset"]["columns"][1].update(max=130))
    [problem] = problems_of(config_dir)
    assert "prod/environment.yaml: dataset: differs from configs/dev's" in problem


def test_cross_file_rules_wait_for_every_file_to_load(config_dir):
    edit_env(config_dir, "registry", lambda d: d["aws"].update(account_id="3333"))
    report = validate_environments(config_dir)
    assert not report.rules_checked and report.failing == ["registry"]
    assert "aws.account_id: expected 12 digits, got '3333'" in report.problems["registry"][0]


def test_empty_config_dir_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"no <env>/environment\.yaml found"):
        validate_environments(tmp_path)
