"""`mlops pipelines definition|upsert|run`: exit codes and output, on moto and on the local backend."""

from __future__ import annotations

import getpass
import importlib.util
import json
import os
import shutil

import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from ml.cli import cli
from ml.orchestration.sagemaker.executions import console_url, follow_execution
from tests.conftest import REPO

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mammo-severity-dev-pipeline:abc"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/e1"
needs_sdk = pytest.mark.skipif(importlib.util.find_spec("sagemaker") is None, reason="the aws extra")


def mlops(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="mlops")


@needs_sdk
def test_definition_prints_one_pipeline_as_sorted_json_without_aws(monkeypatch):
    # Unset: rendering itself must keep the SDK from checking the role or looking for credentials; the
    # socket guard turns any attempt into a failure.
    for name in (
        "SAGEMAKER_VALIDATE_ROLE",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_ACCESS_KEY_ID",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    result = mlops("pipelines", "definition", "--env", "dev", "--pipeline", "inference", "--image", IMAGE)

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [p["Name"] for p in document["Parameters"]] == [
        "BatchData",
        "ProcessingInstanceType",
        "ProcessingInstanceCount",
    ]
    assert result.stdout.strip() == json.dumps(document, indent=2, sort_keys=True)
    assert "SAGEMAKER_VALIDATE_ROLE" not in os.environ  # restored after rendering


@needs_sdk
def test_the_default_image_is_the_environments_repository_at_the_current_commit(monkeypatch):
    monkeypatch.setenv("MLOPS_GIT_COMMIT", "f" * 40)
    result = mlops("pipelines", "definition", "--env", "prod", "--pipeline", "train")

    assert result.exit_code == 0, result.output
    assert (
        "222222222222.dkr.ecr.us-east-1.amazonaws.com/mammo-severity-prod-pipeline:" + "f" * 40
        in result.stdout
    )


def test_definition_of_a_local_environment_is_a_config_error():
    result = mlops("pipelines", "definition", "--env", "local")

    assert result.exit_code == 2
    assert "pipelines run on SageMaker only" in result.stderr


@needs_sdk
def test_upsert_then_run_on_moto_prints_the_execution_and_its_console_link(aws_dev):
    config_dir = str(aws_dev.config_dir)

    upserted = mlops("pipelines", "upsert", "--env", "dev", "--config-dir", config_dir, "--image", IMAGE)
    ran = mlops(
        "pipelines", "run", "train", "--env", "dev", "--config-dir", config_dir, "--input", "s3://b/x.csv"
    )

    assert upserted.exit_code == 0, upserted.output
    assert "mammo-severity-dev-train: arn:aws:sagemaker:us-east-1:123456789012:pipeline/" in upserted.stdout
    assert ran.exit_code == 0, ran.output  # moto records every execution as Succeeded at once
    arn, link = ran.stdout.splitlines()[:2]
    assert arn.startswith("arn:aws:sagemaker:") and link == console_url("us-east-1", arn)
    client = aws_dev.moto.client("sagemaker")
    [execution] = client.list_pipeline_executions(PipelineName="mammo-severity-dev-train")[
        "PipelineExecutionSummaries"
    ]
    assert execution["PipelineExecutionArn"] == arn


def execution_parameters(aws_dev, arn: str) -> dict[str, str]:
    client = aws_dev.moto.client("sagemaker")
    listed = client.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)["PipelineParameters"]
    return {p["Name"]: p["Value"] for p in listed}


@needs_sdk
@pytest.mark.parametrize(
    ("by", "actor", "expected"),
    [(["--by", "alice"], "ci-bot", "alice"), ([], "octocat", "octocat"), ([], None, getpass.getuser())],
)
def test_a_train_run_says_who_started_it(aws_dev, monkeypatch, by, actor, expected):
    # the version's created_by: separation of duties keeps that person from approving it
    if actor is None:
        monkeypatch.delenv("GITHUB_ACTOR", raising=False)
    else:
        monkeypatch.setenv("GITHUB_ACTOR", actor)
    config_dir = str(aws_dev.config_dir)
    upserted = mlops("pipelines", "upsert", "--env", "dev", "--config-dir", config_dir, "--image", IMAGE)
    assert upserted.exit_code == 0, upserted.output

    ran = mlops("pipelines", "run", "train", "--env", "dev", "--config-dir", config_dir, *by)

    assert ran.exit_code == 0, ran.output
    assert execution_parameters(aws_dev, ran.stdout.splitlines()[0]) == {"CreatedBy": expected}


