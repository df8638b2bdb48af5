"""`mlops config validate | get | schema` as a workflow calls them: output, exit codes, stderr."""

import json

from click.testing import CliRunner

from ml.cli import cli
from ml.config.export import render_schema
from tests.config.conftest import CONFIGS, edit_env


def mlops(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="mlops")


def test_get_prints_a_scalar_raw():
    result = mlops("config", "get", "ci.deploy_role_arn", "--env", "prod")
    assert result.exit_code == 0, result.output
    assert result.stdout == "arn:aws:iam::222222222222:role/mammo-severity-prod-github-deploy\n"


def test_get_accepts_env_before_the_command_and_prints_numbers_bare():
    result = mlops("--env", "prod", "config", "get", "quality_gate.min_auc")
    assert result.stdout == "0.75\n"


def test_get_prints_lists_and_maps_as_json():
    emails = mlops("config", "get", "notifications.emails", "--env", "prod").stdout
    assert json.loads(emails) == ["mlops-team@example.org", "ml-oncall@example.org"]
    governance = json.loads(mlops("config", "get", "governance", "--env", "prod").stdout)
    assert governance["require_prior_approval_in"] == ["dev"]


def test_get_unknown_key_exits_2_and_lists_keys():
    result = mlops("config", "get", "aws.regoin", "--env", "prod")
    assert result.exit_code == 2
    assert "unknown key 'aws.regoin'" in result.stderr
    assert "account_id, region, artifact_bucket, kms_key_arn" in result.stderr


def test_validate_all_on_the_repository_exits_0():
    result = mlops("config", "validate", "--all")
    assert result.exit_code == 0, result.output
    lines = set(result.stdout.splitlines())
    assert {"dev: ok", "local: ok", "prod: ok", "registry: ok", "cross-file rules: checked"} <= lines


def test_validate_all_on_a_broken_copy_exits_2(config_dir):
    edit_env(config_dir, "prod", lambda d: d["aws"].update(account_id="2222"))
    edit_env(config_dir, "dev", lambda d: d["schedule"].update(inference="cron(0 6 * * *)"))
    result = mlops("config", "validate", "--all", "--config-dir", str(config_dir))
    assert result.exit_code == 2
    assert "prod: 1 problem(s)" in result.stdout and "registry: ok" in result.stdout
    assert "prod/environment.yaml: aws.account_id: expected 12 digits, got '2222'" in result.stderr
    assert (
        "dev/environment.yaml: schedule.inference: 'cron(0 6 * * *)': AWS cron needs 6 fields"
        in result.stderr
    )
    assert "cross-file rules: skipped" in result.stdout
    assert "error: environment file(s) with problems: dev, prod" in result.stderr


def test_validate_all_reports_cross_file_problems(config_dir):
    edit_env(config_dir, "dev", lambda d: d["governance"].update(require_prior_approval_in=["qa"]))
    result = mlops("config", "validate", "--all", "--config-dir", str(config_dir))
    assert result.exit_code == 2
    assert (
        "dev/environment.yaml: governance.require_prior_approval_in: 'qa' is not a workload" in result.stderr
    )


def test_validate_one_environment():
    result = mlops("config", "validate", "--env", "registry")
    assert result.exit_code == 0
    assert result.stdout == "registry: valid (kind registry, backend sagemaker)\n"


def test_schema_prints_the_export_and_write_writes_it(tmp_path):
    assert mlops("config", "schema").stdout == render_schema()
    result = mlops("config", "schema", "--write", "--config-dir", str(tmp_path))
    assert result.exit_code == 0
    assert (tmp_path / "schema.json").read_text() == (CONFIGS / "schema.json").read_text()
