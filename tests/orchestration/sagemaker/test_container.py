"""The container entry point runs both pipelines, job by job, as SageMaker would chain them, and gets what
LocalRunner gets: the same registered artifact (digest), metrics and baseline, the same verdicts and
predictions. The jobs talk to moto (S3 with KMS, the registry, SNS); the resolve step is the real Lambda
handler."""

from __future__ import annotations

import json

import pytest

from ml.errors import ConfigError, DataError
from ml.orchestration.sagemaker.container import main
from ml.orchestration.sagemaker.lambda_handler import handler
from ml.orchestration.services import Workspace, build_local_services, build_sagemaker_registry
from ml.orchestration.workflows import run_inference, run_train
from ml.registry import ApprovalStatus
from ml.registry.approvals import Approval
from ml.registry.policy import decision_problems
from tests.orchestration.sagemaker.simulate import simulate

pytestmark = pytest.mark.slow
RUN_ID = "execution-0001"


@pytest.fixture
def local_run(config, prepared_dir, tmp_path):
    """The same data through LocalRunner on the embedded backend: the reference."""
    workspace = Workspace(tmp_path / "local")
    services = build_local_services(config, workspace)
    evaluation = prepared_dir / "evaluation.csv"
    trained = run_train(
        config, services, workspace, [prepared_dir / "train-part1.csv"], evaluation_path=evaluation
    )
    version = trained.values["model_version"]
    services.registry.set_status(
        version.model_group, version.version, ApprovalStatus.APPROVED, reason="ok", changed_by="a"
    )
    return config, services, workspace, trained


def train_on_sagemaker(aws_dev, prepared_dir, workdir, min_auc="0.75", evaluation=None, created_by="alice"):
    uri = aws_dev.upload(prepared_dir / "train-part1.csv", "data/train-part1.csv")
    training = json.dumps(aws_dev.config.training.model_dump())
    arguments = {"TrainingData": uri, "MinAuc": min_auc, "training": training, "CreatedBy": created_by}
    # EvaluationData: SageMaker copies the object into the channel of the job that scores on it
    data = {"evaluation_set": [prepared_dir / "evaluation.csv"] if evaluation is None else evaluation}
    return simulate("train", workdir, RUN_ID, arguments, data=data)


def test_train_jobs_register_the_version_local_runner_registers(aws_dev, local_run, prepared_dir, tmp_path):
    _, _, _, local = local_run

    run = train_on_sagemaker(aws_dev, prepared_dir, tmp_path / "jobs")

    assert [r.status for r in run.results.values()] == ["succeeded"] * 3
    registry = build_sagemaker_registry(aws_dev.config, None)
    [version] = registry.list_versions(aws_dev.config.model_group)
    expected = local.values["model_version"]
    assert version.status == ApprovalStatus.PENDING
    assert version.created_by == "alice"  # the pipeline's CreatedBy: who started the run
    assert version.artifact_digest == expected.artifact_digest
    assert version.metrics == expected.metrics  # the test split's, the locked set's and the CV's
    assert {"evaluation_auc", "evaluation_rows", "cv_auc_mean", "cv_folds"} <= set(version.metrics)
    for key in ("sha256", "rows", "scores"):  # the same locked set, scored row by row identically
        assert version.lineage["evaluation"][key] == expected.lineage["evaluation"][key]
    assert run.results["evaluate"].record.inputs == {
        str(run.roots["evaluate"][0] / "processing/input/evaluation/evaluation.csv"): (
            local.record.inputs[str(prepared_dir / "evaluation.csv")]
        )
    }
    assert version.lineage["baseline"] == expected.lineage["baseline"]
    assert version.lineage["run_id"] == RUN_ID
    assert version.lineage["code"]["git_commit"] == "c0ffee" * 6 + "c0ff"
    assert version.artifact_uri == (
        f"s3://{aws_dev.config.aws.artifact_bucket}/artifacts/sha256/"
        f"{expected.artifact_digest[:2]}/{expected.artifact_digest}"
    )
    head = aws_dev.moto.client("s3").head_object(
        Bucket=aws_dev.config.aws.artifact_bucket, Key=version.artifact_uri.split("/", 3)[3]
    )
    assert head["ServerSideEncryption"] == "aws:kms"
    assert run.verdict("quality_gate")["passed"] is True
    [event] = aws_dev.notifications()
    assert (event["kind"], event["run_id"], event["details"]["version"]) == ("model_registered", RUN_ID, 1)


