"""SageMaker-only behaviour: cross-account group ARNs, AWS metadata limits, error translation, no network.

The Protocol's behaviour is covered by tests/contracts/test_model_registry.py and is not repeated here.
"""

from __future__ import annotations

import hashlib
import re
import socket
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

import ml.registry.sagemaker_metadata as metadata_layout
from ml.artifacts import ArtifactRef
from ml.errors import ConfigError, MlopsError, ModelNotFoundError
from ml.registry import MAX_REASON_LENGTH, ApprovalStatus, ModelCandidate, StatusChange
from ml.registry.sagemaker import SageMakerModelRegistry
from ml.train.compare import EvaluationScores
from ml.train.crossval import CrossValidation
from ml.train.evaluate import EvaluationMetrics
from ml.train.gate import GateDecision
from ml.train.locked import LockedEvaluation
from ml.train.register import RegistrationContext, register_model_version
from tests.aws_server import (
    ACCOUNT_ID,
    MotoServer,
    NetworkAccessError,
    install_socket_guard,
    resolve_group_arns_like_aws,
)
from tests.contracts.test_model_registry import GROUP, make_candidate

REGISTRY_ACCOUNT = "111122223333"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
GROUP_ARN = f"arn:aws:sagemaker:us-east-1:{REGISTRY_ACCOUNT}:model-package-group/{GROUP}"
# The ASCII part of the service model's value pattern `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: passing it passes AWS's.
METADATA_TEXT = re.compile(r"[A-Za-z0-9 _.:/=+\-@]+")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def registry(fresh_moto: MotoServer) -> SageMakerModelRegistry:
    return SageMakerModelRegistry(fresh_moto.client("sagemaker"), environment="dev", image_uri=IMAGE)


def test_cross_account_registry_addresses_the_group_by_arn(fresh_moto: MotoServer) -> None:
    central = fresh_moto.client("sagemaker", account_id=REGISTRY_ACCOUNT)
    central.create_model_package_group(ModelPackageGroupName=GROUP)
    dev_client = fresh_moto.client("sagemaker")
    calls = resolve_group_arns_like_aws(dev_client)
    registry = SageMakerModelRegistry(
        dev_client, environment="dev", image_uri=IMAGE, registry_account_id=REGISTRY_ACCOUNT
    )

    registry.register(make_candidate())
    approved = registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="ok", changed_by="alice")

    assert approved.status == ApprovalStatus.APPROVED
    assert {
        params["ModelPackageGroupName"] for name, params in calls if "ModelPackageGroupName" in params
    } == {GROUP_ARN}
    assert "CreateModelPackageGroup" not in [name for name, _ in calls]
    package_arns = {params.get("ModelPackageName") or params.get("ModelPackageArn") for _, params in calls}
    assert {arn.rsplit("/", 1)[0] for arn in package_arns - {None}} == {
        f"arn:aws:sagemaker:us-east-1:{REGISTRY_ACCOUNT}:model-package/{GROUP}"
    }
    [package] = central.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    assert (
        package["ModelPackageArn"]
        == f"arn:aws:sagemaker:us-east-1:{REGISTRY_ACCOUNT}:model-package/{GROUP}/1"
    )
    assert package["ModelApprovalStatus"] == "Approved"
    assert dev_client.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


def test_cross_account_registry_never_creates_the_group(fresh_moto: MotoServer) -> None:
    dev_client = fresh_moto.client("sagemaker")
    resolve_group_arns_like_aws(dev_client)
    registry = SageMakerModelRegistry(
        dev_client, environment="dev", image_uri=IMAGE, registry_account_id=REGISTRY_ACCOUNT
    )

    with pytest.raises(ModelNotFoundError, match=rf"{re.escape(GROUP_ARN)} does not exist.*Terraform"):
        registry.register(make_candidate())
    central = fresh_moto.client("sagemaker", account_id=REGISTRY_ACCOUNT)
    assert central.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


def test_cross_account_sync_lock_needs_the_lock_group_of_the_registry_stack(fresh_moto: MotoServer) -> None:
    fresh_moto.client("sagemaker", account_id=REGISTRY_ACCOUNT).create_model_package_group(
        ModelPackageGroupName=GROUP
    )
    dev_client = fresh_moto.client("sagemaker")
    resolve_group_arns_like_aws(dev_client)
    registry = SageMakerModelRegistry(
        dev_client, environment="dev", image_uri=IMAGE, registry_account_id=REGISTRY_ACCOUNT
    )

    with (
        pytest.raises(
            ModelNotFoundError, match=rf"sync lock group .*/{GROUP}-sync-lock does not exist.*Terraform"
        ),
        registry.sync_lock(GROUP, "a" * 40),
    ):
        pass


