"""A model registry in one SQLite file, for local runs and as the real double behind the contract suite."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from contextlib import AbstractContextManager, closing
from dataclasses import asdict
from typing import Any

from ml.errors import ModelNotFoundError
from ml.registry import (
    ApprovalStatus,
    ChainHead,
    Decision,
    ModelCandidate,
    ModelVersion,
    StatusChange,
    check_candidate,
    check_model_group,
    check_status_change,
    check_transition,
    check_version,
    combined_status,
    environment_status,
    latest_approved,
    utc_now,
)
from ml.registry.audit import head_after, read_decision, seal
from ml.registry.lease import Lease
from ml.sqlite import connect, create_schema, transaction

# Bump when the layout changes, so a migration can tell which layout an existing file has.
# 2: decisions per environment, chained (status_history), chain head per group, sync lock and marks.
SCHEMA_VERSION = 2

_STATUSES = ", ".join(f"'{status}'" for status in ApprovalStatus)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS model_groups (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        -- kept apart from MAX(version) so a number is never handed out twice
        last_version INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        -- the audit chain's head, kept apart from the entries so removing the newest entry shows
        audit_sequence INTEGER NOT NULL DEFAULT 0,
        audit_head TEXT NOT NULL DEFAULT ''
    )""",
    f"""CREATE TABLE IF NOT EXISTS model_versions (
        id INTEGER PRIMARY KEY,
        group_id INTEGER NOT NULL REFERENCES model_groups (id),
        version INTEGER NOT NULL CHECK (version >= 1),
        status TEXT NOT NULL CHECK (status IN ({_STATUSES})),
        artifact_digest TEXT NOT NULL,
        artifact_uri TEXT NOT NULL,
        metrics TEXT NOT NULL,
        parameters TEXT NOT NULL,
        lineage TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (group_id, version),
        UNIQUE (group_id, artifact_digest)
    )""",
    f"""CREATE TABLE IF NOT EXISTS status_history (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES model_versions (id),
        status TEXT NOT NULL CHECK (status IN ({_STATUSES})),
        changed_by TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        reason TEXT NOT NULL,
        environment TEXT NOT NULL DEFAULT '',
        decision TEXT NOT NULL DEFAULT '{{}}',
        sequence INTEGER NOT NULL DEFAULT 0,
        previous_hash TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS status_history_version ON status_history (version_id)",
    """CREATE TABLE IF NOT EXISTS sync_locks (
        model_group TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS sync_marks (
        model_group TEXT NOT NULL,
        environment TEXT NOT NULL,
        git_commit TEXT NOT NULL,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (model_group, environment)
    )""",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
# Layout 1 kept one status per version: its history rows become decisions for every environment.
MIGRATIONS = {
    1: (
        "ALTER TABLE model_groups ADD COLUMN audit_sequence INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE model_groups ADD COLUMN audit_head TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE status_history ADD COLUMN environment TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE status_history ADD COLUMN decision TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE status_history ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE status_history ADD COLUMN previous_hash TEXT NOT NULL DEFAULT ''",
    )
}

_VERSION_COLUMNS = (
    "v.id, g.name AS model_group, v.version, v.status, v.artifact_digest, v.artifact_uri, "
    "v.metrics, v.parameters, v.lineage, v.created_by, v.created_at"
)
_FROM_VERSIONS = "FROM model_versions v JOIN model_groups g ON g.id = v.group_id"
_LIST_HINT = "Run `mlops registry list` to see the registered versions."


class SQLiteModelRegistry:
    """`ModelRegistry` over a SQLite file; safe to share between processes that each open the same path.

    `environment` is whose approvals this instance reads and writes; several environments may share a file.
    """

    def __init__(self, path: str | os.PathLike[str], *, environment: str = "local") -> None:
        _migrate(path)
        self.path = create_schema(path, SCHEMA)
        self.environment = environment

    def register(self, candidate: ModelCandidate) -> ModelVersion:
        """Create a pending version, or return the one already holding this artifact digest."""
        check_candidate(candidate)
        with transaction(self.path, write=True) as conn:
            group_id = _ensure_group(conn, candidate.model_group)
            row = conn.execute(
                "SELECT version FROM model_versions WHERE group_id = ? AND artifact_digest = ?",
                (group_id, candidate.artifact_digest),
            ).fetchone()
            version = row["version"] if row else _insert_version(conn, group_id, candidate)
            return self._require_version(conn, candidate.model_group, version)

    def get(self, model_group: str, version: int) -> ModelVersion:
        """Return one version, or raise ModelNotFoundError naming what exists."""
        check_model_group(model_group)
        check_version(version)
        with transaction(self.path) as conn:
            return self._require_version(conn, model_group, version)

    def list_versions(self, model_group: str) -> list[ModelVersion]:
        """Return every version of the group, oldest first."""
        check_model_group(model_group)
        with transaction(self.path) as conn:
            return self._select_versions(conn, "g.name = ?", (model_group,))

    def set_status(
        self,
        model_group: str,
        version: int,
        status: ApprovalStatus,
        *,
        reason: str,
        changed_by: str,
        decision: Decision | None = None,
    ) -> ModelVersion:
        """Move a version to `status` in this environment and chain the decision, in one transaction."""
        target = check_status_change(model_group, version, status, reason=reason, changed_by=changed_by)
        with transaction(self.path, write=True) as conn:
            current = self._require_version(conn, model_group, version)
            check_transition(model_group, version, current.status, target)
            if current.status == target and current.registry_status == combined_status(current.history):
                return current
            change = StatusChange(
                target, changed_by, utc_now(), reason, self.environment, decision or Decision()
            )
            sealed = seal(model_group, version, change, _head(conn, model_group))
            version_id = _version_id(conn, model_group, version)
            _insert_history(conn, version_id, sealed)
            registry_status = combined_status((*current.history, sealed))
            conn.execute("UPDATE model_versions SET status = ? WHERE id = ?", (registry_status, version_id))
            head = head_after(model_group, version, sealed)
            conn.execute(
                "UPDATE model_groups SET audit_sequence = ?, audit_head = ? WHERE name = ?",
                (head.sequence, head.entry_hash, model_group),
            )
            return self._require_version(conn, model_group, version)

    def approved_version(self, model_group: str) -> ModelVersion | None:
        """Return the version this environment approved most recently, or None."""
        return latest_approved(self.list_versions(model_group))

    def audit_head(self, model_group: str) -> ChainHead | None:
        """Return the chain head stored on the group row."""
        check_model_group(model_group)
        with transaction(self.path) as conn:
            return _head(conn, model_group)

    def sync_lock(self, model_group: str, commit: str) -> AbstractContextManager[Lease]:
        """Hold the group's lock row (ml/registry/sqlite_lock.py) for the body."""
        from ml.registry.sqlite_lock import row_lock

        check_model_group(model_group)
        return row_lock(self.path, self.environment, model_group, commit)

    def _require_version(self, conn: sqlite3.Connection, model_group: str, version: int) -> ModelVersion:
        """Return one version, or raise ModelNotFoundError listing the versions the group does have."""
        found = self._select_versions(conn, "g.name = ? AND v.version = ?", (model_group, version))
        if found:
            return found[0]
        existing = [str(row["version"]) for row in _version_numbers(conn, model_group)]
        have = f"existing versions: {', '.join(existing)}" if existing else "the group has no versions"
        raise ModelNotFoundError(f"{model_group} has no version {version} ({have}). {_LIST_HINT}")

    def _select_versions(
        self, conn: sqlite3.Connection, where: str, params: tuple[Any, ...]
    ) -> list[ModelVersion]:
        """Return the versions matching `where` (over aliases v and g) with their history, oldest first."""
        rows = conn.execute(
            f"SELECT {_VERSION_COLUMNS} {_FROM_VERSIONS} WHERE {where} ORDER BY v.version", params
        ).fetchall()
        history = _select_history(conn, where, params)
        return [_to_model_version(row, tuple(history.get(row["id"], ())), self.environment) for row in rows]


def _migrate(path: str | os.PathLike[str]) -> None:
    """Bring a file of an older layout to this one, in one transaction."""
    if not os.path.exists(path):
        return
    with closing(connect(path)) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    for statement_set in [MIGRATIONS[v] for v in sorted(MIGRATIONS) if v >= version and version]:
        with transaction(path, write=True) as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] == version:  # another process got here
                for statement in statement_set:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _head(conn: sqlite3.Connection, model_group: str) -> ChainHead | None:
    row = conn.execute(
        "SELECT audit_sequence, audit_head FROM model_groups WHERE name = ?", (model_group,)
    ).fetchone()
    return ChainHead(row["audit_sequence"], row["audit_head"]) if row and row["audit_sequence"] else None


