"""The one behaviour suite every ModelRegistry backend must pass."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from ml.errors import ConfigError, InvalidTransitionError, MlopsError, ModelNotFoundError
from ml.registry import (
    MAX_REASON_LENGTH,
    ApprovalStatus,
    Decision,
    ModelCandidate,
    ModelRegistry,
    ModelVersion,
    StatusChange,
    latest_approved,
)
from ml.registry.approvals import approve_version
from ml.registry.audit import GENESIS, verify_chain
from ml.registry.sqlite import SQLiteModelRegistry
from ml.sqlite import connect

# Names SageMaker accepts too (letters, digits, hyphens), so a new backend can run the suite unchanged.
GROUP = "churn-model"
OTHER_GROUP = "fraud-model"
T0 = "2026-01-01T00:00:00+00:00"


def _build_local(request: pytest.FixtureRequest, environment: str) -> ModelRegistry:
    path = request.getfixturevalue("tmp_path") / "registry" / "models.db"
    return SQLiteModelRegistry(path, environment=environment)


def _build_sagemaker(request: pytest.FixtureRequest, environment: str) -> ModelRegistry:
    from ml.registry.sagemaker import SageMakerModelRegistry

    moto = request.getfixturevalue("moto_server")  # the test's registry already reset it
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    return SageMakerModelRegistry(moto.client("sagemaker"), environment=environment, image_uri=image)


# A new backend is one more entry; its builder asks `request` for what it needs (e.g. a moto server) and
# returns the store as `environment` sees it (every environment's view of one store).
BACKENDS: dict[str, Callable[[pytest.FixtureRequest, str], ModelRegistry]] = {
    "local": _build_local,
    "sagemaker": _build_sagemaker,
}


@pytest.fixture(params=sorted(BACKENDS))
def registry(request: pytest.FixtureRequest) -> ModelRegistry:
    if request.param == "sagemaker":
        request.getfixturevalue("fresh_moto")
    return BACKENDS[request.param](request, "local")


@pytest.fixture
def view(request: pytest.FixtureRequest, registry: ModelRegistry) -> Callable[[str], ModelRegistry]:
    """The `registry` fixture's store as another environment sees it."""
    backend = request.node.callspec.params["registry"]
    return lambda environment: BACKENDS[backend](request, environment)


def make_candidate(digest: str = "a" * 64, group: str = GROUP, **overrides: object) -> ModelCandidate:
    fields: dict[str, object] = {
        "model_group": group,
        "artifact_digest": digest,
        "artifact_uri": f"s3://artifacts/models/{digest}",
        "metrics": {"auc": 0.91},
        "parameters": {"max_depth": 4},
        "lineage": {"git_sha": "0" * 40},
        "created_by": "train-pipeline",
    }
    return ModelCandidate(**{**fields, **overrides})  # type: ignore[arg-type]


def register_many(registry: ModelRegistry, count: int, group: str = GROUP) -> list[ModelVersion]:
    return [registry.register(make_candidate(f"{i:064x}", group)) for i in range(count)]


def approve(registry: ModelRegistry, version: int, group: str = GROUP) -> ModelVersion:
    return registry.set_status(
        group, version, ApprovalStatus.APPROVED, reason="meets gate", changed_by="alice"
    )


def supersede(registry: ModelRegistry, version: int, *, by: int, group: str = GROUP) -> ModelVersion:
    return registry.set_status(
        group, version, ApprovalStatus.PENDING, reason=f"superseded by version {by}", changed_by="sync"
    )


def reject(registry: ModelRegistry, version: int, group: str = GROUP) -> ModelVersion:
    return registry.set_status(group, version, ApprovalStatus.REJECTED, reason="bias found", changed_by="bob")


def test_register_creates_version_one_pending_with_history(registry: ModelRegistry) -> None:
    version = registry.register(make_candidate())

    assert (version.model_group, version.version, version.status) == (GROUP, 1, ApprovalStatus.PENDING)
    assert [(c.status, c.changed_by, c.reason) for c in version.history] == [
        (ApprovalStatus.PENDING, "train-pipeline", "registered")
    ]


