"""The pull-request description for an approval: challenger next to champion, so review rests on evidence."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ml.artifacts import ArtifactStore
from ml.registry import ModelVersion
from ml.registry.approvals import Approval

METRICS = ("auc", "pr_auc", "accuracy", "precision", "recall", "f1", "brier")

# A version's training-data statistics.json (Model Monitor format), or None where it cannot be read.
StatisticsReader = Callable[[ModelVersion], Mapping[str, Any] | None]


def statistics_reader(artifacts: ArtifactStore) -> StatisticsReader:
    """Read a version's training-data statistics.json where it recorded it, if it is there."""
    from ml.artifacts.codecs import get_recorded_json
    from ml.errors import ArtifactMissingError

    def read(version: ModelVersion) -> Mapping[str, Any] | None:
        digest = version.lineage.get("baseline", {}).get("statistics.json")
        if not digest:
            return None
        uri = (version.lineage.get("baseline_uri") or {}).get("statistics.json")
        try:
            return get_recorded_json(artifacts, digest, uri)
        except ArtifactMissingError:
            return None

    return read


def no_statistics(version: ModelVersion) -> None:
    """The reader used when the caller gives none: the pull request then shows no baseline statistics."""
    return None


def render_pr_body(
    env: str,
    challenger: ModelVersion,
    champion: ModelVersion | None,
    approval: Approval,
    baselines: Mapping[int, Mapping[str, Any]] | None = None,
    approver_names: Mapping[str, str] | None = None,
    comparison: Sequence[str] = (),
) -> str:
    """Markdown for the approval pull request of `challenger` in `env`.

    `approver_names` maps lower-case logins to display names (governance.approvers). `comparison` holds the
    markdown of the paired comparison on the locked evaluation set
    (`ml.registry.comparison.comparison_section`), shown first: it is the only like-for-like evidence.
    """
    title = f"Approve {challenger.model_group} v{challenger.version} in {env}"
    champion_name = f"v{champion.version} (serving now)" if champion else "none approved yet"
    lines = [
        f"## {title}",
        "",
        f"- **Approver:** {_approver(approval.approved_by, approver_names or {})} — {approval.reason}",
        f"- **Artifact:** `{challenger.artifact_digest}`",
        f"- **Evidence:** {approval.evidence or 'see below'}",
        f"- **Champion:** {champion_name}",
        "",
    ]
    if comparison:
        lines += ["### Champion vs challenger on the locked evaluation set", "", *comparison, ""]
    lines += [
        "### Held-out metrics",
        "",
        "Each version on its own internal test split (the quality gate's input): rows differ between "
        "versions, so compare them with the section above, not with each other.",
        "",
        f"| metric | challenger v{challenger.version} | champion |",
        "|---|---|---|",
        *(_metric_row(name, challenger, champion) for name in METRICS),
        "",
        "### Quality gate and lineage",
        "",
        "| | challenger | champion |",
        "|---|---|---|",
        *_lineage_rows(challenger, champion),
    ]
    if baselines:
        lines += ["", "### Training-data baseline", "", *_baseline_rows(challenger, champion, baselines)]
    lines += [
        "",
        f"The approver must approve this pull request in review. After merge, `mlops registry sync --env "
        f"{env}` approves v{challenger.version} for {env} in the registry.",
    ]
    return "\n".join(lines) + "\n"


def _approver(login: str, names: Mapping[str, str]) -> str:
    name = names.get(login.strip().lower())
    return f"{name} (@{login})" if name else f"@{login} (not in governance.approvers)"


def _metric_row(name: str, challenger: ModelVersion, champion: ModelVersion | None) -> str:
    return f"| {name} | {_metric(challenger, name)} | {_metric(champion, name) if champion else '—'} |"


def _metric(version: ModelVersion, name: str) -> str:
    value = version.metrics.get(name)
    if value is None:
        return "—"
    if name == "auc" and "auc_ci_low" in version.metrics:
        return (
            f"{value:.3f} (95% CI {version.metrics['auc_ci_low']:.3f}–{version.metrics['auc_ci_high']:.3f})"
        )
    return f"{value:.3f}"


def _lineage_rows(challenger: ModelVersion, champion: ModelVersion | None) -> list[str]:
    def cells(extract) -> str:
        return f"{extract(challenger)} | {extract(champion) if champion else '—'}"

    def gate(v: ModelVersion) -> str:
        decision = v.lineage.get("gate", {})
        return ("passed: " if decision.get("passed") else "FAILED: ") + "; ".join(decision.get("reasons", []))

    def data(v: ModelVersion) -> str:
        return "<br>".join(
            f"`{digest[:12]}` {name.rsplit('/', 1)[-1]}" for name, digest in v.lineage.get("data", {}).items()
        )

    def commit(v: ModelVersion) -> str:
        return "`" + str(v.lineage.get("code", {}).get("git_commit", "?"))[:12] + "`"

    def locked(v: ModelVersion) -> str:
        digest = v.lineage.get("evaluation", {}).get("sha256")
        return f"`{digest[:12]}`" if digest else "none (registered before locked evaluation sets)"

    def cross_validated(v: ModelVersion) -> str:
        m = v.metrics
        if "cv_auc_mean" not in m:
            return "—"
        return f"{m['cv_auc_mean']:.3f} ± {m['cv_auc_std']:.3f} ({m['cv_folds']:.0f}-fold)"

    return [
        f"| gate | {cells(gate)} |",
        f"| cross-validated AUC | {cells(cross_validated)} |",
        f"| locked evaluation set (sha256) | {cells(locked)} |",
        f"| training data (sha256) | {cells(data)} |",
        f"| code | {cells(commit)} |",
        f"| run | {cells(lambda v: v.lineage.get('run_id', '?'))} |",
        f"| trained by | {cells(lambda v: v.created_by)} |",
    ]


def _baseline_rows(
    challenger: ModelVersion, champion: ModelVersion | None, baselines: Mapping[int, Mapping[str, Any]]
) -> list[str]:
    """Per-feature mean and completeness of each version's training data, from its statistics.json."""
    header = ["| feature | challenger | champion |", "|---|---|---|"]
    mine = _feature_summaries(baselines.get(challenger.version, {}))
    theirs = _feature_summaries(baselines.get(champion.version, {})) if champion else {}
    return header + [f"| {name} | {mine[name]} | {theirs.get(name, '—')} |" for name in mine]


def _feature_summaries(statistics: Mapping[str, Any]) -> dict[str, str]:
    summaries = {}
    for feature in statistics.get("features", []):
        numeric = feature.get("numerical_statistics")
        block = numeric or feature.get("string_statistics", {})
        common = block.get("common", {})
        present, missing = common.get("num_present", 0), common.get("num_missing", 0)
        complete = present / (present + missing) if present + missing else 0.0
        centre = (
            f"mean {numeric['mean']:.1f}"
            if numeric and "mean" in numeric
            else f"{block.get('distinct_count', '?')} distinct"
        )
        summaries[feature["name"]] = f"{centre}, {complete:.0%} complete"
    return summaries
