"""The SageMaker definitions (SDK v3), built offline: graph against the spec, parameters, security settings
on every job, stable output, billed jobs, and an upsert into moto read back."""

from __future__ import annotations

import importlib.util
import json
import re
from itertools import pairwise

import pytest

from ml.orchestration.sagemaker.builder import all_steps, billed_jobs, render_definitions, upsert_pipelines
from ml.orchestration.sagemaker.container import pipeline_spec
from ml.orchestration.sagemaker.jobs import job_of_step, plan_jobs
from tests.conftest import REPO
from tests.orchestration.sagemaker.conftest import SDK_ENVIRONMENT

if importlib.util.find_spec("sagemaker") is None:  # importing v3 needs a region first: look, do not import
    pytest.skip("the aws extra (make setup-aws) builds definitions", allow_module_level=True)
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/mammo-severity-dev-pipeline:" + "a" * 40


@pytest.fixture(scope="module")
def dev():
    from ml.config.loader import load_environment

    return load_environment("dev", REPO / "configs")


@pytest.fixture(scope="module")
def definitions(dev):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SDK_ENVIRONMENT.items():
            patch.setenv(name, value)
        rendered = json.loads(render_definitions(dev, IMAGE, None))
    return {name.rsplit("-", 1)[1]: definition for name, definition in rendered.items()}


def sagemaker_graph(definition: dict) -> dict[str, set[str]]:
    """Each step with what it waits for: DependsOn, every property it reads, and its enclosing condition."""
    graph: dict[str, set[str]] = {}
    for step in all_steps(definition):
        arguments = {k: v for k, v in step.get("Arguments", {}).items() if k not in ("IfSteps", "ElseSteps")}
        reads = set(re.findall(r'"Steps\.([A-Za-z0-9_-]+)', json.dumps(arguments)))
        graph.setdefault(step["Name"], set()).update(
            set(step.get("DependsOn", [])) | (reads - {step["Name"]})
        )
        for branch in ("IfSteps", "ElseSteps"):
            for inner in step.get("Arguments", {}).get(branch, []):
                graph.setdefault(inner["Name"], set()).add(step["Name"])
    return graph


