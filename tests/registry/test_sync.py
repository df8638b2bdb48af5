import pytest

from ml.errors import InvalidTransitionError, ModelNotFoundError
from ml.registry import ApprovalStatus
from ml.registry.approvals import Approval, ApprovalFile, Rejection, approve_version
from ml.registry.sync import apply_sync, plan_sync
from tests.contracts.test_model_registry import GROUP, make_candidate, registry, view  # noqa: F401

SOURCE = "configs/prod/approved-model.yaml"
DIGESTS = [f"{i:02d}" * 32 for i in range(1, 4)]


@pytest.fixture
def versions(registry):  # noqa: F811
    return [registry.register(make_candidate(digest)) for digest in DIGESTS]


def declare(version: int, **extra) -> ApprovalFile:
    approval = Approval(
        model_group=GROUP,
        version=version,
        artifact_digest=DIGESTS[version - 1],
        approved_by="rita",
        approved_at="2026-11-25T12:00:00Z",
        reason="reviewed in PR #7",
    )
    return ApprovalFile(approvals=[approval], **extra)


def sync(registry, approvals, enforce=False):  # noqa: F811
    plan = plan_sync(approvals, registry, [GROUP], source=SOURCE, commit="c0ffee" * 7, enforce=enforce)
    apply_sync(plan, registry, progress=lambda message: None)
    return plan


def statuses(registry):  # noqa: F811
    return {v.version: v.status for v in registry.list_versions(GROUP)}


def test_sync_approves_the_declared_version_with_commit_and_approver(registry, versions):  # noqa: F811
    plan = sync(registry, declare(2))
    assert [a.kind for a in plan.actions] == ["approve"]
    assert statuses(registry)[2] == ApprovalStatus.APPROVED
    change = registry.get(GROUP, 2).history[-1]
    assert change.changed_by == "rita"
    assert (
        "reviewed in PR #7" in change.reason
        and "git c0ffeec0ffee" in change.reason
        and SOURCE in change.reason
    )


def test_second_sync_changes_nothing(registry, versions):  # noqa: F811
    sync(registry, declare(2))
    plan = sync(registry, declare(2))
    assert plan.actions == () and plan.drift == ()
    assert plan.describe() == "registry already agrees with git: no changes"


def test_new_approval_supersedes_the_previous_one(registry, versions):  # noqa: F811
    sync(registry, declare(1))
    plan = sync(registry, declare(2))
    assert [(a.kind, a.version) for a in plan.actions] == [("approve", 2), ("supersede", 1)]
    assert statuses(registry) == {
        1: ApprovalStatus.PENDING,
        2: ApprovalStatus.APPROVED,
        3: ApprovalStatus.PENDING,
    }
    assert "superseded by version 2" in registry.get(GROUP, 1).history[-1].reason


def test_interrupted_sync_converges_on_the_next_run(registry, versions):  # noqa: F811
    sync(registry, declare(1))
    plan = plan_sync(declare(2), registry, [GROUP], source=SOURCE, commit="abc")
    first = plan.actions[0]  # the run "dies" after its first operation
    registry.set_status(GROUP, first.version, first.target, reason=first.reason, changed_by=first.changed_by)
    resumed = sync(registry, declare(2))
    assert [(a.kind, a.version) for a in resumed.actions] == [("supersede", 1)]
    assert statuses(registry)[1] == ApprovalStatus.PENDING


def test_approval_outside_git_is_drift_and_enforce_reverts_it(registry, versions):  # noqa: F811
    sync(registry, declare(1))
    registry.set_status(
        GROUP, 3, ApprovalStatus.APPROVED, reason="clicked in the console", changed_by="mallory"
    )
    plan = sync(registry, declare(1))
    assert plan.actions == ()
    assert len(plan.drift) == 1 and "v3 is Approved in the registry" in plan.drift[0]
    enforced = sync(registry, declare(1), enforce=True)
    assert [(a.kind, a.version) for a in enforced.actions] == [("revert", 3)]
    assert statuses(registry)[3] == ApprovalStatus.PENDING


def test_empty_file_flags_any_registry_approval(registry, versions):  # noqa: F811
    registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="console", changed_by="mallory")
    plan = sync(registry, ApprovalFile())
    assert plan.drift and statuses(registry)[1] == ApprovalStatus.APPROVED


def test_rejections_are_synced(registry, versions):  # noqa: F811
    rejection = Rejection(
        model_group=GROUP,
        version=3,
        artifact_digest=DIGESTS[2],
        rejected_by="rita",
        rejected_at="2026-11-25T12:00:00Z",
        reason="calibration off",
    )
    sync(registry, declare(1, rejections=[rejection.model_copy(update={"evidence": "PR #8"})]))
    assert statuses(registry)[3] == ApprovalStatus.REJECTED
    decision = registry.get(GROUP, 3).history[-1].decision
    assert (decision.action, decision.via, decision.evidence) == ("reject", "sync", "PR #8")


def test_unknown_version_names_the_file(registry, versions):  # noqa: F811
    approval = declare(1).approvals[0].model_copy(update={"version": 9})
    with pytest.raises(ModelNotFoundError, match="9"):
        plan_sync(ApprovalFile(approvals=[approval]), registry, [GROUP], source=SOURCE, commit="abc")


def test_digest_mismatch_is_refused_before_anything_changes(registry, versions):  # noqa: F811
    approval = declare(1).approvals[0].model_copy(update={"artifact_digest": DIGESTS[1]})
    with pytest.raises(ModelNotFoundError, match="the file pins"):
        plan_sync(ApprovalFile(approvals=[approval]), registry, [GROUP], source=SOURCE, commit="abc")
    assert set(statuses(registry).values()) == {ApprovalStatus.PENDING}


def test_approving_a_rejected_version_fails_at_plan_time(registry, versions):  # noqa: F811
    registry.set_status(GROUP, 1, ApprovalStatus.REJECTED, reason="bias", changed_by="rita")
    with pytest.raises(InvalidTransitionError, match="Rejected"):
        plan_sync(declare(1), registry, [GROUP], source=SOURCE, commit="abc")


def test_direct_and_sync_approvals_agree(registry, versions):  # noqa: F811
    approve_version(registry, GROUP, 1, changed_by="rita", reason="direct")
    assert sync(registry, declare(1)).actions == ()


def test_each_environment_syncs_its_own_file_without_touching_the_others(registry, versions, view):  # noqa: F811
    dev, prod = view("dev"), view("prod")
    sync(dev, declare(1))
    sync(prod, declare(2))

    assert (dev.approved_version(GROUP).version, prod.approved_version(GROUP).version) == (1, 2)
    assert sync(dev, declare(1)).actions == () and sync(prod, declare(2)).actions == ()  # no flip-flop
    assert {v.version: v.registry_status for v in registry.list_versions(GROUP)} == {
        1: ApprovalStatus.APPROVED,
        2: ApprovalStatus.APPROVED,
        3: ApprovalStatus.PENDING,
    }


def test_a_synced_approval_returned_to_pending_directly_is_drift(registry, versions, view):  # noqa: F811
    dev = view("dev")
    sync(dev, declare(1))
    dev.set_status(GROUP, 1, ApprovalStatus.PENDING, reason="console", changed_by="eve")

    plan = sync(dev, declare(1))

    assert plan.actions == () and "v1 was returned to PendingManualApproval outside git" in plan.drift[0]
    assert [a.kind for a in sync(dev, declare(1), enforce=True).actions] == ["reapprove"]
    assert dev.approved_version(GROUP).version == 1
