"""EventBridge: retraining only on the data-quality gate's failure, notification on any failed execution,
the scheduled inference; every target retries and dead-letters into an encrypted queue."""

from __future__ import annotations

import pytest

from ml.config.loader import load_environment
from tests.infra.terraform import (
    CONFIGS,
    MODULES,
    REPO,
    STACK_ENVIRONMENTS,
    evaluate,
    locals_of,
    module_scope,
    resources,
    stack_scope,
)

EVENTS = MODULES / "pipeline-events"
WORKLOADS = STACK_ENVIRONMENTS["workload"]
STEP_EVENT = "SageMaker Model Building Pipeline Execution Step Status Change"
EXECUTION_EVENT = "SageMaker Model Building Pipeline Execution Status Change"


def pipeline_arn(env: str, pipeline: str) -> str:
    config = load_environment(env, CONFIGS)
    name = f"{config.project}-{env}-{pipeline}"
    return f"arn:aws:sagemaker:{config.aws.region}:{config.aws.account_id}:pipeline/{name}"


def events_value(name: str, env: str):
    return evaluate(locals_of(EVENTS)[name], module_scope("workload", "pipeline_events", env))


def resource(rtype: str, name: str) -> dict:
    (body,) = [b for t, n, b in resources(EVENTS) if (t, n) == (rtype, name)]
    return body


@pytest.mark.parametrize("env", WORKLOADS)
def test_retraining_matches_only_the_data_quality_fail_step_of_the_inference_pipeline(env):
    assert events_value("data_quality_violation_pattern", env) == {
        "source": ["aws.sagemaker"],
        "detail-type": [STEP_EVENT],
        "detail": {
            "pipelineArn": [pipeline_arn(env, "inference")],
            "stepName": ["data_quality_gate-failed"],
            "currentStepStatus": ["Failed"],
        },
    }
    rule = resource("aws_cloudwatch_event_rule", "retrain_on_data_quality_violation")
    assert rule["event_pattern"] == "${jsonencode(local.data_quality_violation_pattern)}"


@pytest.mark.parametrize("env", WORKLOADS)
def test_retraining_starts_the_train_pipeline_on_the_retrain_data(env):
    config = load_environment(env, CONFIGS)
    parts = {"part1": config.sagemaker.data.train_part1, "part2": config.sagemaker.data.train_part2}
    scope = module_scope("workload", "pipeline_events", env)
    target = resource("aws_cloudwatch_event_target", "retrain")
    parameter, created_by = target["sagemaker_pipeline_target"][0]["pipeline_parameter_list"]

    assert evaluate(target["arn"], scope) == pipeline_arn(env, "train")
    assert created_by == {"name": "CreatedBy", "value": "eventbridge-retraining"}
    assert parameter["name"] == "TrainingData"
    assert evaluate(parameter["value"], scope) == ",".join(parts[p] for p in config.reactions.retrain_data)
    assert scope.variables["enable_retraining"] is config.reactions.retrain_on_violation
    assert target["count"] == rule_count() == "${var.enable_retraining ? 1 : 0}"


def rule_count() -> str:
    return resource("aws_cloudwatch_event_rule", "retrain_on_data_quality_violation")["count"]


@pytest.mark.parametrize("env", WORKLOADS)
def test_any_failed_execution_of_either_pipeline_notifies(env):
    assert events_value("pipeline_failed_pattern", env) == {
        "source": ["aws.sagemaker"],
        "detail-type": [EXECUTION_EVENT],
        "detail": {
            "pipelineArn": [pipeline_arn(env, "train"), pipeline_arn(env, "inference")],
            "currentPipelineExecutionStatus": ["Failed"],
        },
    }
    target = resource("aws_cloudwatch_event_target", "notify")
    assert target["arn"] == "${var.alerts_topic_arn}"
    stack = stack_scope("workload", env)
    assert module_scope("workload", "pipeline_alerts", env).variables["event_rule_arn_patterns"] == [
        evaluate(locals_of(EVENTS)["rule_arn_pattern"], module_scope("workload", "pipeline_events", env))
    ]
    assert evaluate("${local.topic_name}", stack) == load_environment(env, CONFIGS).notifications.topic_name


@pytest.mark.parametrize("env", WORKLOADS)
def test_the_schedule_starts_the_inference_pipeline_as_the_file_says(env):
    config = load_environment(env, CONFIGS)
    scope = module_scope("workload", "pipeline_events", env)
    schedule = resource("aws_scheduler_schedule", "this")

    assert evaluate(schedule["target"][0]["arn"], scope) == pipeline_arn(env, "inference")
    assert evaluate(schedule["schedule_expression"], scope) == config.schedule.inference
    assert scope.variables["enable_schedule"] is config.schedule.enabled
    assert schedule["state"] == '${var.enable_schedule ? "ENABLED" : "DISABLED"}'
    assert schedule["kms_key_arn"] == "${var.kms_key_arn}"


def test_every_target_retries_and_dead_letters():
    targets = [b for t, _, b in resources(EVENTS) if t == "aws_cloudwatch_event_target"]
    targets += [b["target"][0] for t, _, b in resources(EVENTS) if t == "aws_scheduler_schedule"]
    assert len(targets) == 3
    for target in targets:
        assert target["retry_policy"][0]["maximum_retry_attempts"] == "${var.maximum_retry_attempts}"
        assert target["dead_letter_config"][0]["arn"] == "${module.dead_letter_queue.arn}"


def test_dead_letter_queues_are_encrypted_and_both_users_have_one():
    (queue,) = [b for t, _, b in resources(MODULES / "dead-letter-queue") if t == "aws_sqs_queue"]
    assert queue["kms_master_key_id"] == "${var.kms_key_arn}"
    function = next(b for t, _, b in resources(MODULES / "resolve-lambda") if t == "aws_lambda_function")
    assert function["dead_letter_config"][0]["target_arn"] == "${module.dead_letter_queue.arn}"


@pytest.mark.parametrize("env", WORKLOADS)
def test_the_resolve_lambda_is_what_the_pipelines_call(env):
    config = load_environment(env, CONFIGS)
    (function,) = [b for t, _, b in resources(MODULES / "resolve-lambda") if t == "aws_lambda_function"]
    scope = module_scope("workload", "resolve_lambda", env)

    assert evaluate(function["function_name"], scope) == config.sagemaker.resolve_function_name
    assert function["handler"] == "ml.orchestration.sagemaker.lambda_handler.handler"
    assert function["runtime"] == "python3.11"
    assert evaluate(function["environment"][0]["variables"], scope) == {"MLOPS_ENV": env}
    assert function["tracing_config"][0]["mode"] == "Active"
    assert function["kms_key_arn"] == "${var.kms_key_arn}"
    assert scope.variables["package_path"] == str(REPO / "build" / "resolve-lambda.zip")
