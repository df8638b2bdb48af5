"""Every committed environment file validates, and the kind/backend rules refuse misplaced sections."""

import pytest

from ml.config.loader import load_all_environments, load_environment
from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError
from tests.config.conftest import CONFIGS, ENVS, edit_env, read_env


@pytest.mark.parametrize("env", ENVS)
def test_every_environment_file_validates(env):
    assert load_environment(env, CONFIGS).name == env


@pytest.mark.parametrize("env", ENVS)
def test_a_dump_validates_again(env):
    config = load_environment(env, CONFIGS)
    assert EnvironmentConfig.model_validate(config.model_dump()) == config


def test_load_all_environments_finds_every_file():
    configs = load_all_environments(CONFIGS)
    assert set(ENVS) <= set(configs)
    assert configs["registry"].kind == "registry" and configs["registry"].dataset is None


def test_load_all_environments_reports_every_broken_file(config_dir):
    edit_env(config_dir, "dev", lambda d: d["aws"].update(region="moon-1"))
    edit_env(config_dir, "prod", lambda d: d.update(regoin="us-east-1"))
    with pytest.raises(ConfigError) as error:
        load_all_environments(config_dir)
    assert "dev/environment.yaml: aws.region: expected an AWS region" in str(error.value)
    assert "prod/environment.yaml: regoin: unknown key" in str(error.value)


def test_sagemaker_backend_needs_its_aws_sections(config_dir):
    edit_env(config_dir, "prod", lambda d: [d.pop("aws"), d.pop("ci")])
    with pytest.raises(ConfigError) as error:
        load_environment("prod", config_dir)
    message = str(error.value)
    assert (
        "prod/environment.yaml: aws: required field is missing (kind workload, backend sagemaker)" in message
    )
    assert "prod/environment.yaml: ci: required field is missing" in message


def test_local_backend_refuses_aws_sections(config_dir):
    edit_env(config_dir, "local", lambda d: d.update(aws=read_env(config_dir, "prod")["aws"]))
    with pytest.raises(ConfigError, match=r"local/environment.yaml: aws: only for backend sagemaker"):
        load_environment("local", config_dir)


def test_registry_kind_needs_no_dataset_and_refuses_one(config_dir):
    edit_env(config_dir, "registry", lambda d: d.update(dataset=read_env(config_dir, "prod")["dataset"]))
    with pytest.raises(ConfigError, match=r"registry/environment.yaml: dataset: only for kind workload"):
        load_environment("registry", config_dir)


def test_registry_kind_refuses_pipeline_settings_even_with_defaults(config_dir):
    edit_env(config_dir, "registry", lambda d: d.update(training={"seed": 7}))
    with pytest.raises(ConfigError, match=r"registry/environment.yaml: training: only for kind workload"):
        load_environment("registry", config_dir)


def test_registry_kind_must_run_on_sagemaker(config_dir):
    edit_env(config_dir, "registry", lambda d: d.update(backend="local"))
    with pytest.raises(ConfigError, match=r"registry/environment.yaml: backend: kind registry .* sagemaker"):
        load_environment("registry", config_dir)


def test_workload_needs_a_dataset(config_dir):
    edit_env(config_dir, "dev", lambda d: d.pop("dataset"))
    with pytest.raises(ConfigError, match=r"dev/environment.yaml: dataset: required field is missing"):
        load_environment("dev", config_dir)


def test_shared_registry_is_approved_only_through_pull_requests(config_dir):
    edit_env(config_dir, "prod", lambda d: d["approvals"].update(mode="direct"))
    with pytest.raises(ConfigError, match=r"prod/environment.yaml: approvals.mode: .*set mode: pull_request"):
        load_environment("prod", config_dir)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "kms_key_arn",
            "arn:aws:kms:us-east-1:111111111111:alias/x",
            "aws.kms_key_arn: key is in account 1111",
        ),
        (
            "kms_key_arn",
            "arn:aws:kms:eu-west-1:222222222222:alias/x",
            "region eu-west-1, but the environment",
        ),
    ],
)
def test_kms_key_must_be_the_environments_own(config_dir, field, value, expected):
    edit_env(config_dir, "prod", lambda d: d["aws"].update({field: value}))
    with pytest.raises(ConfigError, match=expected):
        load_environment("prod", config_dir)


def test_roles_must_live_in_the_environments_account(config_dir):
    arn = "arn:aws:iam::111111111111:role/mammo-severity-dev-github-deploy"
    edit_env(config_dir, "prod", lambda d: d["ci"].update(deploy_role_arn=arn))
    with pytest.raises(ConfigError, match=r"ci.deploy_role_arn: role is in account 111111111111, not"):
        load_environment("prod", config_dir)


def test_model_package_group_equals_model_group(config_dir):
    edit_env(config_dir, "prod", lambda d: d["registry"].update(model_package_group="other"))
    with pytest.raises(ConfigError, match=r"registry.model_package_group: is 'other' but model_group is"):
        load_environment("prod", config_dir)


def test_registry_region_equals_the_workloads(config_dir):
    edit_env(config_dir, "prod", lambda d: d["registry"].update(region="eu-west-1"))
    with pytest.raises(ConfigError, match=r"registry.region: eu-west-1 differs from aws.region us-east-1"):
        load_environment("prod", config_dir)


def test_registry_environment_points_at_itself(config_dir):
    edit_env(config_dir, "registry", lambda d: d["registry"].update(account_id="444444444444"))
    with pytest.raises(ConfigError, match=r"registry.account_id: .* must point at itself \(333333333333\)"):
        load_environment("registry", config_dir)


def test_environment_cannot_require_its_own_prior_approval(config_dir):
    edit_env(config_dir, "prod", lambda d: d["governance"].update(require_prior_approval_in=["prod"]))
    with pytest.raises(ConfigError, match=r"governance.require_prior_approval_in: names this environment"):
        load_environment("prod", config_dir)