def test_versions_are_numbered_monotonically(registry: ModelRegistry) -> None:
    versions = register_many(registry, 3)

    assert [v.version for v in versions] == [1, 2, 3]


def test_versions_are_numbered_per_group(registry: ModelRegistry) -> None:
    register_many(registry, 2)

    assert registry.register(make_candidate(group=OTHER_GROUP)).version == 1


def test_register_same_artifact_returns_existing_version(registry: ModelRegistry) -> None:
    first = registry.register(make_candidate())
    approve(registry, first.version)

    again = registry.register(make_candidate(metrics={"auc": 0.5}, created_by="someone-else"))

    assert again == registry.get(GROUP, first.version)
    assert len(registry.list_versions(GROUP)) == 1


def test_get_returns_registered_version(registry: ModelRegistry) -> None:
    registered = registry.register(make_candidate())

    assert registry.get(GROUP, 1) == registered


def test_get_unknown_version_names_group_and_version(registry: ModelRegistry) -> None:
    register_many(registry, 2)

    with pytest.raises(ModelNotFoundError, match=rf"{GROUP}.*version 7"):
        registry.get(GROUP, 7)


def test_get_unknown_group_names_group(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFoundError, match="no-such-model"):
        registry.get("no-such-model", 1)


def test_set_status_of_unknown_version_raises_not_found(registry: ModelRegistry) -> None:
    registry.register(make_candidate())

    with pytest.raises(ModelNotFoundError, match=rf"{GROUP}.*version 2"):
        approve(registry, 2)


def test_approved_version_returns_approved(registry: ModelRegistry) -> None:
    registry.register(make_candidate())
    approved = approve(registry, 1)

    assert approved.status == ApprovalStatus.APPROVED
    assert registry.approved_version(GROUP) == approved


def test_approved_version_is_none_until_one_is_approved(registry: ModelRegistry) -> None:
    register_many(registry, 2)

    assert registry.approved_version(GROUP) is None
    assert registry.approved_version("no-such-model") is None


def test_approved_version_returns_most_recently_approved(registry: ModelRegistry) -> None:
    register_many(registry, 4)
    approve(registry, 3)
    approve(registry, 1)  # approved later, though a lower number
    reject(registry, 4)

    assert registry.approved_version(GROUP).version == 1  # type: ignore[union-attr]


def test_rollback_serves_the_older_version_before_the_newer_is_superseded(registry: ModelRegistry) -> None:
    register_many(registry, 2)
    approve(registry, 2)
    approve(registry, 1)  # the rollback: approved first, the newer version superseded next

    assert registry.approved_version(GROUP).version == 1  # type: ignore[union-attr]
    supersede(registry, 2, by=1)
    assert registry.approved_version(GROUP).version == 1  # type: ignore[union-attr]


def test_reapproved_version_is_served_over_a_later_approved_one(registry: ModelRegistry) -> None:
    register_many(registry, 2)
    approve(registry, 1)
    approve(registry, 2)
    supersede(registry, 1, by=2)
    approve(registry, 1)  # rolled back after 2 had been approved

    assert registry.approved_version(GROUP).version == 1  # type: ignore[union-attr]


def approved_at(version: int, *times: str) -> ModelVersion:
    """An Approved version whose history holds one approval per time (none: approved by another tool)."""
    history = tuple(StatusChange(ApprovalStatus.APPROVED, "alice", at, "ok") for at in times)
    digest, uri = f"{version:064x}", "s3://artifacts/models/m"
    return ModelVersion(GROUP, version, ApprovalStatus.APPROVED, digest, uri, {}, {}, {}, "t", T0, history)


# The backends share this rule; equal timestamps cannot be produced through them, so it is tested alone.
def test_latest_approved_breaks_ties_by_higher_version() -> None:
    assert latest_approved([approved_at(5, T0), approved_at(2, T0)]).version == 5  # type: ignore[union-attr]


