"""SQLite-only behaviour: persistence, WAL, rollback and registrations racing from separate processes.

The Protocol's behaviour is covered by tests/contracts/test_model_registry.py and is not repeated here.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from contextlib import closing
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

import ml.registry.sqlite as sqlite_backend
from ml.registry import ApprovalStatus, ModelCandidate
from ml.registry.sqlite import SQLiteModelRegistry

GROUP = "churn-model"
WORKERS = 4
REGISTRATIONS_PER_WORKER = 10


def make_candidate(digest: str) -> ModelCandidate:
    return ModelCandidate(
        model_group=GROUP,
        artifact_digest=digest,
        artifact_uri=f"file:///artifacts/{digest}",
        metrics={"auc": 0.9},
        parameters={"max_depth": 4},
        lineage={"git_sha": "0" * 40},
        created_by="train-pipeline",
    )


def count_rows(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def register_all(path: Path, digests: list[str], start: Barrier) -> None:
    """Worker: wait for the others, build its own registry on `path`, then register every digest."""
    start.wait(timeout=30)
    # Built after the barrier so that creating the file and its schema races as well.
    registry = SQLiteModelRegistry(path)
    for digest in digests:
        registry.register(make_candidate(digest))


def run_workers(path: Path, batches: list[list[str]]) -> None:
    # spawn, not fork: each worker starts from a clean interpreter, as a separate CLI process would.
    # daemon: a worker stuck past the join timeout is killed at exit instead of hanging the test run.
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(batches))
    workers = [
        context.Process(target=register_all, args=(path, batch, start), daemon=True) for batch in batches
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * len(workers)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "registry.db"


def test_creates_missing_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "registry.db"

    SQLiteModelRegistry(path)

    assert path.is_file()


def test_data_persists_across_instances(db_path: Path) -> None:
    first = SQLiteModelRegistry(db_path)
    first.register(make_candidate("a" * 64))
    first.set_status(GROUP, 1, ApprovalStatus.APPROVED, reason="meets gate", changed_by="alice")

    reopened = SQLiteModelRegistry(db_path)

    assert reopened.list_versions(GROUP) == first.list_versions(GROUP)
    assert reopened.approved_version(GROUP).version == 1  # type: ignore[union-attr]


def test_journal_mode_is_wal(db_path: Path) -> None:
    SQLiteModelRegistry(db_path)

    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_failed_registration_leaves_nothing_behind(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = SQLiteModelRegistry(db_path)

    def fail(*args: object) -> None:
        raise RuntimeError("disk full")

    # The version row is already inserted when the history write fails, so only a rollback can remove it.
    monkeypatch.setattr(sqlite_backend, "_insert_history", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        registry.register(make_candidate("a" * 64))

    assert [count_rows(db_path, t) for t in ("model_groups", "model_versions", "status_history")] == [0, 0, 0]


def test_number_of_failed_registration_is_not_skipped(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = SQLiteModelRegistry(db_path)
    registry.register(make_candidate("a" * 64))
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_backend, "_insert_history", lambda *args: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            registry.register(make_candidate("b" * 64))

    assert registry.register(make_candidate("b" * 64)).version == 2


def test_processes_registering_at_once_get_distinct_versions(db_path: Path) -> None:
    batches = [
        [f"{worker:032x}{i:032x}" for i in range(REGISTRATIONS_PER_WORKER)] for worker in range(WORKERS)
    ]

    run_workers(db_path, batches)

    versions = SQLiteModelRegistry(db_path).list_versions(GROUP)
    assert [v.version for v in versions] == list(range(1, WORKERS * REGISTRATIONS_PER_WORKER + 1))
    assert sorted(v.artifact_digest for v in versions) == sorted(d for batch in batches for d in batch)
    assert all(len(v.history) == 1 for v in versions)


def test_processes_registering_same_artifact_get_one_version(db_path: Path) -> None:
    run_workers(db_path, [["a" * 64] * 3 for _ in range(WORKERS)])

    versions = SQLiteModelRegistry(db_path).list_versions(GROUP)
    assert [(v.version, len(v.history)) for v in versions] == [(1, 1)]


def test_records_file_uris_that_the_sagemaker_backend_refuses(db_path: Path) -> None:
    # The one input the backends answer differently: SageMaker must load the model from S3 itself.
    version = SQLiteModelRegistry(db_path).register(make_candidate("a" * 64))

    assert version.artifact_uri == f"file:///artifacts/{'a' * 64}"


# The layout before approvals were kept per environment (SCHEMA_VERSION 1), as such a file holds it.
LAYOUT_1 = (
    "CREATE TABLE model_groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
    "last_version INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)",
    "CREATE TABLE model_versions (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, "
    "version INTEGER NOT NULL, status TEXT NOT NULL, artifact_digest TEXT NOT NULL, "
    "artifact_uri TEXT NOT NULL, metrics TEXT NOT NULL, parameters TEXT NOT NULL, lineage TEXT NOT NULL, "
    "created_by TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE status_history (id INTEGER PRIMARY KEY, version_id INTEGER NOT NULL, status TEXT NOT NULL, "
    "changed_by TEXT NOT NULL, changed_at TEXT NOT NULL, reason TEXT NOT NULL)",
    "INSERT INTO model_groups VALUES (1, 'churn-model', 1, '2026-01-01T00:00:00+00:00')",
    f"INSERT INTO model_versions VALUES (1, 1, 1, 'Approved', '{'a' * 64}', 'file:///m', '{{}}', '{{}}', "
    "'{}', 't', '2026-01-01T00:00:00+00:00')",
    "INSERT INTO status_history VALUES "
    "(1, 1, 'PendingManualApproval', 't', '2026-01-01T00:00:00+00:00', 'registered')",
    "INSERT INTO status_history VALUES (2, 1, 'Approved', 'rita', '2026-01-02T00:00:00+00:00', 'ok')",
    "PRAGMA user_version = 1",
)


def test_a_file_of_layout_1_keeps_serving_in_every_environment_until_one_decides(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        for statement in LAYOUT_1:
            conn.execute(statement)
        conn.commit()

    dev, prod = (SQLiteModelRegistry(db_path, environment=env) for env in ("dev", "prod"))

    assert dev.approved_version(GROUP).version == prod.approved_version(GROUP).version == 1  # type: ignore[union-attr]
    dev.set_status(GROUP, 1, ApprovalStatus.PENDING, reason="superseded", changed_by="sync")
    assert (dev.approved_version(GROUP), prod.get(GROUP, 1).status) == (None, ApprovalStatus.APPROVED)
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_backend.SCHEMA_VERSION
