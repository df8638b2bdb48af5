"""Compare two registered versions on the locked evaluation set, from the scores stored at training time.

Each version's `lineage.evaluation` names the locked set by its SHA-256 and the stored row-by-row scores by
theirs; this module reads them through a `ScoresReader` (one per backend) and pairs them. Used by
`mlops compare`, the approval pull request's description, the non-inferiority rule and the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ml.artifacts import ArtifactStore
from ml.registry import ModelVersion

if TYPE_CHECKING:  # numpy behind it: imported when a comparison is made
    from ml.train.compare import EvaluationScores, PairedComparison

# A version's scores on the locked evaluation set; raises NotComparableError when they cannot be had.
ScoresReader = Callable[[ModelVersion], "EvaluationScores"]


def scores_reader(artifacts: ArtifactStore) -> ScoresReader:
    """Read a version's stored evaluation scores where it recorded them (digest-verified)."""
    from ml.artifacts.codecs import get_recorded_json
    from ml.train.compare import EvaluationScores

    def read(version: ModelVersion) -> EvaluationScores:
        evaluation = _evaluation(version)
        stored = get_recorded_json(artifacts, evaluation["scores"], evaluation.get("scores_uri"))
        return EvaluationScores.from_dict(stored["scores"])

    return read


def compare_versions(
    champion: ModelVersion, challenger: ModelVersion, read: ScoresReader
) -> PairedComparison:
    """The paired comparison of two versions on their shared locked evaluation set.

    Raises:
        NotComparableError: a version has no locked-set scores, or the two were scored on different sets.
        DataError: the locked set holds only one class.
    """
    from ml.train.compare import compare_scores, require_comparable

    for version in (champion, challenger):
        _evaluation(version)
    first, second = read(champion), read(challenger)
    require_comparable(first, second)  # before anything else is computed, so the refusal says why
    return compare_scores(
        first, second, champion_version=champion.version, challenger_version=challenger.version
    )


def why_not_comparable(error: Exception) -> str | None:
    """Why `compare_versions` gave no comparison: the versions' data (NotComparableError is a DataError), or
    stored scores that cannot be read (missing, altered, refused by AWS); None for any other error (a bug)."""
    from ml.aws import describe_aws_error
    from ml.errors import ArtifactIntegrityError, DataError

    if isinstance(error, DataError):
        return str(error)
    why = str(error) if isinstance(error, ArtifactIntegrityError) else describe_aws_error(error)
    return None if why is None else f"not comparable: the stored scores cannot be read: {why}"


def _evaluation(version: ModelVersion) -> dict:
    from ml.train.compare import NotComparableError

    evaluation = version.lineage.get("evaluation")
    if not evaluation or "scores" not in evaluation:
        raise NotComparableError(
            f"v{version.version} has no scores on a locked evaluation set (registered before they existed, "
            "or by another tool); retrain it with `mlops train` to compare it"
        )
    return evaluation


def comparison_lines(comparison: PairedComparison) -> list[str]:
    """Markdown table rows of a paired comparison: metric, champion, challenger, difference [95% CI]."""
    rows = [
        "| metric | champion | challenger | difference (challenger − champion) [95% CI] | method |",
        "|---|---|---|---|---|",
    ]
    for name in ("auc", "sensitivity", "specificity", "brier"):
        d = getattr(comparison, name)
        rows.append(
            f"| {name} | {d.champion:.3f} | {d.challenger:.3f} | {d.difference:+.3f} "
            f"[{d.low:+.3f}, {d.high:+.3f}] | {d.method} |"
        )
    return rows


def verdict_line(comparison: PairedComparison, margin: float | None) -> str:
    """One sentence a reviewer reads first: better, worse or indistinguishable, and the margin's verdict."""
    auc = comparison.auc
    sentence = (
        f"On the same {comparison.rows} locked rows (sha256 {comparison.evaluation_sha256[:12]}), "
        f"v{comparison.challenger_version}'s AUC is {comparison.auc_verdict()} than "
        f"v{comparison.champion_version}'s: {auc.difference:+.3f} [{auc.low:+.3f}, {auc.high:+.3f}]"
    )
    sentence = sentence.replace("indistinguishable than", "indistinguishable from")
    if margin is None:
        return sentence + "."
    held = "holds" if comparison.non_inferior(margin) else "FAILS"
    return f"{sentence}; non-inferiority within {margin:g}: {held}."


def comparison_section(
    champion: ModelVersion | None, challenger: ModelVersion, read: ScoresReader, margin: float | None
) -> list[str]:
    """Markdown for the approval pull request: the paired comparison, or why there is none."""
    if champion is None or champion.version == challenger.version:
        return ["No champion to compare with: nothing is approved in this environment yet."]
    try:
        comparison = compare_versions(champion, challenger, read)
    except Exception as exc:  # the reviewer must read why
        why = why_not_comparable(exc)
        if why is None:
            raise
        return [f"**Not comparable** with v{champion.version}: {why}"]
    return [f"**{verdict_line(comparison, margin)}**", "", *comparison_lines(comparison)]