def test_whoever_started_the_sagemaker_run_cannot_approve_its_version(aws_dev, prepared_dir, tmp_path):
    train_on_sagemaker(aws_dev, prepared_dir, tmp_path / "jobs", created_by="alice")
    registry = build_sagemaker_registry(aws_dev.config, None)
    [version] = registry.list_versions(aws_dev.config.model_group)

    def approval_by(login):
        return Approval(
            model_group=version.model_group,
            version=version.version,
            artifact_digest=version.artifact_digest,
            approved_by=login,
            approved_at="2026-11-28T12:00:00Z",
            reason="reviewed",
        )

    [problem] = decision_problems(approval_by("Alice"), version, registry, separation_of_duties=True)
    assert "'Alice' trained this version; separation of duties requires another approver" in problem
    assert decision_problems(approval_by("bob"), version, registry, separation_of_duties=True) == []


def test_a_run_that_does_not_say_who_started_it_registers_nothing(aws_dev, prepared_dir, tmp_path):
    with pytest.raises(ConfigError, match=r"job split: argument CreatedBy \(who started the run\) is empty"):
        train_on_sagemaker(aws_dev, prepared_dir, tmp_path / "jobs", created_by=" ")
    assert build_sagemaker_registry(aws_dev.config, None).list_versions(aws_dev.config.model_group) == []


def test_a_gate_the_model_misses_stops_before_baseline_and_registration(aws_dev, prepared_dir, tmp_path):
    run = train_on_sagemaker(aws_dev, prepared_dir, tmp_path / "jobs", min_auc="0.99")

    assert list(run.results) == ["split", "evaluate"]
    assert run.results["evaluate"].status == "rejected"
    verdict = run.verdict("quality_gate")
    assert verdict["passed"] is False and "0.99" in verdict["first_reason"]
    assert build_sagemaker_registry(aws_dev.config, None).list_versions(aws_dev.config.model_group) == []


def test_an_evaluation_set_sharing_records_with_the_training_data_is_refused(aws_dev, prepared_dir, tmp_path):
    leaky = prepared_dir / "train-part1.csv"  # every locked row would also be trained on

    with pytest.raises(
        DataError, match=r"evaluation/train-part1.csv: \d+ record\(s\) of the locked evaluation"
    ):
        train_on_sagemaker(aws_dev, prepared_dir, tmp_path / "jobs", evaluation=[leaky])
    assert build_sagemaker_registry(aws_dev.config, None).list_versions(aws_dev.config.model_group) == []


def test_an_evaluation_channel_without_one_object_names_the_parameter(aws_dev, prepared_dir, tmp_path):
    with pytest.raises(ConfigError, match=r"EvaluationData must name one CSV object.*found nothing"):
        train_on_sagemaker(aws_dev, prepared_dir, tmp_path / "jobs", evaluation=[])


@pytest.mark.parametrize("batch", ["batch.csv", "batch-outliers.csv"])
def test_inference_jobs_give_local_runner_verdicts_and_predictions(
    aws_dev, local_run, prepared_dir, tmp_path, batch
):
    config, services, workspace, _ = local_run
    local = run_inference(config, services, workspace, prepared_dir / batch, tmp_path / "local-out")
    train_on_sagemaker(aws_dev, prepared_dir, tmp_path / "train-jobs")

    run = score_on_sagemaker(aws_dev, [prepared_dir / batch], tmp_path)

    verdict = run.verdict("data_quality_gate")
    assert verdict["passed"] is (local.run.status == "succeeded")
    assert verdict["reasons"] == (local.run.record.reasons or ["no violations"])
    violations = run.reports("load_model") / "runs" / "algo-1" / RUN_ID / "outputs" / "data_quality"
    assert (violations / "constraint_violations.json").read_text() == (
        local.report_dir / "constraint_violations.json"
    ).read_text()
    published = run.roots.get("publish_predictions")
    if local.run.status == "succeeded":
        predictions = published[0] / "processing/output/predictions/predictions.csv"
        assert predictions.read_bytes() == local.predictions_path.read_bytes()
    else:
        assert published is None