def test_a_group_name_without_room_for_the_lock_suffix_is_refused(registry: SageMakerModelRegistry) -> None:
    with pytest.raises(ConfigError, match=r"at most 53 characters"), registry.sync_lock("m" * 60, "a" * 40):
        pass


@pytest.mark.parametrize(("account", "expected"), [(None, GROUP), (REGISTRY_ACCOUNT, GROUP_ARN)])
def test_group_ref_is_the_name_here_or_the_arn_in_the_registry_account(
    fresh_moto: MotoServer, account: str | None, expected: str
) -> None:
    registry = SageMakerModelRegistry(
        fresh_moto.client("sagemaker"), environment="dev", image_uri=IMAGE, registry_account_id=account
    )

    assert registry.group_ref(GROUP) == expected


def test_registry_account_must_be_twelve_digits(fresh_moto: MotoServer) -> None:
    with pytest.raises(ConfigError, match=r"registry_account_id '1234'.*12 digits"):
        SageMakerModelRegistry(
            fresh_moto.client("sagemaker"), environment="dev", image_uri=IMAGE, registry_account_id="1234"
        )


def test_artifact_outside_s3_is_refused(registry: SageMakerModelRegistry) -> None:
    with pytest.raises(ConfigError, match=rf"{GROUP}: artifact 'file:///tmp/model.json' is not in S3"):
        registry.register(make_candidate(artifact_uri="file:///tmp/model.json"))


def realistic_candidate(config: Any) -> ModelCandidate:
    """What the train pipeline registers: real metrics fields, config parameters and full lineage."""
    metrics = EvaluationMetrics(
        auc=0.8734567890123456, auc_ci_low=0.8412345678901234, auc_ci_high=0.9023456789012345,
        pr_auc=0.7812345678901234, accuracy=0.8123456789012345, precision=0.7654321098765432,
        recall=0.6987654321098765, f1=0.7305678901234567, brier=0.1312345678901234,
        threshold=0.4523456789012345, true_negatives=10234, false_positives=1234,
        false_negatives=987, true_positives=4321, test_rows=16776,
    )  # fmt: skip
    context = RegistrationContext(
        model_group=GROUP,
        created_by="arn:aws:sts::444455556666:assumed-role/mlops-dev-github-deploy/GitHubActions-1234567890",
        data_digests={f"/home/runner/work/mlops-gitops/data/raw/part-{i}.csv": sha(str(i)) for i in range(4)},
        code_version={"git_commit": sha("commit")[:40], "git_dirty": False},
        parameters={
            "training": config.training.model_dump(),
            "quality_gate": config.quality_gate.model_dump(),
        },
    )
    model = ArtifactRef("models/model.json", sha("model"), f"s3://mlops-dev-artifacts/cas/{sha('model')}", 1)
    baseline = {
        name: ArtifactRef(name, sha(name), f"s3://mlops-dev-artifacts/cas/{sha(name)}", 1)
        for name in ("statistics.json", "constraints.json")
    }
    gate = GateDecision(True, ("auc 0.873 >= min_auc 0.750",))
    scores = EvaluationScores(sha("evaluation.csv"), ("r1", "r2"), (0, 1), (0.1234567, 0.8765432), 0.5)
    locked = LockedEvaluation(metrics, scores)
    locked_refs = {
        "locked_evaluation.json": ArtifactRef(
            "locked", sha("locked"), f"s3://mlops-dev-artifacts/cas/{sha('locked')}", 1
        )
    }
    folds = CrossValidation(10, tuple(0.8512345678901234 + i / 1000 for i in range(10)))
    registry = CapturingRegistry()
    register_model_version(
        registry,
        context,
        {"model.json": model},
        metrics,
        locked,
        locked_refs,
        folds,
        baseline,
        gate,
        "run-" + "7" * 32,
    )
    return registry.candidate


class CapturingRegistry:
    """Stands in for a registry only to capture the candidate the real register step builds."""

    candidate: ModelCandidate

    def register(self, candidate: ModelCandidate) -> Any:
        self.candidate = candidate
        return candidate


