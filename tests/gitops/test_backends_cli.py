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


def test_prod_reads_a_dev_trained_versions_evidence_from_the_bucket_it_recorded(fresh_moto, tmp_path):
    """Prod approves versions trained in dev: their scores and statistics live in dev's bucket (SSE-KMS with
    dev's key), and the version's lineage says where; prod's readers go there, digest-checked."""
    from ml.artifacts.codecs import encode_json, put_content
    from ml.artifacts.s3 import S3ArtifactStore
    from ml.errors import ArtifactIntegrityError
    from ml.orchestration.services import build_scores_reader
    from ml.registry.sagemaker import SageMakerModelRegistry
    from ml.train.compare import EvaluationScores
    from tests.aws_server import resolve_group_arns_like_aws
    from tests.contracts.test_model_registry import GROUP, make_candidate

    dev, prod = (load_environment(name, REPO / "configs") for name in ("dev", "prod"))
    s3 = fresh_moto.client("s3")
    for bucket in (dev.aws.artifact_bucket, prod.aws.artifact_bucket):
        s3.create_bucket(Bucket=bucket)
    dev_key = fresh_moto.client("kms").create_key(Description="dev artifacts")["KeyMetadata"]["Arn"]
    dev_store = S3ArtifactStore(s3, bucket=dev.aws.artifact_bucket, kms_key_arn=dev_key)
    scores = EvaluationScores("5e" * 32, ("r1", "r2"), (1, 0), (0.9, 0.2), 0.5)
    stored_scores = put_content(dev_store, encode_json({"scores": scores.to_dict()}))
    statistics = {"version": 0.0, "dataset": {"item_count": 2}, "features": []}
    stored_statistics = put_content(dev_store, encode_json(statistics))
    assert stored_scores.uri.startswith(f"s3://{dev.aws.artifact_bucket}/")

    fresh_moto.client("sagemaker", account_id=dev.registry.account_id).create_model_package_group(
        ModelPackageGroupName=GROUP
    )
    central = fresh_moto.client("sagemaker")
    resolve_group_arns_like_aws(central)
    registry = SageMakerModelRegistry(
        central, environment="dev", image_uri="image", registry_account_id=dev.registry.account_id
    )
    lineage = {
        "baseline": {"statistics.json": stored_statistics.sha256},
        "baseline_uri": {"statistics.json": stored_statistics.uri},
        "evaluation": {
            "sha256": "5e" * 32,
            "rows": 2,
            "scores": stored_scores.sha256,
            "scores_uri": stored_scores.uri,
        },
    }
    registry.register(make_candidate(lineage=lineage))
    version = registry.get(GROUP, 1)

    assert build_scores_reader(prod, Workspace(tmp_path))(version) == scores
    assert build_statistics_reader(prod, Workspace(tmp_path))(version) == statistics
    # The URI says where, the digest says what: bytes that differ from the record are refused.
    s3.put_object(Bucket=dev.aws.artifact_bucket, Key=stored_scores.uri.split("/", 3)[3], Body=b"{}")
    with pytest.raises(ArtifactIntegrityError, match="is corrupt"):
        build_scores_reader(prod, Workspace(tmp_path))(version)
