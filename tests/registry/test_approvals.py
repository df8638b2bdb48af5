import pytest

from ml.errors import ConfigError, ModelNotFoundError
from ml.registry import ApprovalStatus
from ml.registry.approvals import (
    Approval,
    Rejection,
    approve_version,
    load_approval_file,
    require_digest,
    write_approval,
    write_rejection,
)
from tests.contracts.test_model_registry import GROUP, make_candidate, registry  # noqa: F401

DIGEST = "ab" * 32


def approval(version: int = 1, digest: str = DIGEST, **changes) -> Approval:
    fields = dict(
        model_group=GROUP,
        version=version,
        artifact_digest=digest,
        approved_by="rita",
        approved_at="2026-11-25T12:00:00Z",
        reason="AUC CI above 0.8",
        evidence="PR #12",
    )
    return Approval(**{**fields, **changes})


def test_missing_file_means_nothing_approved(tmp_path):
    assert load_approval_file(tmp_path / "approved-model.yaml").approvals == []


def test_write_then_load_round_trips(tmp_path):
    path = tmp_path / "approved-model.yaml"
    write_approval(path, approval())
    assert load_approval_file(path).approval_for(GROUP) == approval()
    assert path.read_text().startswith("# Which model version this environment serves.")


def test_editing_keeps_comments_and_key_order(tmp_path):
    path = tmp_path / "approved-model.yaml"
    path.write_text(
        "# reviewed by the clinical safety board\n"
        "approvals:\n"
        "  - model_group: churn-model   # the sample model\n"
        f"    version: 1\n    artifact_digest: {'cd' * 32}\n    approved_by: ana\n"
        "    approved_at: '2026-01-01T00:00:00Z'\n    reason: first model\n"
    )
    write_approval(path, approval(version=2))
    text = path.read_text()
    assert "# reviewed by the clinical safety board" in text
    assert "# the sample model" in text
    assert text.index("model_group") < text.index("version") < text.index("artifact_digest")
    assert load_approval_file(path).approval_for(GROUP).version == 2


def test_rejecting_the_approved_version_removes_its_approval(tmp_path):
    path = tmp_path / "approved-model.yaml"
    write_approval(path, approval())
    write_rejection(
        path,
        Rejection(
            model_group=GROUP,
            version=1,
            artifact_digest=DIGEST,
            rejected_by="rita",
            rejected_at="2026-11-25T13:00:00Z",
            reason="bias found",
        ),
    )
    loaded = load_approval_file(path)
    assert loaded.approvals == [] and [r.version for r in loaded.rejections] == [1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("approvals: [\n", r"line \d+, column \d+: not valid YAML"),
        ("approvals: []\nextra: 1\n", "extra: unknown key"),
        (
            "approvals:\n  - model_group: m\n    version: 1\n    artifact_digest: xyz\n",
            "approvals.0.artifact_digest",
        ),
        ("<<<<<<< HEAD\napprovals: []\n=======\napprovals: []\n>>>>>>> other\n", "merge conflict marker"),
    ],
)
def test_bad_files_name_file_and_field(tmp_path, text, message):
    path = tmp_path / "approved-model.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as error:
        load_approval_file(path)
    assert str(path) in str(error.value)


def test_two_approvals_for_one_group_are_refused(tmp_path):
    path = tmp_path / "approved-model.yaml"
    entry = approval().model_dump()
    import yaml

    path.write_text(yaml.safe_dump({"approvals": [entry, {**entry, "version": 2}]}))
    with pytest.raises(ConfigError, match=r"approvals.1.model_group: 'churn-model' is approved twice"):
        load_approval_file(path)


def test_downgrade_needs_a_reason():
    with pytest.raises(ValueError, match="downgrade_reason"):
        approval(allow_downgrade=True)


def test_digest_mismatch_is_refused(registry):  # noqa: F811
    version = registry.register(make_candidate("ef" * 32))
    with pytest.raises(ModelNotFoundError, match="pins " + DIGEST):
        require_digest(version, DIGEST, "configs/prod/approved-model.yaml")


def test_approve_version_supersedes_the_previous_one(registry):  # noqa: F811
    for digest in ("01" * 32, "02" * 32):
        registry.register(make_candidate(digest))
    approve_version(registry, GROUP, 1, changed_by="rita", reason="first")
    changed = approve_version(registry, GROUP, 2, changed_by="rita", reason="better")
    assert [(v.version, v.status) for v in changed] == [
        (2, ApprovalStatus.APPROVED),
        (1, ApprovalStatus.PENDING),
    ]
    assert registry.get(GROUP, 1).history[-1].reason == "superseded by version 2: better"
    assert approve_version(registry, GROUP, 2, changed_by="rita", reason="again") == []