def metadata_limits() -> tuple[int, int, int]:
    """AWS's limits on CustomerMetadataProperties, read from botocore's service model: entries, key, value."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateModelPackage").input_shape.members["CustomerMetadataProperties"]
    return shape.metadata["max"], shape.key.metadata["max"], shape.value.metadata["max"]


def describe_version_one(moto: MotoServer) -> dict[str, Any]:
    """Read version 1 of GROUP straight from SageMaker (moto), bypassing the registry."""
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT_ID}:model-package/{GROUP}/1"
    return moto.client("sagemaker").describe_model_package(ModelPackageName=arn)


def assert_within_aws_limits(metadata: dict[str, str]) -> None:
    max_entries, max_key, max_value = metadata_limits()
    assert len(metadata) <= max_entries
    for key, value in metadata.items():
        assert METADATA_TEXT.fullmatch(key) and len(key) <= max_key, key
        assert METADATA_TEXT.fullmatch(value) and len(value) <= max_value, (key, value)


def test_realistic_evidence_and_history_stay_within_aws_limits(
    registry: SageMakerModelRegistry, fresh_moto: MotoServer, config: Any
) -> None:
    candidate = realistic_candidate(config)
    registry.register(candidate)
    for status in ("Approved", "PendingManualApproval", "Approved", "Rejected"):
        reason = "x" * MAX_REASON_LENGTH
        registry.set_status(GROUP, 1, ApprovalStatus(status), reason=reason, changed_by="sync-approvals")

    described = describe_version_one(fresh_moto)
    assert_within_aws_limits(described["CustomerMetadataProperties"])
    stored = registry.get(GROUP, 1)
    assert (stored.metrics, stored.parameters, stored.lineage) == (
        candidate.metrics,
        candidate.parameters,
        candidate.lineage,
    )
    assert len(stored.history) == 5
    assert stored.history[-1].reason == "x" * MAX_REASON_LENGTH


def test_budget_fits_aws_entry_limit() -> None:
    fixed = 3  # ml:digest, ml:format, ml:head
    assert fixed + metadata_layout.EVIDENCE_ENTRIES + metadata_layout.HISTORY_ENTRIES <= metadata_limits()[0]


def test_a_full_audit_trail_refuses_more_decisions_instead_of_dropping_any(
    registry: SageMakerModelRegistry, fresh_moto: MotoServer
) -> None:
    registry.register(make_candidate())
    with pytest.raises(MlopsError, match=r"audit chain drops nothing.*register a new version"):
        for i in range(20):
            # hex that does not repeat barely compresses, so the byte budget binds
            reason = "".join(sha(f"{i}-{j}") for j in range(8))
            registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason=reason, changed_by="a")
            registry.set_status(GROUP, 1, ApprovalStatus.PENDING, reason=f"supersede {i}", changed_by="b")

    history = registry.get(GROUP, 1).history
    assert [c.sequence for c in history] == list(range(len(history)))  # registration, then every decision
    assert_within_aws_limits(describe_version_one(fresh_moto)["CustomerMetadataProperties"])


def test_evidence_too_large_for_sagemaker_is_refused(registry: SageMakerModelRegistry) -> None:
    noise = {f"feature_{i}": sha(str(i)) for i in range(400)}

    with pytest.raises(
        MlopsError, match=rf"{GROUP}: the evidence of artifact a{{64}} takes \d+ metadata entries"
    ):
        registry.register(make_candidate(lineage=noise))
    assert registry.list_versions(GROUP) == []


def test_baseline_becomes_model_metrics_and_drift_baselines(
    registry: SageMakerModelRegistry, fresh_moto: MotoServer, config: Any
) -> None:
    registry.register(realistic_candidate(config))

    described = describe_version_one(fresh_moto)

    statistics = described["ModelMetrics"]["ModelDataQuality"]["Statistics"]
    assert statistics == {
        "ContentType": "application/json",
        "S3Uri": f"s3://mlops-dev-artifacts/cas/{sha('statistics.json')}",
        "ContentDigest": f"sha256:{sha('statistics.json')}",
    }
    assert described["DriftCheckBaselines"] == described["ModelMetrics"]
    assert described["InferenceSpecification"]["Containers"][0]["Image"] == IMAGE
    assert described["ModelPackageDescription"] == f"sha256:{sha('model')}"


def test_approval_description_holds_latest_reason_on_one_line(
    registry: SageMakerModelRegistry, fresh_moto: MotoServer
) -> None:
    registry.register(make_candidate())
    registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="meets gate\nsee PR 42", changed_by="alice")

    described = describe_version_one(fresh_moto)

    assert described["ApprovalDescription"] == "meets gate see PR 42"


def test_package_registered_by_other_tools_is_readable(
    registry: SageMakerModelRegistry, fresh_moto: MotoServer
) -> None:
    client = fresh_moto.client("sagemaker")
    client.create_model_package_group(ModelPackageGroupName=GROUP)
    client.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://b/model.tar.gz"}]},
    )

    version = registry.get(GROUP, 1)

    assert (version.registry_status, version.status, version.artifact_uri, version.history) == (
        ApprovalStatus.APPROVED,
        ApprovalStatus.PENDING,  # no environment decided it: the sync reports the approval as drift
        "s3://b/model.tar.gz",
        (),
    )


def answer_with_error(client: Any, operation: str, code: str, message: str) -> None:
    """Make `operation` fail with an AWS error, as botocore's before-call hook allows."""

    def fail(**_: Any) -> tuple[Any, dict[str, Any]]:
        return SimpleNamespace(status_code=400, headers={}), {"Error": {"Code": code, "Message": message}}

    client.meta.events.register(f"before-call.sagemaker.{operation}", fail)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "ValidationException",
            "Model package arn:aws:sagemaker:us-east-1:1:model-package/churn-model/1 not found",
        ),
        ("ResourceNotFound", "Resource does not exist"),
    ],
)
def test_not_found_client_errors_become_model_not_found(
    fresh_moto: MotoServer, code: str, message: str
) -> None:
    client = fresh_moto.client("sagemaker")
    registry = SageMakerModelRegistry(client, environment="dev", image_uri=IMAGE)
    registry.register(make_candidate())
    answer_with_error(client, "DescribeModelPackage", code, message)

    with pytest.raises(ModelNotFoundError, match=rf"{GROUP}: model package .* does not exist") as raised:
        registry.get(GROUP, 1)
    assert isinstance(raised.value.__cause__, ClientError)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("AccessDeniedException", "not authorized to perform: sagemaker:ListModelPackages"),
        ("ValidationException", "1 validation error detected: Value at 'modelPackageGroupName' failed"),
    ],
)
def test_other_client_errors_pass_through(fresh_moto: MotoServer, code: str, message: str) -> None:
    client = fresh_moto.client("sagemaker")
    answer_with_error(client, "ListModelPackages", code, message)

    with pytest.raises(ClientError, match=code):
        SageMakerModelRegistry(client, environment="dev", image_uri=IMAGE).list_versions(GROUP)