def _ensure_group(conn: sqlite3.Connection, model_group: str) -> int:
    """Return the group's id, creating the group on first registration."""
    conn.execute(
        "INSERT INTO model_groups (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        (model_group, utc_now()),
    )
    return conn.execute("SELECT id FROM model_groups WHERE name = ?", (model_group,)).fetchone()["id"]


def _insert_version(conn: sqlite3.Connection, group_id: int, candidate: ModelCandidate) -> int:
    """Insert the next version of the group as pending, with its first history entry; return its number."""
    version = conn.execute(
        "UPDATE model_groups SET last_version = last_version + 1 WHERE id = ? RETURNING last_version",
        (group_id,),
    ).fetchone()["last_version"]
    version_id = conn.execute(
        "INSERT INTO model_versions (group_id, version, status, artifact_digest, artifact_uri, metrics, "
        "parameters, lineage, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            group_id,
            version,
            ApprovalStatus.PENDING,
            candidate.artifact_digest,
            candidate.artifact_uri,
            _to_json(candidate.metrics),
            _to_json(candidate.parameters),
            _to_json(candidate.lineage),
            candidate.created_by,
            utc_now(),
        ),
    ).lastrowid
    registered = StatusChange(ApprovalStatus.PENDING, candidate.created_by, utc_now(), "registered")
    _insert_history(conn, version_id, registered)
    return version


