"""Print the version an approval file approves for a model group (nothing if the file approves none).

Usage: python approved_version.py configs/<env>/approved-model.yaml [--model-group NAME]
The model-approval workflow calls it for the base branch's file (the champion) and the pull request's
(the challenger). It reads the file through the project's own validating loader, so a malformed file
fails here with the message `mlops policy check` would print.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ml.errors import MlopsError
from ml.registry.approvals import load_approval_file


def approved_version(path: Path, model_group: str | None) -> int | None:
    approvals = load_approval_file(path).approvals
    chosen = [a for a in approvals if model_group in (None, a.model_group)]
    return chosen[0].version if chosen else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--model-group", help="default: the file's first approval")
    args = parser.parse_args(argv)
    try:
        version = approved_version(args.path, args.model_group)
    except MlopsError as exc:
        sys.exit(f"error: {exc}")
    print("" if version is None else version)


if __name__ == "__main__":
    main()
