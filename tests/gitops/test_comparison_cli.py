"""`mlops compare`, the approval pull request's comparison and the non-inferiority rule, on real versions."""

import json
import re
from xml.etree import ElementTree

from tests.gitops.test_attacks import set_governance
from tests.gitops.test_gitops_cli import approve, merged


def test_compare_writes_json_and_an_html_report_with_both_curves(repo, mlops, trained):
    result = mlops("compare", "--env", "dev", "--champion", "1", "--challenger", "2")
    assert result.exit_code == 0, result.output
    assert "On the same 192 locked rows" in result.output and "non-inferiority within 0.02" in result.output
    folder = repo / "work" / "comparisons" / "v1-vs-v2"
    document = json.loads((folder / "comparison.json").read_text())
    assert (document["champion_version"], document["challenger_version"], document["rows"]) == (1, 2, 192)
    auc = document["auc"]
    assert auc["low"] < auc["difference"] < auc["high"] and "DeLong" in auc["method"]
    assert set(document["curves"]) == {"champion", "challenger"}
    html = (folder / "report.html").read_text()
    assert html.count("<svg") == 2 and "ROC curves" in html and "Reliability diagram" in html
    assert "champion v1" in html and "challenger v2" in html
    for chart in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        ElementTree.fromstring(chart)  # well-formed markup, or the browser shows nothing


def test_compare_refuses_versions_scored_on_different_evaluation_sets(repo, mlops, trained):
    evaluation = repo / "work" / "data" / "evaluation.csv"
    smaller = repo / "smaller-evaluation.csv"
    smaller.write_text("\n".join(evaluation.read_text().splitlines()[:150]) + "\n")
    trained_elsewhere = mlops("train", "--env", "dev", "--data", "part2", "--evaluation", str(smaller))
    assert trained_elsewhere.exit_code == 0, trained_elsewhere.output
    result = mlops(
        "compare", "--env", "dev", "--champion", "1", "--challenger", "3", "--output-dir", str(repo / "x")
    )
    assert result.exit_code == 3
    assert "not comparable: evaluated on different evaluation sets" in result.stderr
    assert not (repo / "x").exists()


def test_the_pull_request_shows_the_paired_comparison(repo, mlops, trained):
    merged(repo, mlops, "dev", 1)
    approve(mlops, "dev", 2, "rita", "--pr-body", str(repo / "pr.md"))
    body = (repo / "pr.md").read_text()
    assert "### Champion vs challenger on the locked evaluation set" in body
    assert "v2's AUC is indistinguishable from v1's" in body
    assert "| auc | 0.839 | 0.852 | +0.012 [-0.010, +0.035] | DeLong" in body
    assert "| sensitivity |" in body and "Newcombe" in body and "| brier |" in body
    assert "| cross-validated AUC | 0.858 ± 0.062 (10-fold)" in body


def test_non_inferiority_blocks_a_worse_challenger_unless_downgrade_is_allowed(repo, mlops, trained):
    merged(repo, mlops, "dev", 2, "v2 serves in dev")
    approve(mlops, "dev", 1)  # v1 is 0.012 below v2, CI down to -0.035: beyond the 0.02 margin
    result = mlops("policy", "check", "--env", "dev")
    assert result.exit_code == 13
    assert "AUC difference to serving v2 on the locked evaluation set is -0.012" in result.output
    assert "below -0.02 (governance.non_inferiority_margin)" in result.output
    approve(mlops, "dev", 1, "rita", "--allow-downgrade", "--downgrade-reason", "v2 miscalibrated")
    assert mlops("policy", "check", "--env", "dev").exit_code == 0


def test_direct_approval_applies_the_non_inferiority_rule_too(repo, mlops, trained):
    set_governance(repo, "lab", non_inferiority_margin=0.0)  # v2 - v1: +0.012 [-0.010, +0.035]
    assert approve(mlops, "lab", 1).exit_code == 0
    refused = approve(mlops, "lab", 2)
    assert refused.exit_code == 13
    assert "AUC difference to serving v1 on the locked evaluation set is +0.012" in refused.stderr
    assert "below -0 (governance.non_inferiority_margin)" in refused.stderr
    set_governance(repo, "lab", non_inferiority_margin=0.02)
    assert approve(mlops, "lab", 2).exit_code == 0
