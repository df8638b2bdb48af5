import pytest

from ml.registry import ApprovalStatus
from ml.registry.approvals import Approval, ApprovalFile, Rejection
from ml.registry.policy import PolicyContext, check_policy, decision_problems, newest_ever_approved
from tests.contracts.test_model_registry import GROUP, make_candidate, registry  # noqa: F401

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
        prior_approvals={},
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


def test_prod_needs_the_same_version_approved_in_dev_first(registry):  # noqa: F811
    registry.register(candidate(1))
    dev_history = [ApprovalFile(approvals=[approval(1, artifact_digest="ee" * 32)])]
    [line] = problems(registry, approval(1), prior_approvals={"dev": dev_history})
    assert "not approved in dev first" in line
    dev_history.append(ApprovalFile(approvals=[approval(1)]))
    assert problems(registry, approval(1), prior_approvals={"dev": dev_history}) == []


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
    assert any("Rejected in the registry" in line for line in problems(registry, approval(1)))


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
