import pytest
import yaml

from ml.errors import ConfigError, InvalidTransitionError, ModelNotFoundError
from ml.registry import ApprovalStatus
from ml.registry.approval_edits import write_approval, write_rejection
from ml.registry.approvals import (
    Approval,
    ApprovalFile,
    Rejection,
    approve_version,
    load_approval_file,
    require_approvable,
    require_digest,
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


def test_every_value_stays_on_one_line(tmp_path):
    path = tmp_path / "approved-model.yaml"
    write_approval(path, approval(reason="; ".join(["AUC CI above 0.8 on held-out data"] * 6)))
    lines = path.read_text().splitlines()
    assert f"    artifact_digest: {DIGEST}" in lines
    assert any(line.startswith("    reason: AUC CI") and line.endswith("data") for line in lines)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("approved_at", "whenever"),
        ("approved_at", "2026-11-25"),
        ("approved_at", "2026-11-25T12:00:00"),
        ("approved_at", "2026-11-25T12:00:00+02:00"),
        ("rejected_at", "soon"),
    ],
)
def test_timestamps_must_be_iso_8601_utc(tmp_path, field, value):
    path = tmp_path / "approved-model.yaml"
    section = "approvals" if field == "approved_at" else "rejections"
    entry = (approval() if section == "approvals" else rejection()).model_dump()
    entry[field] = value
    path.write_text(yaml.safe_dump({section: [entry]}))
    with pytest.raises(ConfigError, match=rf"{section}\.0\.{field}: expected an ISO-8601 UTC timestamp"):
        load_approval_file(path)


def test_unquoted_utc_timestamps_are_read_and_kept_as_z(tmp_path):
    path = tmp_path / "approved-model.yaml"
    write_approval(path, approval())
    path.write_text(path.read_text().replace("'2026-11-25T12:00:00Z'", "2026-11-25T12:00:00+00:00"))
    assert load_approval_file(path).approval_for(GROUP).approved_at == "2026-11-25T12:00:00Z"


def test_unknown_key_says_what_the_approval_file_expects(tmp_path):
    path = tmp_path / "approved-model.yaml"
    write_approval(path, approval())
    path.write_text(path.read_text().replace("approved_by:", "approver:"))
    with pytest.raises(ConfigError) as error:
        load_approval_file(path)
    message = str(error.value)
    assert "approvals.0.approver: unknown key" in message and "schema.json" not in message
    assert "an approval takes: model_group, version, artifact_digest" in message


def rejection(version: int = 1) -> Rejection:
    return Rejection(
        model_group=GROUP,
        version=version,
        artifact_digest=DIGEST,
        rejected_by="rita",
        rejected_at="2026-11-25T13:00:00Z",
        reason="bias found",
    )


def test_approving_never_drops_a_rejection(tmp_path):
    path = tmp_path / "approved-model.yaml"
    write_rejection(path, rejection(1))
    write_approval(path, approval(version=2))
    assert [r.version for r in load_approval_file(path).rejections] == [1]
    with pytest.raises(ConfigError, match="also listed under rejections"):
        write_approval(path, approval(version=1))
    assert [r.version for r in load_approval_file(path).rejections] == [1]


def test_a_version_both_approved_and_rejected_is_refused(tmp_path):
    path = tmp_path / "approved-model.yaml"
    path.write_text(
        yaml.safe_dump({"approvals": [approval().model_dump()], "rejections": [rejection().model_dump()]})
    )
    with pytest.raises(ConfigError, match=r"approvals\.0: churn-model v1 is also listed under rejections"):
        load_approval_file(path)


def test_require_approvable_refuses_rejected_in_registry_or_file(registry):  # noqa: F811
    version = registry.register(make_candidate(DIGEST))
    require_approvable(ApprovalFile(), version, "f.yaml")
    with pytest.raises(InvalidTransitionError, match=r"f\.yaml: rejections: .* cannot become Approved"):
        require_approvable(ApprovalFile(rejections=[rejection()]), version, "f.yaml")
    rejected = registry.set_status(GROUP, 1, ApprovalStatus.REJECTED, reason="bias", changed_by="rita")
    with pytest.raises(InvalidTransitionError, match="is Rejected; it cannot become Approved"):
        require_approvable(ApprovalFile(), rejected, "f.yaml")
