"""What both backends' sync locks share: who holds a lease, when it no longer counts, and waiting for it.

A lease names its holder's machine and process and lasts LEASE_SECONDS. It stops counting when it runs
out or, on the holder's own machine, as soon as the holder's process is gone: a sync killed on a laptop or
a runner is followed at once by the next one, while a holder on another machine is waited for.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from ml.errors import MlopsError

# A sync takes seconds; a lease this long only matters when a holder died on another machine.
LEASE_SECONDS = 900.0
# How long a sync waits for another one before giving up (the workflow can rerun it).
WAIT_SECONDS = 600.0
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Holder:
    """The process that holds (or asks for) a lease."""

    host: str
    pid: int
    token: str  # tells apart two holders in one process (threads, or a lock taken twice)

    def describe(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"


class Lease:
    """A held sync lock (the `SyncLease` of ml.registry): `finish` asks the backend to record the commit."""

    def __init__(self, previous_commit: str | None) -> None:
        self.previous_commit = previous_commit
        self.finished = False

    def finish(self) -> None:
        self.finished = True


def this_holder() -> Holder:
    return Holder(socket.gethostname(), os.getpid(), secrets.token_hex(4))


def parse_holder(text: str) -> Holder | None:
    host, _, rest = text.partition(":")
    pid, _, token = rest.partition(":")
    return Holder(host, int(pid), token) if host and pid.isdigit() else None


def lease_counts(holder: Holder | None, expires_at: float, now: float | None = None) -> bool:
    """Whether a lease still excludes others: not run out, and its holder alive if it is on this machine."""
    if holder is None or (now if now is not None else time.time()) >= expires_at:
        return False
    return holder.host != socket.gethostname() or _alive(holder.pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def wait_for_lease(
    try_acquire: Callable[[], str | None], what: str, wait_seconds: float | None = None
) -> None:
    """Call `try_acquire` until it returns None (acquired); it returns who holds the lease otherwise.

    Raises:
        MlopsError: still held after `wait_seconds` (default WAIT_SECONDS); the message names the holder.
    """
    wait_seconds = WAIT_SECONDS if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + wait_seconds
    while True:
        holder = try_acquire()
        if holder is None:
            return
        if time.monotonic() >= deadline:
            raise MlopsError(
                f"{what}: the sync lock is held by {holder} for longer than {wait_seconds:g} s; "
                "wait for that sync to finish (its lease runs out on its own) and run again"
            )
        time.sleep(POLL_SECONDS)