def test_latest_approved_ranks_versions_without_approval_history_last() -> None:
    assert latest_approved([approved_at(1, T0), approved_at(3)]).version == 1  # type: ignore[union-attr]
    assert latest_approved([approved_at(1), approved_at(3)]).version == 3  # type: ignore[union-attr]


def test_approved_version_is_none_when_all_approved_versions_are_gone(registry: ModelRegistry) -> None:
    register_many(registry, 2)
    approve(registry, 1)
    approve(registry, 2)
    reject(registry, 1)
    reject(registry, 2)

    assert registry.approved_version(GROUP) is None


def test_approving_rejected_version_raises(registry: ModelRegistry) -> None:
    registry.register(make_candidate())
    reject(registry, 1)

    with pytest.raises(InvalidTransitionError, match=rf"version 1 is {ApprovalStatus.REJECTED}"):
        approve(registry, 1)
    assert registry.get(GROUP, 1).status == ApprovalStatus.REJECTED


def test_rejecting_approved_version_is_allowed(registry: ModelRegistry) -> None:
    registry.register(make_candidate())
    approve(registry, 1)

    assert reject(registry, 1).status == ApprovalStatus.REJECTED
    assert registry.approved_version(GROUP) is None


def test_same_status_is_a_no_op(registry: ModelRegistry) -> None:
    registry.register(make_candidate())
    approved = approve(registry, 1)

    again = registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="again", changed_by="carol")

    assert again == approved
    assert len(registry.get(GROUP, 1).history) == 2


def test_history_records_who_when_and_why(registry: ModelRegistry) -> None:
    registry.register(make_candidate())
    approve(registry, 1)
    history = reject(registry, 1).history

    assert [(c.status, c.changed_by, c.reason) for c in history] == [
        (ApprovalStatus.PENDING, "train-pipeline", "registered"),
        (ApprovalStatus.APPROVED, "alice", "meets gate"),
        (ApprovalStatus.REJECTED, "bob", "bias found"),
    ]
    times = [datetime.fromisoformat(c.changed_at) for c in history]
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert times == sorted(times)


def test_list_versions_oldest_first(registry: ModelRegistry) -> None:
    registered = register_many(registry, 3)
    register_many(registry, 1, group=OTHER_GROUP)

    assert registry.list_versions(GROUP) == registered


def test_list_versions_of_unknown_group_is_empty(registry: ModelRegistry) -> None:
    assert registry.list_versions("no-such-model") == []


def test_evidence_round_trips(registry: ModelRegistry) -> None:
    metrics = {"auc": 0.912345678901234, "per_class": {"churn": {"precision": 0.5, "recall": 1 / 3}}}
    parameters = {"max_depth": 4, "eta": 0.1, "objective": "binary:logistic", "features": ["age", "tenure"]}
    lineage = {"dataset": {"uri": "s3://data/train.csv", "sha256": "b" * 64}, "git_sha": "c" * 40}
    registry.register(make_candidate(metrics=metrics, parameters=parameters, lineage=lineage))

    stored = registry.get(GROUP, 1)

    assert (stored.metrics, stored.parameters, stored.lineage) == (metrics, parameters, lineage)
    assert type(stored.metrics) is dict