def score_on_sagemaker(aws_dev, batch_files, tmp_path, instances: int = 1):
    """Approve version 1, resolve it with the Lambda handler, then run the inference jobs on `batch_files`."""
    registry = build_sagemaker_registry(aws_dev.config, None)
    registry.set_status(aws_dev.config.model_group, 1, ApprovalStatus.APPROVED, reason="ok", changed_by="a")
    resolved = handler({}, None)
    models = {
        name: [download(aws_dev, resolved[key], tmp_path / name)]
        for name, key in (
            ("model", "ArtifactUri"),
            ("statistics", "StatisticsUri"),
            ("constraints", "ConstraintsUri"),
        )
    }
    channels = {"load_model": {"batch": list(batch_files), **models}}
    arguments = {name: str(resolved[name]) for name in resolved}
    return simulate("inference", tmp_path / "jobs", RUN_ID, arguments, channels, {"load_model": instances})


def test_a_batch_of_several_objects_is_scored_in_shards_and_judged_as_a_whole(
    aws_dev, local_run, prepared_dir, tmp_path
):
    import pandas as pd

    config, services, workspace, _ = local_run
    local = run_inference(config, services, workspace, prepared_dir / "batch.csv", tmp_path / "local-out")
    rows = pd.read_csv(prepared_dir / "batch.csv", dtype=str, keep_default_na=False)
    parts = []
    for index, part in enumerate([rows.iloc[:70], rows.iloc[70:140], rows.iloc[140:]]):
        parts.append(tmp_path / "objects" / f"part-{index}.csv")
        parts[-1].parent.mkdir(exist_ok=True)
        part.to_csv(parts[-1], index=False)
    train_on_sagemaker(aws_dev, prepared_dir, tmp_path / "train-jobs")

    run = score_on_sagemaker(aws_dev, parts, tmp_path, instances=2)

    assert local.run.status == "succeeded"
    assert run.verdict("data_quality_gate")["passed"] is True  # every instance judged all three objects
    staged = [
        json.loads((root / "processing/output/state" / root.name / "handover.json").read_text())
        for root in run.roots["load_model"]
    ]
    assert [entry["staged_predictions"]["rows"] for entry in staged] == [140, len(rows) - 140]
    predictions = run.roots["publish_predictions"][0] / "processing/output/predictions/predictions.csv"
    assert predictions.read_bytes() == local.predictions_path.read_bytes()


def download(aws_dev, uri: str, folder):
    """What SageMaker does with an S3 input: copy the object into the channel under its key's base name."""
    bucket, key = uri[5:].split("/", 1)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / key.rsplit("/", 1)[1]
    aws_dev.moto.client("s3").download_file(bucket, key, str(target))
    return target


def test_a_crashing_job_exits_with_the_pipeline_failure_code(aws_dev, tmp_path, capsys):
    code = main(
        [
            "train",
            "split",
            "--run-id",
            RUN_ID,
            "--root",
            str(tmp_path),
            "--arg",
            "TrainingData=s3://nowhere/x.csv",
        ]
    )

    assert code != 0
    assert "error" in capsys.readouterr().err


def test_a_training_job_reads_its_pipeline_and_job_from_the_environment(monkeypatch, tmp_path):
    from ml.orchestration.sagemaker.container import parse_request

    environ = {"MLOPS_PIPELINE": "train", "MLOPS_JOB": "split", "MLOPS_RUN_ID": "r", "MLOPS_ENV": "dev"}
    request = parse_request(["train"], environ)

    assert (request.pipeline, request.job, request.run_id, request.environment) == (
        "train",
        "split",
        "r",
        "dev",
    )
