"""The SQLite registry's sync lock: one row per model group in `sync_locks`, taken in a write transaction.

BEGIN IMMEDIATE serialises the writers, so reading the row and replacing it is atomic. A row whose lease no
longer counts (ml.registry.lease) is taken over. Each environment's last finished sync commit is a row of
`sync_marks`, written when the lock is released after `finish`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ml.registry import utc_now
from ml.registry.lease import LEASE_SECONDS, Lease, lease_counts, parse_holder, this_holder, wait_for_lease
from ml.sqlite import transaction


@contextmanager
def row_lock(path: os.PathLike[str], environment: str, model_group: str, commit: str) -> Iterator[Lease]:
    """Hold the group's lock row for the body; record the commit for `environment` if it finished."""
    holder = this_holder().describe()
    wait_for_lease(lambda: _try_lock(path, model_group, holder), model_group)
    lease = Lease(None)
    try:
        with transaction(path) as conn:
            row = conn.execute(
                "SELECT git_commit FROM sync_marks WHERE model_group = ? AND environment = ?",
                (model_group, environment),
            ).fetchone()
        lease.previous_commit = row["git_commit"] if row else None
        yield lease
    finally:
        with transaction(path, write=True) as conn:
            if lease.finished:
                conn.execute(
                    "INSERT OR REPLACE INTO sync_marks VALUES (?, ?, ?, ?)",
                    (model_group, environment, commit, utc_now()),
                )
            conn.execute("DELETE FROM sync_locks WHERE model_group = ? AND holder = ?", (model_group, holder))


def _try_lock(path: os.PathLike[str], model_group: str, holder: str) -> str | None:
    """Take the lock row unless a lease that still counts holds it; return that holder otherwise."""
    with transaction(path, write=True) as conn:
        row = conn.execute(
            "SELECT holder, expires_at FROM sync_locks WHERE model_group = ?", (model_group,)
        ).fetchone()
        if row and lease_counts(parse_holder(row["holder"]), row["expires_at"]):
            return row["holder"]
        conn.execute(
            "INSERT OR REPLACE INTO sync_locks VALUES (?, ?, ?)",
            (model_group, holder, time.time() + LEASE_SECONDS),
        )
        return None