def closure(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    reach = {name: set(deps) for name, deps in graph.items()}
    changed = True
    while changed:
        changed = False
        for deps in reach.values():
            more = set().union(*(reach.get(d, set()) for d in deps)) - deps
            if more:
                deps |= more
                changed = True
    return reach


def expected_graph(pipeline: str) -> dict[str, set[str]]:
    """The spec's step graph with each step replaced by the SageMaker step that runs or judges it."""
    spec = pipeline_spec(pipeline)
    jobs = plan_jobs(spec)
    expected: dict[str, set[str]] = {}
    for step, waits in spec.step_graph().items():
        target = step if step == job_of_step(jobs, step).condition else job_of_step(jobs, step).name
        expected.setdefault(target, set())
        for dependency in waits:
            job = job_of_step(jobs, dependency)
            source = dependency if dependency == job.condition else job.name
            if source != target:
                expected[target].add(source)
    return expected


@pytest.mark.parametrize("pipeline", ["train", "inference"])
def test_the_step_graph_is_the_specs(definitions, pipeline):
    actual = sagemaker_graph(definitions[pipeline])
    expected = expected_graph(pipeline)
    fails = {name for name in actual if name.endswith("-failed")}

    assert set(actual) - fails == set(expected)
    reach, allowed = closure(actual), closure(expected)
    for step, waits in expected.items():
        assert waits <= reach[step], f"{step} must wait for {waits - reach[step]}"
    for step, waits in actual.items():
        if step not in fails:
            assert waits <= allowed[step], (
                f"{step} waits for {waits - allowed[step]}, which the spec does not ask"
            )


def test_every_spec_step_runs_in_exactly_one_sagemaker_step():
    for pipeline in ("train", "inference"):
        jobs = plan_jobs(pipeline_spec(pipeline))
        covered = [s for job in jobs for s in job.steps] + [job.condition for job in jobs if job.condition]
        assert sorted(covered) == sorted(step.name for step in pipeline_spec(pipeline).steps)


def test_step_names_other_tools_match_on(definitions):
    names = {pipeline: [s["Name"] for s in all_steps(d)] for pipeline, d in definitions.items()}

    assert names["inference"] == [
        "resolve_model",
        "load_model",
        "data_quality_gate",
        "publish_predictions",
        "data_quality_gate-failed",
    ]
    assert names["train"] == ["split", "evaluate", "quality_gate", "baseline", "quality_gate-failed"]
    fail = next(s for s in all_steps(definitions["train"]) if s["Type"] == "Fail")
    message = json.dumps(fail["Arguments"]["ErrorMessage"])
    assert "auc" in message and "MinAuc" in message and "Std:JsonGet" in message


def test_parameters_and_their_defaults(definitions, dev):
    def parameters(pipeline):
        return {p["Name"]: (p["Type"], p.get("DefaultValue")) for p in definitions[pipeline]["Parameters"]}

    assert parameters("train") == {
        "TrainingData": ("String", dev.sagemaker.data.train_part1),
        "EvaluationData": ("String", dev.sagemaker.data.evaluation),
        "TrainingInstanceType": ("String", "ml.m5.large"),
        "ProcessingInstanceType": ("String", "ml.m5.large"),
        "MinAuc": ("Float", dev.quality_gate.min_auc),
        "CreatedBy": ("String", "unattended"),  # the starter did not say (the retraining rule sets its own)
    }
    assert parameters("inference") == {
        "BatchData": ("String", dev.sagemaker.data.batch),
        "ProcessingInstanceType": ("String", "ml.m5.large"),
        "ProcessingInstanceCount": ("Integer", 1),
    }


def test_the_job_that_builds_the_registration_receives_who_started_the_run(definitions):
    [training] = [s for s in all_steps(definitions["train"]) if s["Type"] == "Training"]

    assert training["Name"] == "split"  # its handover carries the registration to the registering job
    assert training["Arguments"]["HyperParameters"]["CreatedBy"] == {"Get": "Parameters.CreatedBy"}


def test_every_job_runs_the_image_encrypted_and_isolated_unless_it_calls_aws(definitions, dev):
    key = dev.aws.kms_key_arn
    for pipeline, definition in definitions.items():
        network = {job.name: job.network for job in plan_jobs(pipeline_spec(pipeline))}
        for step in all_steps(definition):
            arguments = step.get("Arguments", {})
            if step["Type"] == "Processing":
                assert arguments["AppSpecification"]["ImageUri"] == IMAGE
                assert arguments["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key
                assert arguments["ProcessingOutputConfig"]["KmsKeyId"] == key
                settings = arguments["NetworkConfig"]
                assert settings["EnableInterContainerTrafficEncryption"] is True
                assert settings["EnableNetworkIsolation"] is (not network[step["Name"]])
                assert arguments["RoleArn"] == dev.sagemaker.execution_role_arn
            elif step["Type"] == "Training":
                assert arguments["AlgorithmSpecification"]["TrainingImage"] == IMAGE
                assert arguments["ResourceConfig"]["VolumeKmsKeyId"] == key
                assert arguments["OutputDataConfig"]["KmsKeyId"] == key
                assert arguments["EnableInterContainerTrafficEncryption"] is True
                assert arguments["EnableNetworkIsolation"] is (not network[step["Name"]])
                assert "InputDataConfig" not in arguments or all(
                    "sagemaker" not in json.dumps(c).lower() for c in arguments["InputDataConfig"]
                )  # no code channel: the image holds the code
    assert [s["Name"] for s in all_steps(definitions["inference"]) if s["Type"] == "Processing"] == [
        "load_model",
        "publish_predictions",
    ]


def test_no_job_receives_uploaded_code_and_the_json_is_stable(definitions, dev):
    again = json.loads(render_definitions(dev, IMAGE, None))

    assert {name.rsplit("-", 1)[1]: d for name, d in again.items()} == definitions
    assert "/code/" not in json.dumps(definitions) and "sourcedir" not in json.dumps(definitions)


def test_a_run_bills_three_jobs_to_train_and_two_to_score(definitions):
    assert billed_jobs(definitions["train"]) == 3  # the reference: 4
    assert billed_jobs(definitions["inference"]) == 2  # the reference: 2


def test_a_local_environment_has_no_pipelines_to_render():
    from ml.config.loader import load_environment
    from ml.errors import ConfigError

    with pytest.raises(ConfigError, match="environment local: pipelines run on SageMaker only"):
        render_definitions(load_environment("local", REPO / "configs"), IMAGE, None)


def test_upsert_creates_both_pipelines_in_moto_and_they_read_back(aws_dev):
    from ml.orchestration.sagemaker.session import pipeline_session

    config = aws_dev.config
    session = pipeline_session(config.aws.region, config.aws.artifact_bucket, render_only=False)

    arns = upsert_pipelines(config, IMAGE, session)
    arns_again = upsert_pipelines(config, IMAGE, session)  # an update, not a second pipeline

    client = aws_dev.moto.client("sagemaker")
    assert arns == arns_again and sorted(arns) == ["mammo-severity-dev-inference", "mammo-severity-dev-train"]
    for name in arns:
        described = client.describe_pipeline(PipelineName=name)
        assert described["RoleArn"] == config.sagemaker.execution_role_arn
        stored = json.loads(described["PipelineDefinition"])
        assert [s["Name"] for s in all_steps(stored)][:2] in (
            ["split", "evaluate"],
            ["resolve_model", "load_model"],
        )
    assert [p["PipelineName"] for p in client.list_pipelines()["PipelineSummaries"]] != []


def test_consecutive_jobs_hand_over_through_their_state_outputs(definitions):
    steps = {s["Name"]: s for s in all_steps(definitions["train"])}
    evaluate_inputs = {i["InputName"]: i for i in steps["evaluate"]["Arguments"]["ProcessingInputs"]}
    baseline_inputs = {i["InputName"] for i in steps["baseline"]["Arguments"]["ProcessingInputs"]}

    assert evaluate_inputs["split"]["S3Input"]["S3Uri"] == {
        "Get": "Steps.split.ModelArtifacts.S3ModelArtifacts"
    }
    assert baseline_inputs == {"split", "evaluate"}
    for earlier, later in pairwise(["split", "evaluate", "baseline"]):
        assert earlier in {i["InputName"] for i in steps[later]["Arguments"]["ProcessingInputs"]}


@pytest.mark.parametrize(
    ("pipeline", "job", "channel", "parameter"),
    [
        ("train", "evaluate", "evaluation", "EvaluationData"),
        ("inference", "load_model", "batch", "BatchData"),
    ],
)
def test_a_data_set_reaches_only_the_job_whose_steps_read_it(definitions, pipeline, job, channel, parameter):
    receivers = {
        step["Name"]: inputs[channel]["S3Input"]
        for step in all_steps(definitions[pipeline])
        if step["Type"] == "Processing"
        and channel in (inputs := {i["InputName"]: i for i in step["Arguments"]["ProcessingInputs"]})
    }

    assert list(receivers) == [job]
    assert receivers[job]["S3Uri"] == {"Get": f"Parameters.{parameter}"}
    assert receivers[job]["LocalPath"] == f"/opt/ml/processing/input/{channel}"
    assert receivers[job]["S3DataDistributionType"] == "FullyReplicated"


def test_sessions_opt_out_of_telemetry_and_validate_that_config_once(dev, monkeypatch):
    import jsonschema
    from sagemaker.core.common_utils import resolve_value_from_config
    from sagemaker.core.config.config_manager import SageMakerConfig
    from sagemaker.core.config.config_schema import TELEMETRY_OPT_OUT_PATH

    from ml.orchestration.sagemaker.builder import build_pipeline, definition_json
    from ml.orchestration.sagemaker.session import pipeline_session

    session = pipeline_session(dev.aws.region, dev.aws.artifact_bucket, render_only=True)
    calls = []
    original = jsonschema.validate
    monkeypatch.setattr(jsonschema, "validate", lambda *a, **k: calls.append(a) or original(*a, **k))

    definition_json(build_pipeline(dev, "inference", IMAGE, session))

    assert resolve_value_from_config(config_path=TELEMETRY_OPT_OUT_PATH, sagemaker_session=session) is True
    assert calls == []  # every lookup during the build reused the first validation
    with pytest.raises(jsonschema.ValidationError):  # any other config is still validated by the SDK
        SageMakerConfig.validate_sagemaker_config({"SchemaVersion": "1.0", "SageMaker": {"Unknown": 1}})