def _insert_history(conn: sqlite3.Connection, version_id: int, change: StatusChange) -> None:
    """Append one entry to a version's audit trail."""
    conn.execute(
        "INSERT INTO status_history (version_id, status, changed_by, changed_at, reason, environment, "
        "decision, sequence, previous_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            version_id,
            change.status,
            change.changed_by,
            change.changed_at,
            change.reason,
            change.environment,
            json.dumps(asdict(change.decision)),
            change.sequence,
            change.previous_hash,
        ),
    )


def _version_id(conn: sqlite3.Connection, model_group: str, version: int) -> int:
    """Return the row id of a version known to exist."""
    return conn.execute(
        f"SELECT v.id {_FROM_VERSIONS} WHERE g.name = ? AND v.version = ?", (model_group, version)
    ).fetchone()["id"]


def _version_numbers(conn: sqlite3.Connection, model_group: str) -> list[sqlite3.Row]:
    """Return the group's version numbers, ascending."""
    return conn.execute(
        f"SELECT v.version {_FROM_VERSIONS} WHERE g.name = ? ORDER BY v.version", (model_group,)
    ).fetchall()


def _select_history(
    conn: sqlite3.Connection, where: str, params: tuple[Any, ...]
) -> dict[int, list[StatusChange]]:
    """Return the history of the versions matching `where`, keyed by version row id, in insertion order."""
    rows = conn.execute(
        "SELECT h.version_id, h.status, h.changed_by, h.changed_at, h.reason, h.environment, h.decision, "
        "h.sequence, h.previous_hash FROM status_history h JOIN model_versions v ON v.id = h.version_id "
        f"JOIN model_groups g ON g.id = v.group_id WHERE {where} ORDER BY h.id",
        params,
    ).fetchall()
    history: dict[int, list[StatusChange]] = {}
    for row in rows:
        decision = read_decision(json.loads(row["decision"]))
        change = StatusChange(
            ApprovalStatus(row["status"]),
            row["changed_by"],
            row["changed_at"],
            row["reason"],
            row["environment"],
            decision,
            row["sequence"],
            row["previous_hash"],
        )
        history.setdefault(row["version_id"], []).append(change)
    return history


def _to_model_version(row: sqlite3.Row, history: tuple[StatusChange, ...], environment: str) -> ModelVersion:
    """Build the value type, as `environment` sees it, from a version row and its history."""
    return ModelVersion(
        model_group=row["model_group"],
        version=row["version"],
        status=environment_status(history, environment),
        artifact_digest=row["artifact_digest"],
        artifact_uri=row["artifact_uri"],
        metrics=json.loads(row["metrics"]),
        parameters=json.loads(row["parameters"]),
        lineage=json.loads(row["lineage"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        history=history,
        environment=environment,
        registry_status=ApprovalStatus(row["status"]),
    )


def _to_json(value: Mapping[str, Any]) -> str:
    """Serialise evidence (metrics, parameters, lineage) as JSON text."""
    return json.dumps(dict(value))