def test_registry_only_connects_to_loopback(
    registry: SageMakerModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets: list[Any] = []
    connect = socket.socket.connect  # the guard's wrapper: it still refuses anything else

    def record(self: socket.socket, address: Any) -> None:
        targets.append(address)
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", record)
    registry.register(make_candidate())
    registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="ok", changed_by="alice")

    assert targets
    assert {host for host, *_ in targets} == {"127.0.0.1"}


@pytest.mark.parametrize("address", [("8.8.8.8", 53), ("10.0.0.1", 443), ("2001:4860:4860::8888", 443, 0, 0)])
def test_socket_guard_refuses_non_loopback_connections(address: tuple[Any, ...]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with (
        socket.socket(family, socket.SOCK_STREAM) as sock,
        pytest.raises(NetworkAccessError, match="only 127"),
    ):
        sock.connect(address)


def test_socket_guard_refuses_name_lookups() -> None:
    with pytest.raises(NetworkAccessError, match=re.escape("resolve 'sagemaker.us-east-1.amazonaws.com'")):
        socket.getaddrinfo("sagemaker.us-east-1.amazonaws.com", 443)


def test_aws_client_without_endpoint_is_refused_by_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    from ml.aws import build_client

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = build_client("sagemaker", region="us-east-1", max_attempts=1)

    with pytest.raises(Exception, match=re.escape("only 127.0.0.0/8, ::1 and AF_UNIX are allowed")):
        client.list_model_package_groups()


def test_socket_guard_uninstalls_cleanly() -> None:
    before = (socket.socket.connect, socket.getaddrinfo)
    uninstall = install_socket_guard()
    uninstall()

    assert (socket.socket.connect, socket.getaddrinfo) == before


def test_approvals_made_outside_the_registry_serve_no_environment(
    registry: SageMakerModelRegistry, fresh_moto: MotoServer
) -> None:
    client = fresh_moto.client("sagemaker")
    registry.register(make_candidate())
    registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="ok", changed_by="alice")
    container = {"Image": IMAGE, "ModelDataUrl": "s3://b/model.tar.gz"}
    for _ in range(2):  # e.g. approved in the console: no decision of any environment behind it
        client.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus="Approved",
            InferenceSpecification={"Containers": [container]},
        )

    assert registry.approved_version(GROUP).version == 1  # type: ignore[union-attr]
    registry.set_status(GROUP, 1, ApprovalStatus.REJECTED, reason="bias", changed_by="bob")
    assert registry.approved_version(GROUP) is None
    assert registry.get(GROUP, 3).registry_status == ApprovalStatus.APPROVED


