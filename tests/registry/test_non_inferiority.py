"""governance.non_inferiority_margin: the challenger's paired AUC difference to the serving version."""

import numpy as np
import pytest
from scipy.stats import norm

from ml.registry import ApprovalStatus
from ml.train.compare import EvaluationScores
from tests.contracts.test_model_registry import GROUP, registry  # noqa: F401
from tests.registry.test_policy import PASSED, approval, candidate, problems

LOCKED = "5e" * 32


def scores_of(separation: float, seed: int, digest: str = LOCKED) -> EvaluationScores:
    """Probabilities for 300 fixed rows (120 malignant) from a model separating the classes this well."""
    labels = np.r_[np.ones(120, int), np.zeros(180, int)]
    noise = np.random.default_rng(seed).standard_normal(300)
    shared = np.random.default_rng(0).standard_normal(300)  # both models see the same hard rows
    probabilities = norm.cdf(separation * labels + 0.7 * shared + 0.7 * noise - separation / 2)
    ids = tuple(f"r{i}" for i in range(300))
    return EvaluationScores(digest, ids, tuple(labels.tolist()), tuple(probabilities.tolist()), 0.5)


def scored(n: int):
    return candidate(n, lineage={**PASSED, "evaluation": {"sha256": LOCKED, "scores": f"{n:02d}" * 32}})


@pytest.fixture
def serving_v1(registry):  # noqa: F811
    for n in (1, 2):
        registry.register(scored(n))
    registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="ok", changed_by="rita")
    return registry


def reader(by_version: dict[int, EvaluationScores]):
    return lambda version: by_version[version.version]


def test_a_clearly_worse_challenger_is_refused(serving_v1):
    read = reader({1: scores_of(2.0, 1), 2: scores_of(0.8, 2)})
    [line] = problems(serving_v1, approval(2), non_inferiority_margin=0.02, read_scores=read)
    assert "AUC difference to serving v1 on the locked evaluation set is -0." in line
    assert "below -0.02 (governance.non_inferiority_margin)" in line
    assert "--allow-downgrade --downgrade-reason" in line


def test_allow_downgrade_with_a_reason_lets_it_through(serving_v1):
    read = reader({1: scores_of(2.0, 1), 2: scores_of(0.8, 2)})
    accepted = approval(2, allow_downgrade=True, downgrade_reason="v1 used a leaking feature")
    assert problems(serving_v1, accepted, non_inferiority_margin=0.02, read_scores=read) == []


def test_an_equivalent_or_better_challenger_passes(serving_v1):
    for separation in (2.0, 2.6):
        read = reader({1: scores_of(2.0, 1), 2: scores_of(separation, 2)})
        assert problems(serving_v1, approval(2), non_inferiority_margin=0.05, read_scores=read) == []


def test_the_margin_decides_a_slightly_worse_challenger(serving_v1):
    read = reader({1: scores_of(2.0, 1), 2: scores_of(1.8, 2)})
    assert problems(serving_v1, approval(2), non_inferiority_margin=0.2, read_scores=read) == []
    assert problems(serving_v1, approval(2), non_inferiority_margin=0.0, read_scores=read)


def test_versions_scored_on_different_sets_cannot_show_non_inferiority(serving_v1):
    read = reader({1: scores_of(2.0, 1), 2: scores_of(2.0, 2, digest="77" * 32)})
    [line] = problems(serving_v1, approval(2), non_inferiority_margin=0.02, read_scores=read)
    assert "non-inferiority to serving v1 cannot be shown (not comparable: evaluated on different" in line


def test_a_version_without_locked_scores_cannot_show_it(registry):  # noqa: F811
    registry.register(candidate(1))  # registered before locked evaluation sets existed
    registry.register(scored(2))
    registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="ok", changed_by="rita")
    read = reader({2: scores_of(2.0, 2)})
    [line] = problems(registry, approval(2), non_inferiority_margin=0.02, read_scores=read)
    assert "v1 has no scores on a locked evaluation set" in line


def test_no_margin_no_champion_or_the_champion_itself_are_not_checked(registry):  # noqa: F811
    registry.register(scored(1))
    worse = reader({})  # would raise KeyError if it were asked
    assert problems(registry, approval(1), non_inferiority_margin=0.02, read_scores=worse) == []
    registry.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="ok", changed_by="rita")
    assert problems(registry, approval(1), non_inferiority_margin=0.02, read_scores=worse) == []
    registry.register(scored(2))
    assert problems(registry, approval(2), read_scores=worse) == []


def test_scores_that_cannot_be_read_are_a_problem_not_a_crash(serving_v1, fresh_moto, tmp_path):
    """A missing scores artifact, locally or on S3 (prod's bucket does not exist on this moto server)."""
    from ml.artifacts.local import LocalArtifactStore
    from ml.config.loader import load_environment
    from ml.orchestration.services import Workspace, build_scores_reader
    from ml.registry.comparison import scores_reader
    from tests.conftest import REPO

    missing = scores_reader(LocalArtifactStore(tmp_path / "empty"))
    [line] = problems(serving_v1, approval(2), non_inferiority_margin=0.02, read_scores=missing)
    assert "v1 cannot be shown (not comparable: the stored scores cannot be read: artifact file://" in line

    refused = build_scores_reader(load_environment("prod", REPO / "configs"), Workspace(tmp_path))
    [line] = problems(serving_v1, approval(2), non_inferiority_margin=0.02, read_scores=refused)
    # S3 answers NoSuchBucket, which the store reads as a missing artifact.
    assert "cannot be shown (not comparable: the stored scores cannot be read: artifact s3://" in line
    assert "is missing from the store); set allow_downgrade: true" in line


def test_the_pull_request_says_when_scores_cannot_be_read(serving_v1, tmp_path):
    from ml.artifacts.local import LocalArtifactStore
    from ml.registry.comparison import comparison_section, scores_reader

    champion, challenger = serving_v1.get(GROUP, 1), serving_v1.get(GROUP, 2)
    missing = scores_reader(LocalArtifactStore(tmp_path / "empty"))
    [line] = comparison_section(champion, challenger, missing, 0.02)
    assert line.startswith("**Not comparable** with v1: not comparable: the stored scores cannot be read: ")
    assert "is missing from the store" in line


def test_the_pull_request_says_why_two_versions_are_not_comparable(serving_v1):
    from ml.registry.comparison import comparison_section

    champion, challenger = serving_v1.get(GROUP, 1), serving_v1.get(GROUP, 2)
    other_set = reader({1: scores_of(2.0, 1), 2: scores_of(2.0, 2, digest="77" * 32)})
    [line] = comparison_section(champion, challenger, other_set, 0.02)
    assert line.startswith("**Not comparable** with v1: not comparable: evaluated on different evaluation")
    same_set = reader({1: scores_of(2.0, 1), 2: scores_of(0.8, 2)})
    verdict, _, header, _, auc, *_ = comparison_section(champion, challenger, same_set, 0.02)
    assert "v2's AUC is worse than v1's" in verdict and verdict.endswith(
        "non-inferiority within 0.02: FAILS.**"
    )
    assert header.startswith("| metric | champion | challenger |") and auc.startswith("| auc | ")
