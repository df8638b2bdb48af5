"""Output folders a run owns: one run at a time, nothing left from an earlier run, nothing of the user's lost.

A run that writes into a folder (`--output-dir`, or its own `runs/<run-id>/`) first claims it:
- `.mlops-run.lock` (created exclusively) names the run and its process; a second run into the same folder
  is refused with that name while the process lives. A lock whose process is gone is a killed run's: it is
  reported as such and taken over.
- `.mlops-run.json` lists the files the last run wrote and how it ended. The next run deletes exactly those
  files before it starts, so a failed run never sits beside an earlier run's passing report or predictions.
  A file of an output's name that no run wrote is the user's: the run refuses to start rather than
  overwrite or rename it.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ml.artifacts.local import write_bytes_atomically
from ml.errors import MlopsError

LOCK = ".mlops-run.lock"
MANIFEST = ".mlops-run.json"


class OutputDirError(MlopsError):
    """The output folder cannot be created or written, or another run is writing into it."""

    exit_code = 1


@dataclass
class OutputClaim:
    """A claimed folder; set `status` before the claim ends (default: the run was interrupted)."""

    folder: Path
    run_id: str
    status: str = "interrupted"
    note: str = ""  # what was found in the folder, e.g. a killed run's lock


def process_alive(pid: int, host: str) -> bool:
    """Whether process `pid` still runs; a process on another host is assumed alive (we cannot tell)."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def claim_output_dir(folder: Path, run_id: str, produces: Sequence[str]) -> Iterator[OutputClaim]:
    """Own `folder` for one run that may write the files named in `produces`.

    Raises:
        OutputDirError: the folder cannot be created or written, another live run holds it, or a file of
            an output's name is not from an earlier run.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(
            f"{folder}: cannot create the output folder ({exc.strerror}); choose another"
        ) from None
    claim = OutputClaim(folder, run_id)
    claim.note = _lock(folder / LOCK, run_id)
    try:
        _clear_previous(folder, produces)
        # Every name the run may write, so a killed run's leftovers are known as a run's, not the user's.
        _write_manifest(claim, list(produces), "running")
    except BaseException:
        (folder / LOCK).unlink(missing_ok=True)
        raise
    try:
        yield claim
    finally:
        _write_manifest(claim, sorted(name for name in produces if (folder / name).exists()), claim.status)
        (folder / LOCK).unlink(missing_ok=True)


def _lock(path: Path, run_id: str) -> str:
    owner = {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(), "started_at": _now()}
    note = ""
    for _ in range(2):
        try:
            with open(path, "x", encoding="utf-8") as handle:
                json.dump(owner, handle)
            return note
        except FileExistsError:
            other = _read_json(path)
            # An unreadable lock is a run killed between creating and writing it: stale like a dead one.
            if "pid" in other and process_alive(int(other["pid"]), str(other.get("host", ""))):
                raise OutputDirError(
                    f"{path.parent}: run {other.get('run_id', '?')} (process {other.get('pid', '?')} on "
                    f"{other.get('host', '?')}, since {other.get('started_at', '?')}) is writing into this "
                    "folder; wait for it or choose another --output-dir"
                ) from None
            path.unlink(missing_ok=True)
            note = (
                f"run {other.get('run_id', '?')} was killed while writing here (process {other.get('pid')})"
            )
        except OSError as exc:
            raise OutputDirError(
                f"{path.parent}: cannot write to the output folder ({exc.strerror})"
            ) from None
    return note


def _clear_previous(folder: Path, produces: Sequence[str]) -> None:
    written = set(_read_json(folder / MANIFEST).get("files", []))
    for name in produces:
        target = folder / name
        if not target.exists():
            continue
        if name not in written:
            raise OutputDirError(
                f"{target}: exists, and no mlops run wrote it; move it away or choose another --output-dir "
                "(a run never overwrites or renames files it does not own)"
            )
        target.unlink()


def _write_manifest(claim: OutputClaim, files: list[str], status: str) -> None:
    document = {"run_id": claim.run_id, "status": status, "files": files}
    if claim.note:
        document["note"] = claim.note
    document["updated_at"] = _now()
    write_bytes_atomically(claim.folder / MANIFEST, (json.dumps(document, indent=2) + "\n").encode())


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
