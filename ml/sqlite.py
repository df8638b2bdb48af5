"""SQLite plumbing shared by the file-backed stores: WAL, busy timeout, a connection per call."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

# Long enough to outwait another process's write, short enough to fail rather than hang.
BUSY_TIMEOUT_SECONDS = 30.0


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open the file with the busy timeout, Row results and foreign keys enforced."""
    # isolation_level=None hands transaction control to `transaction`, so BEGIN IMMEDIATE is ours to issue.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextmanager
def transaction(path: str | os.PathLike[str], *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """Run the body in one transaction on a fresh connection, committing only if it returns."""
    # A connection per call: callers hold no open handle, so any process can build or unpickle them.
    conn = connect(path)
    try:
        # IMMEDIATE takes the write lock up front: two writers queue on the busy timeout instead of both
        # reading the same state, and WAL readers never hit SQLITE_BUSY_SNAPSHOT on upgrading to a writer.
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def enable_wal(conn: sqlite3.Connection) -> None:
    """Put the file in WAL mode, which lets readers run while another process writes."""
    # Switching the journal mode does not wait on the busy timeout: processes opening a new file at the
    # same moment got "database is locked" at once. So retry until the timeout instead.
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal":
                return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError(
                f"could not switch to WAL in {BUSY_TIMEOUT_SECONDS:g} s; another process holds a lock"
            )
        time.sleep(0.01)


def create_schema(path: str | os.PathLike[str], statements: Iterable[str]) -> Path:
    """Create the parent folder, switch the file to WAL and run `statements` in one write transaction."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(connect(path)) as conn:
        enable_wal(conn)
    with transaction(path, write=True) as conn:
        for statement in statements:
            conn.execute(statement)
    return path