def test_a_train_run_refuses_a_blank_starter():
    result = mlops("pipelines", "run", "--env", "dev", "train", "--by", " ")

    assert result.exit_code == 2
    assert "Invalid value for --by: is empty" in result.stderr


def test_run_on_the_local_backend_runs_the_local_pipeline(tmp_path, prepared_dir):
    (tmp_path / "data").mkdir()  # where `mlops data prepare` leaves the locked evaluation set
    shutil.copyfile(prepared_dir / "evaluation.csv", tmp_path / "data" / "evaluation.csv")
    result = mlops(
        "pipelines",
        "run",
        "train",
        "--env",
        "local",
        "--work-dir",
        str(tmp_path),
        "--input",
        str(prepared_dir / "train-part1.csv"),
    )

    assert result.exit_code == 0, result.output
    assert "registered mammo-severity-model-package version 1" in result.stdout


@pytest.mark.parametrize(
    ("failed_step", "exit_code"),
    [("quality_gate-failed", 8), ("data_quality_gate-failed", 10), ("evaluate", 7)],
)
def test_a_failed_execution_exits_as_the_local_command_would(failed_step, exit_code, monkeypatch):
    # moto records executions as Succeeded and answers list_pipeline_execution_steps with HTTP 500, so the
    # answers of a failed execution are botocore's Stubber, checked against the real service model.
    from ml.aws import build_client
    from ml.config.loader import load_environment
    from ml.orchestration.sagemaker import run as run_module

    client = build_client("sagemaker", region="us-east-1", endpoint_url="http://127.0.0.1:9")
    stub = Stubber(client)
    stub.add_response("start_pipeline_execution", {"PipelineExecutionArn": ARN})
    stub.add_response("describe_pipeline_execution", {"PipelineExecutionStatus": "Failed"})
    step = {"StepName": failed_step, "StepStatus": "Failed", "FailureReason": "auc 0.61 is below MinAuc 0.75"}
    stub.add_response("list_pipeline_execution_steps", {"PipelineExecutionSteps": [step]})
    monkeypatch.setattr("ml.aws.build_client", lambda *a, **k: client)
    config = load_environment("dev", REPO / "configs")

    with stub, pytest.raises(Exception) as raised:
        run_module.run_pipeline(
            config, "train", None, wait=True, echo=lambda m: None, progress=lambda m: None
        )

    assert raised.value.exit_code == exit_code
    assert failed_step in str(raised.value) and "0.61" in str(raised.value)


def test_following_reports_each_step_once_as_its_status_changes():
    from ml.aws import build_client

    client = build_client("sagemaker", region="us-east-1", endpoint_url="http://127.0.0.1:9")
    stub = Stubber(client)
    running = [{"StepName": "split", "StepStatus": "Executing"}]
    done = [
        {"StepName": "evaluate", "StepStatus": "Succeeded"},
        {"StepName": "split", "StepStatus": "Succeeded"},
    ]
    for status, steps in (("Executing", running), ("Executing", running), ("Succeeded", done)):
        stub.add_response("describe_pipeline_execution", {"PipelineExecutionStatus": status})
        stub.add_response("list_pipeline_execution_steps", {"PipelineExecutionSteps": steps})
    lines: list[str] = []

    with stub:
        outcome = follow_execution(client, ARN, lines.append, poll_seconds=0, sleep=lambda s: None)

    assert outcome.status == "Succeeded" and outcome.failed_step is None
    assert lines == ["  split: Executing", "  split: Succeeded", "  evaluate: Succeeded"]
