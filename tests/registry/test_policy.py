import pytest

from ml.registry import ApprovalStatus, Decision
from ml.registry.approvals import Approval, ApprovalFile, Rejection
from ml.registry.policy import (
    ChangeIdentity,
    PolicyContext,
    check_policy,
    decision_problems,
    newest_ever_approved,
)
from tests.contracts.test_model_registry import GROUP, make_candidate, registry, view  # noqa: F401

SOURCE = "configs/prod/approved-model.yaml"
GOOD = {"auc": 0.88, "auc_ci_low": 0.82, "auc_ci_high": 0.93}
PASSED = {"gate": {"passed": True, "reasons": ["auc 0.880 >= min_auc 0.750"]}}


def candidate(n: int, metrics=GOOD, lineage=PASSED, created_by="tom"):
    return make_candidate(f"{n:02d}" * 32, metrics=metrics, lineage=lineage, created_by=created_by)


def approval(version: int, **changes) -> Approval:
    fields = dict(
        model_group=GROUP,
        version=version,
        artifact_digest=f"{version:02d}" * 32,
        approved_by="rita",
        approved_at="2026-11-25T12:00:00Z",
        reason="reviewed",
    )
    return Approval(**{**fields, **changes})


def context(**changes) -> PolicyContext:
    fields = dict(
        env="prod",
        source=SOURCE,
        min_auc=0.75,
        min_auc_ci_low=None,
        separation_of_duties=True,
    )
    return PolicyContext(**{**fields, **changes})


def problems(registry, *approvals, **context_changes):  # noqa: F811
    return check_policy(ApprovalFile(approvals=list(approvals)), registry, context(**context_changes))


def test_a_good_approval_has_no_problems(registry):  # noqa: F811
    registry.register(candidate(1))
    assert problems(registry, approval(1)) == []


def test_unregistered_version(registry):  # noqa: F811
    [line] = problems(registry, approval(4))
    assert line.startswith(f"{SOURCE}: approvals.0 (churn-model v4): not registered")


def test_digest_mismatch(registry):  # noqa: F811
    registry.register(candidate(1))
    [line] = problems(registry, approval(1, artifact_digest="ff" * 32))
    assert "artifact_digest differs from the registry's" in line


def test_failed_gate_and_low_metrics(registry):  # noqa: F811
    registry.register(
        candidate(1, metrics={"auc": 0.7, "auc_ci_low": 0.6}, lineage={"gate": {"passed": False}})
    )
    lines = problems(registry, approval(1), min_auc_ci_low=0.7)
    assert any("quality gate did not pass" in line for line in lines)
    assert any("auc 0.7 is below prod's quality_gate.min_auc 0.75" in line for line in lines)
    assert any("auc_ci_low 0.6 is below governance.min_auc_ci_low 0.7" in line for line in lines)


SYNCED = Decision(action="approve", via="sync", pull_request=7, merge_commit="c" * 40)


def sync_in(view, env, version, status=ApprovalStatus.APPROVED, **decision):  # noqa: F811
    """A decision the sync of `env` records."""
    record = Decision(**{**vars(SYNCED), **decision})
    return view(env).set_status(GROUP, version, status, reason="ok", changed_by="rita", decision=record)


def test_prod_needs_the_version_deployed_in_dev_by_a_sync_first(registry, view):  # noqa: F811
    registry.register(candidate(1))
    [line] = problems(registry, approval(1), require_prior_approval_in=("dev",))
    assert "not deployed in dev first" in line
    sync_in(view, "dev", 1)
    assert problems(registry, approval(1), require_prior_approval_in=("dev",)) == []


def test_a_direct_approval_in_dev_does_not_count(registry, view):  # noqa: F811
    registry.register(candidate(1))
    view("dev").set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="ok", changed_by="eve")
    assert problems(registry, approval(1), require_prior_approval_in=("dev",))


def test_approve_then_revert_in_dev_does_not_launder_a_version(registry, view):  # noqa: F811
    for n in (1, 2):
        registry.register(candidate(n))
    sync_in(view, "dev", 1)
    sync_in(view, "dev", 2)
    sync_in(view, "dev", 2, ApprovalStatus.PENDING, action="supersede", replaced_by=1)  # rolled back to v1
    [line] = problems(registry, approval(2), require_prior_approval_in=("dev",))
    assert "not deployed in dev first" in line
    sync_in(view, "dev", 1, ApprovalStatus.REJECTED, action="reject")
    assert problems(registry, approval(1), require_prior_approval_in=("dev",))  # rejected since