def test_superseding_an_approved_version_returns_it_to_pending(registry: ModelRegistry) -> None:
    register_many(registry, 1)
    approve(registry, 1)
    superseded = registry.set_status(
        GROUP, 1, ApprovalStatus.PENDING, reason="superseded by version 2", changed_by="sync"
    )
    assert superseded.status == ApprovalStatus.PENDING
    assert registry.approved_version(GROUP) is None
    assert approve(registry, 1).status == ApprovalStatus.APPROVED  # a reviewed rollback may approve it again


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"artifact_digest": "abc123"}, "artifact_digest"),
        ({"artifact_digest": "A" * 64}, "artifact_digest"),
        ({"artifact_digest": "a" * 64 + "\n"}, "artifact_digest"),
        ({"artifact_digest": "../../" + "a" * 58}, "artifact_digest"),
        ({"created_by": ""}, "created_by"),
        ({"created_by": " \n"}, "created_by"),
        ({"model_group": "churn_model"}, "model_group"),
        ({"model_group": "-churn"}, "model_group"),
        ({"model_group": "churn-"}, "model_group"),
        ({"model_group": "m" * 64}, "model_group"),
        ({"model_group": ""}, "model_group"),
    ],
)
def test_register_refuses_bad_candidate_naming_the_field(
    registry: ModelRegistry, overrides: dict[str, str], field: str
) -> None:
    with pytest.raises(ConfigError, match=rf"^{field} "):
        registry.register(make_candidate(**overrides))  # type: ignore[arg-type]

    assert registry.list_versions(GROUP) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"changed_by": ""}, "^changed_by '': must not be blank"),
        ({"changed_by": "\t "}, "^changed_by "),
        ({"reason": ""}, "^reason '': must not be blank"),
        ({"reason": " \n "}, "^reason "),
        ({"reason": "x" * (MAX_REASON_LENGTH + 1)}, rf"^reason: {MAX_REASON_LENGTH + 1} characters, at most"),
        ({"status": "Approve"}, "^status 'Approve': expected one of PendingManualApproval, Approved"),
        ({"version": 0}, "^version 0: "),
        ({"version": "1"}, "^version '1': "),
        ({"model_group": "churn_model"}, "^model_group 'churn_model': "),
    ],
)
def test_set_status_refuses_bad_arguments_naming_them(
    registry: ModelRegistry, arguments: dict[str, Any], message: str
) -> None:
    registry.register(make_candidate())
    call: dict[str, Any] = {"model_group": GROUP, "version": 1, "status": "Approved", **arguments}

    with pytest.raises(ConfigError, match=message):
        registry.set_status(
            call["model_group"],
            call["version"],
            call["status"],
            reason=call.get("reason", "ok"),
            changed_by=call.get("changed_by", "alice"),
        )
    assert registry.get(GROUP, 1).status == ApprovalStatus.PENDING


def test_set_status_checks_arguments_before_looking_the_version_up(registry: ModelRegistry) -> None:
    with pytest.raises(ConfigError, match=r"^reason "):
        registry.set_status("no-such-model", 1, ApprovalStatus.APPROVED, reason=" ", changed_by="alice")


def test_set_status_accepts_the_status_as_its_string_value(registry: ModelRegistry) -> None:
    registry.register(make_candidate())

    approved = registry.set_status(GROUP, 1, "Approved", reason="ok", changed_by="a")  # type: ignore[arg-type]

    assert approved.status == ApprovalStatus.APPROVED


def test_reason_of_the_maximum_length_is_kept_whole(registry: ModelRegistry) -> None:
    registry.register(make_candidate())
    # hex that does not repeat barely compresses, the hardest case for a backend with a size budget
    reason = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(MAX_REASON_LENGTH // 64))

    approved = registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason=reason, changed_by="alice")

    assert len(reason) == MAX_REASON_LENGTH
    assert approved.history[-1].reason == reason
    assert registry.get(GROUP, 1).history[-1].reason == reason


@pytest.mark.parametrize("read", ["get", "list_versions", "approved_version"])
def test_reads_refuse_a_malformed_group_name(registry: ModelRegistry, read: str) -> None:
    arguments = ("churn_model", 1) if read == "get" else ("churn_model",)

    with pytest.raises(ConfigError, match=r"^model_group 'churn_model': "):
        getattr(registry, read)(*arguments)


@pytest.mark.parametrize("version", [0, -1, "1", True, 1.0])
def test_get_refuses_a_malformed_version(registry: ModelRegistry, version: object) -> None:
    registry.register(make_candidate())

    with pytest.raises(ConfigError, match=rf"^version {re.escape(repr(version))}: expected a whole number"):
        registry.get(GROUP, version)  # type: ignore[arg-type]


# ---- Approvals per environment, the audit chain and the sync lock -------------------------------------


