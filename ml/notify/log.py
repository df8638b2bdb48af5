"""Notifications for the embedded backend: JSON lines appended to a file and echoed to stderr."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ml.notify import RunEvent


class LogNotifier:
    """A `Notifier` that appends one JSON object per line; readable by people and by `jq`."""

    def __init__(self, path: str | os.PathLike[str], *, echo: bool = True) -> None:
        self.path = Path(path)
        self.echo = echo

    def notify(self, event: RunEvent) -> None:
        line = json.dumps(event.to_dict(), sort_keys=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write() on an O_APPEND descriptor: concurrent runs never interleave half lines.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        if self.echo:
            print(f"notify [{event.kind}] {event.message}", file=sys.stderr)

    def read_events(self) -> list[dict]:
        """Every event logged so far, oldest first."""
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