def test_format_one_history_reads_as_decisions_for_every_environment() -> None:
    stored = metadata_layout.pack(
        metadata_layout.HISTORY,
        [
            ["PendingManualApproval", "t", "2026-01-01T00:00:00+00:00", "registered"],
            ["Approved", "a", "2026-01-02T00:00:00+00:00", "ok"],
        ],
    )
    history = metadata_layout.read_history(stored)
    assert [(c.status, c.environment, c.sequence) for c in history] == [
        (ApprovalStatus.PENDING, "", 0),
        (ApprovalStatus.APPROVED, "", 0),
    ]


def test_status_change_too_large_for_sagemaker_is_refused(registry: SageMakerModelRegistry) -> None:
    registry.register(make_candidate())
    changed_by = "".join(sha(str(i)) for i in range(200))  # 12,800 characters that barely compress

    with pytest.raises(MlopsError, match=r"\d+ metadata entries.*Shorten changed_by or reason"):
        registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="ok", changed_by=changed_by)
    assert registry.get(GROUP, 1).status == ApprovalStatus.PENDING


def change(number: int, reason: str = "ok") -> StatusChange:
    return StatusChange(ApprovalStatus.APPROVED, "alice", f"2026-01-01T00:00:{number:02d}+00:00", reason)


def test_pack_round_trips_within_aws_limits() -> None:
    document = {"lineage": {f"part-{i}.csv": sha(str(i)) for i in range(60)}, "note": "größer {ünd} [json]"}

    packed = metadata_layout.pack("ml:evidence", document)

    assert len(packed) > 10  # more chunks than one digit could order
    assert_within_aws_limits(packed)
    assert metadata_layout.unpack(packed, "ml:evidence") == document
    assert metadata_layout.unpack(packed, "ml:history") is None


def test_history_keeps_every_reason_whole() -> None:
    history = (change(0, "registered"), change(1, "r" * MAX_REASON_LENGTH))

    packed = metadata_layout.pack_history(history)

    assert metadata_layout.read_history(packed) == history


def test_history_over_budget_drops_only_unchained_format_one_changes() -> None:
    reasons = ["".join(sha(f"{i}-{j}") for j in range(16)) for i in range(12)]  # 1,024 hex characters each
    history = [change(0, "registered")] + [change(i + 1, reason) for i, reason in enumerate(reasons)]
    chained = replace(change(13, "decided"), environment="dev", sequence=1, previous_hash="0" * 64)

    kept = metadata_layout.read_history(metadata_layout.pack_history([*history, chained]))

    assert 2 <= len(kept) < len(history)
    assert (kept[0], kept[-1]) == (history[0], chained)
    with pytest.raises(MlopsError, match="audit chain drops nothing"):
        metadata_layout.pack_history(
            [history[0], *(replace(c, sequence=i + 1) for i, c in enumerate(history[1:]))]
        )


def test_metadata_update_replaces_the_history_and_keeps_the_rest() -> None:
    long_history = [change(0, "registered")] + [change(i, sha(str(i)) * 4) for i in range(1, 20)]
    old = {"ml:digest": "a" * 64, "ml:evidence:00": "e", **metadata_layout.pack_history(long_history)}

    update = metadata_layout.metadata_update(old, [change(0, "registered")], None)

    new = update["CustomerMetadataProperties"]
    assert (new["ml:digest"], new["ml:evidence:00"]) == ("a" * 64, "e")
    assert metadata_layout.read_history(new) == (change(0, "registered"),)
    assert update["CustomerMetadataPropertiesToRemove"] == sorted(set(old) - set(new))
    assert update["CustomerMetadataPropertiesToRemove"]


def test_packages_without_our_metadata_read_as_empty() -> None:
    assert (metadata_layout.read_evidence({}), metadata_layout.read_history({"other": "x"})) == ({}, ())