def test_each_environment_serves_the_version_it_approved(registry: ModelRegistry, view) -> None:
    register_many(registry, 2)
    dev, prod = view("dev"), view("prod")
    approve(dev, 1)
    approve(prod, 2)

    assert (dev.approved_version(GROUP).version, prod.approved_version(GROUP).version) == (1, 2)  # type: ignore[union-attr]
    approve_version(dev, GROUP, 2, changed_by="sync", reason="dev moves on")
    assert prod.approved_version(GROUP).version == 2  # type: ignore[union-attr]
    assert (dev.get(GROUP, 1).status, prod.get(GROUP, 1).status) == (ApprovalStatus.PENDING,) * 2
    assert registry.approved_version(GROUP) is None  # the "local" environment approved nothing


def test_registry_status_is_approved_while_any_environment_approves(registry: ModelRegistry, view) -> None:
    register_many(registry, 1)
    dev, prod = view("dev"), view("prod")
    approve(dev, 1)
    prod_approved = approve(prod, 1)  # already Approved in the registry: prod's decision is still recorded

    assert [c.environment for c in prod_approved.history] == ["", "dev", "prod"]
    supersede(dev, 1, by=2)
    assert dev.get(GROUP, 1).registry_status == ApprovalStatus.APPROVED
    reject(prod, 1)
    assert prod.get(GROUP, 1).registry_status == ApprovalStatus.REJECTED
    assert approve(dev, 1).registry_status == ApprovalStatus.APPROVED  # dev never rejected it


def test_decision_record_round_trips(registry: ModelRegistry) -> None:
    registry.register(make_candidate())
    record = Decision(
        action="rollback",
        via="sync",
        evidence="https://example.org/pull/42",
        downgrade_reason="v2 miscalibrated",
        author="tom",
        approving_reviewers=("rita", "sam"),
        pull_request=42,
        merge_commit="c" * 40,
    )

    approved = registry.set_status(GROUP, 1, "Approved", reason="ok", changed_by="rita", decision=record)  # type: ignore[arg-type]

    assert approved.history[-1].decision == record
    assert registry.get(GROUP, 1).history[-1].decision == record


def decide_across_environments(registry: ModelRegistry, view) -> None:
    register_many(registry, 3)
    approve(view("dev"), 1)
    approve(view("dev"), 2)
    supersede(view("dev"), 1, by=2)
    approve(view("prod"), 1)
    reject(view("dev"), 3)


def test_decisions_form_one_verified_chain(registry: ModelRegistry, view) -> None:
    decide_across_environments(registry, view)

    report = verify_chain(GROUP, registry.list_versions(GROUP), registry.audit_head(GROUP))

    assert report.verified, report.problems
    assert [e.change.sequence for e in report.entries] == [1, 2, 3, 4, 5]
    assert report.entries[0].change.previous_hash == GENESIS
    assert report.head == registry.audit_head(GROUP) and report.head.sequence == 5  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("tampering", "message"),
    [
        ("edit", r"entry #3 .*does not follow entry #2, which was changed"),
        ("delete", r"follows entry #1; entries were removed"),
        ("delete-newest", r"chain head is #5 .* entries end at #4"),
    ],
)
def test_tampering_with_the_trail_is_detected(
    registry: ModelRegistry, view, tampering: str, message: str
) -> None:
    decide_across_environments(registry, view)

    TAMPER[type(registry).__name__](registry, tampering)

    report = verify_chain(GROUP, registry.list_versions(GROUP), registry.audit_head(GROUP))
    assert not report.verified
    assert re.search(message, "\n".join(report.problems)), report.problems


def test_a_registry_status_changed_outside_is_never_served_and_can_be_restored(
    registry: ModelRegistry, view
) -> None:
    register_many(registry, 1)
    dev = view("dev")
    approve(dev, 1)
    SET_REGISTRY_STATUS[type(registry).__name__](registry, 1, ApprovalStatus.PENDING)  # "the console"

    returned = dev.get(GROUP, 1)
    assert (returned.status, returned.registry_status) == (ApprovalStatus.APPROVED, ApprovalStatus.PENDING)
    assert dev.approved_version(GROUP) is None
    restored = dev.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="restore", changed_by="sync")
    assert restored.registry_status == ApprovalStatus.APPROVED and restored.history[-1].reason == "restore"


