from ml.registry import ApprovalStatus, ModelVersion
from ml.registry.approvals import Approval
from ml.registry.evidence import render_pr_body


def version(number: int, auc: float) -> ModelVersion:
    return ModelVersion(
        model_group="mammo",
        version=number,
        status=ApprovalStatus.PENDING,
        artifact_digest=f"{number:02d}" * 32,
        artifact_uri="file:///x",
        metrics={"auc": auc, "auc_ci_low": auc - 0.05, "auc_ci_high": auc + 0.04, "f1": 0.8},
        parameters={},
        created_by="tom",
        created_at="2026-11-25",
        lineage={
            "gate": {"passed": True, "reasons": ["auc ok"]},
            "data": {"d/train-part1.csv": "aa" * 32},
            "code": {"git_commit": "1234567890abcdef"},
            "run_id": f"train-{number}",
        },
    )


def test_pr_body_puts_challenger_next_to_champion():
    approval = Approval(
        model_group="mammo",
        version=2,
        artifact_digest="02" * 32,
        approved_by="rita",
        approved_at="2026-11-25T12:00:00Z",
        reason="better recall",
        evidence="run train-2",
    )
    stats = {
        "features": [
            {
                "name": "Age",
                "numerical_statistics": {"common": {"num_present": 9, "num_missing": 1}, "mean": 55.5},
            }
        ]
    }
    names = {"rita": "Dr. Rita Reviewer"}
    body = render_pr_body("prod", version(2, 0.88), version(1, 0.84), approval, {2: stats, 1: stats}, names)
    assert body.startswith("## Approve mammo v2 in prod")
    assert "| auc | 0.880 (95% CI 0.830–0.920) | 0.840 (95% CI 0.790–0.880) |" in body
    assert "Dr. Rita Reviewer (@rita) — better recall" in body
    assert "| gate | passed: auc ok | passed: auc ok |" in body
    assert "| Age | mean 55.5, 90% complete | mean 55.5, 90% complete |" in body
    assert "`aaaaaaaaaaaa` train-part1.csv" in body
    assert "mlops registry sync --env prod" in body


def test_pr_body_without_a_champion():
    approval = Approval(
        model_group="mammo",
        version=1,
        artifact_digest="01" * 32,
        approved_by="rita",
        approved_at="2026-11-25T12:00:00Z",
        reason="first",
    )
    body = render_pr_body("dev", version(1, 0.84), None, approval)
    assert "none approved yet" in body and "| f1 | 0.800 | — |" in body
    assert "@rita (not in governance.approvers)" in body
