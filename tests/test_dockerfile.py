"""The pipeline image's Dockerfile, checked statically (no Docker daemon here): our rules, and checkov's
Dockerfile checks where its tool environment exists (`make checkov-setup`)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCKERFILE = REPO / "Dockerfile"
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [
        line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")
    ]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def stages(text: str) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(text):
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def test_every_stage_starts_from_the_same_base_pinned_by_digest():
    bases = {args.split()[0] for kind, args in instructions(DOCKERFILE.read_text()) if kind == "FROM"}
    assert len(bases) == 1
    assert re.fullmatch(r"python:3\.11[\w.-]*@sha256:[0-9a-f]{64}", bases.pop())


def test_libraries_come_from_the_lock_with_hashes_checked():
    build = " ".join(args for kind, args in stages(DOCKERFILE.read_text())[0] if kind == "RUN")
    assert "--require-hashes --no-deps -r requirements.lock" in build
    assert re.search(r"pip install --no-deps --no-build-isolation \.", build)  # the package, no resolution


def test_the_final_stage_runs_as_a_non_root_user_without_build_tools():
    final = stages(DOCKERFILE.read_text())[-1]
    users = [args for kind, args in final if kind == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    runs = " ".join(args for kind, args in final if kind == "RUN")
    assert not re.search(r"apt-get|pip install|gcc|build-essential", runs)
    copied = [args for kind, args in final if kind == "COPY"]
    assert any(args.startswith("--from=build /opt/venv") for args in copied)
    assert "pip uninstall --yes pip setuptools wheel" in " ".join(
        a for k, a in stages(DOCKERFILE.read_text())[0]
    )


def test_the_entry_point_is_the_container_module_and_the_image_knows_its_commit():
    text = DOCKERFILE.read_text()
    [entrypoint] = [json.loads(args) for kind, args in instructions(text) if kind == "ENTRYPOINT"]
    assert entrypoint == ["python", "-m", "ml.orchestration.sagemaker.container"]
    assert "MLOPS_GIT_COMMIT=${GIT_COMMIT}" in text and "MLOPS_CONFIG_DIR=/opt/mlops/configs" in text


def test_the_build_context_holds_only_what_the_image_copies():
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ignored[ignored.index("*")] == "*"
    allowed = {line.lstrip("!").rstrip("/") for line in ignored if line.startswith("!")}
    copied = {
        args.split()[0].rstrip("/")
        for kind, args in instructions(DOCKERFILE.read_text())
        if kind == "COPY" and not args.startswith("--from")
    }
    assert copied <= allowed


@pytest.mark.skipif(not CHECKOV.is_file(), reason="checkov's tool environment (make checkov-setup) is absent")
def test_checkov_dockerfile_checks_pass(tmp_path: Path):
    done = subprocess.run(
        # --skip-download: checkov otherwise fetches guidelines from its vendor's API
        [
            str(CHECKOV),
            "--framework",
            "dockerfile",
            "-f",
            str(DOCKERFILE),
            "--output",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout or "{}")
    failed = [c["check_id"] for c in report.get("results", {}).get("failed_checks", [])]
    assert done.returncode == 0 and failed == [], failed or done.stderr