def test_sync_lock_keeps_a_second_holder_out(registry: ModelRegistry, view, monkeypatch) -> None:
    monkeypatch.setattr("ml.registry.lease.WAIT_SECONDS", 0.5)
    held = rf"{GROUP}: the sync lock is held by .*:{os.getpid()}:"
    with registry.sync_lock(GROUP, "a" * 40), pytest.raises(MlopsError, match=held):  # noqa: SIM117
        with view("prod").sync_lock(GROUP, "b" * 40):
            pass
    with view("prod").sync_lock(GROUP, "b" * 40) as lease:  # released: free again
        assert lease.previous_commit is None


def test_sync_lock_remembers_each_environments_last_finished_commit(registry: ModelRegistry, view) -> None:
    with registry.sync_lock(GROUP, "a" * 40) as lease:
        lease.finish()
    with registry.sync_lock(GROUP, "b" * 40) as lease:  # not finished: records nothing
        assert lease.previous_commit == "a" * 40
    with view("prod").sync_lock(GROUP, "c" * 40) as lease:
        assert lease.previous_commit is None
    with registry.sync_lock(GROUP, "d" * 40) as lease:
        assert lease.previous_commit == "a" * 40


def _tamper_sqlite(registry: SQLiteModelRegistry, tampering: str) -> None:
    statement = {
        "edit": "UPDATE status_history SET changed_by = 'mallory' WHERE sequence = 2",
        "delete": "DELETE FROM status_history WHERE sequence = 2",
        "delete-newest": "DELETE FROM status_history WHERE sequence = 5",
    }[tampering]
    with closing(connect(registry.path)) as conn:
        conn.execute(statement)


def _tamper_sagemaker(registry: ModelRegistry, tampering: str) -> None:
    from ml.registry import sagemaker_metadata as layout

    target = {"edit": 2, "delete": 2, "delete-newest": 5}[tampering]
    for version in registry.list_versions(GROUP):
        kept = [
            replace(c, changed_by="mallory") if tampering == "edit" and c.sequence == target else c
            for c in version.history
            if tampering == "edit" or c.sequence != target
        ]
        if kept != list(version.history):
            _rewrite_package(
                registry,
                version.version,
                lambda old, kept=kept: {
                    **old,
                    **layout.metadata_update(old, kept, None)["CustomerMetadataProperties"],
                },
            )


def _rewrite_package(registry: ModelRegistry, version: int, metadata, status: str | None = None) -> None:
    """Change a package as someone with console or API access would (moto drops metadata not sent again)."""
    client = registry._client  # type: ignore[attr-defined]
    arn = next(
        s["ModelPackageArn"] for s in registry._summaries(GROUP) if s["ModelPackageVersion"] == version
    )  # type: ignore[attr-defined]
    described = client.describe_model_package(ModelPackageName=arn)
    old = described.get("CustomerMetadataProperties") or {}
    new = metadata(old)
    client.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus=status or described["ModelApprovalStatus"],
        CustomerMetadataProperties=new,
        CustomerMetadataPropertiesToRemove=sorted(set(old) - set(new)) or [],
    )


def _set_status_sqlite(registry: SQLiteModelRegistry, version: int, status: ApprovalStatus) -> None:
    with closing(connect(registry.path)) as conn:
        conn.execute("UPDATE model_versions SET status = ? WHERE version = ?", (str(status), version))


TAMPER = {"SQLiteModelRegistry": _tamper_sqlite, "SageMakerModelRegistry": _tamper_sagemaker}
SET_REGISTRY_STATUS = {
    "SQLiteModelRegistry": _set_status_sqlite,
    "SageMakerModelRegistry": lambda registry, version, status: _rewrite_package(
        registry, version, lambda old: old, str(status)
    ),
}