def test_dev_moving_on_to_a_newer_version_keeps_the_older_one_deployed(registry, view):  # noqa: F811
    for n in (1, 2):
        registry.register(candidate(n))
    sync_in(view, "dev", 1)
    sync_in(view, "dev", 2)
    sync_in(view, "dev", 1, ApprovalStatus.PENDING, action="supersede", replaced_by=2)
    assert problems(registry, approval(1), require_prior_approval_in=("dev",)) == []


def test_approver_must_be_declared(registry):  # noqa: F811
    registry.register(candidate(1))
    [line] = problems(registry, approval(1), approvers=("sam",))
    assert "approved_by 'rita' is not an approver of prod (governance.approvers: sam)" in line
    [empty] = problems(registry, approval(1), approvers=())
    assert "governance.approvers of prod is empty" in empty
    assert problems(registry, approval(1, approved_by="Rita"), approvers=("rita",)) == []


def test_approver_must_have_approved_the_pull_request_and_not_be_its_author(registry):  # noqa: F811
    registry.register(candidate(1))
    typed = ChangeIdentity(author="tom", approving_reviewers=())
    [line] = problems(registry, approval(1), identity=typed)
    assert "has not approved this pull request (approving reviewers: none)" in line
    own = ChangeIdentity(author="rita", approving_reviewers=("RITA",))
    [line] = problems(registry, approval(1), identity=own)
    assert "is the pull request's author" in line
    assert problems(registry, approval(1), identity=ChangeIdentity("tom", ("rita",))) == []


def test_downgrade_needs_allow_downgrade(registry):  # noqa: F811
    for n in (1, 2):
        registry.register(candidate(n))
    registry.set_status(GROUP, 2, ApprovalStatus.APPROVED, reason="ok", changed_by="rita")
    [line] = problems(registry, approval(1))
    assert "downgrade from v2 to v1" in line
    assert problems(registry, approval(1, allow_downgrade=True, downgrade_reason="v2 miscalibrated")) == []


def test_separation_of_duties(registry):  # noqa: F811
    registry.register(candidate(1, created_by="Rita"))
    [line] = problems(registry, approval(1))
    assert "separation of duties" in line
    assert problems(registry, approval(1), separation_of_duties=False) == []


@pytest.mark.parametrize("status", [ApprovalStatus.REJECTED])
def test_approving_a_rejected_version_is_a_violation(registry, status):  # noqa: F811
    registry.register(candidate(1))
    registry.set_status(GROUP, 1, status, reason="bias", changed_by="rita")
    assert any("is Rejected in prod's registry state" in line for line in problems(registry, approval(1)))


def test_rejection_of_unknown_version(registry):  # noqa: F811
    rejection = Rejection(
        model_group=GROUP,
        version=5,
        artifact_digest="05" * 32,
        rejected_by="rita",
        rejected_at="2026-11-25T12:00:00Z",
        reason="no",
    )
    lines = check_policy(ApprovalFile(rejections=[rejection]), registry, context())
    assert lines and "rejections.0" in lines[0] and "not registered" in lines[0]


def test_newest_ever_approved_counts_superseded_versions(registry):  # noqa: F811
    for n in (1, 2, 3):
        registry.register(candidate(n))
    assert newest_ever_approved(registry.list_versions(GROUP)) is None
    registry.set_status(GROUP, 2, ApprovalStatus.APPROVED, reason="ok", changed_by="rita")
    registry.set_status(GROUP, 2, ApprovalStatus.PENDING, reason="superseded", changed_by="rita")
    assert newest_ever_approved(registry.list_versions(GROUP)) == 2


def test_decision_rules_are_the_ones_the_policy_applies(registry):  # noqa: F811
    for n in (1, 2):
        registry.register(candidate(n, created_by="rita"))
    registry.set_status(GROUP, 2, ApprovalStatus.APPROVED, reason="ok", changed_by="ana")
    version = registry.get(GROUP, 1)
    lines = decision_problems(approval(1), version, registry, separation_of_duties=True)
    assert [line.split(" ")[0] for line in lines] == ["downgrade", "approved_by"]
    assert "--allow-downgrade --downgrade-reason" in lines[0]
    assert decision_problems(approval(1), version, registry, separation_of_duties=False) == lines[:1]


def test_the_ci_floor_judges_the_locked_evaluation_set_when_the_version_has_one(registry):  # noqa: F811
    metrics = {**GOOD, "auc_ci_low": 0.80, "evaluation_auc_ci_low": 0.72}
    registry.register(candidate(1, metrics=metrics))
    lines = problems(registry, approval(1), min_auc_ci_low=0.75)
    assert any("evaluation_auc_ci_low 0.72 is below governance.min_auc_ci_low 0.75" in line for line in lines)
    assert problems(registry, approval(1), min_auc_ci_low=0.7) == []
