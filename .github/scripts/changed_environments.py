"""Which environments a change touches, as the JSON list a workflow matrix takes.

Usage: python changed_environments.py {approvals|terraform} --repo DIR --base REF [--head REF]

- approvals: environments whose configs/<env>/approved-model.yaml changed (model-approval, policy),
  whatever the pull request's environment files say, so editing them cannot hide an approval from the
  policy (an environment the base branch does not know fails the policy check: fail closed).
- terraform: environments whose infrastructure a change can alter: their environment file, their backend
  file, their stack (workload or registry, the environment's `kind`), or any shared module; and for the
  workload stack, whatever goes into the resolve Lambda's package (`make lambda-package`: all of ml/ and
  configs/, and the distributions pinned in requirements.lock), since Terraform deploys that zip.
Only safe names are listed (a crafted path cannot inject one), in deploy order (registry first). The workflows run
the base branch's copy of this file, so a pull request cannot change how it is judged.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
KIND_PATTERN = re.compile(r"^kind:\s*(\w+)", re.MULTILINE)
DEPLOY_ORDER = {"registry": 0, "dev": 1, "prod": 2}
LAMBDA_STACK = "workload"  # the stack that deploys build/resolve-lambda.zip
# What ml/orchestration/sagemaker/lambda_package.py packs into the zip.
LAMBDA_SOURCES = ("ml/", "configs/", "requirements.lock")


def changed_paths(repo: Path, base: str, head: str) -> list[str]:
    """Paths changed between the merge-base of `base` and `head`, and `head`."""
    done = subprocess.run(
        ["git", "-C", str(repo), "diff", "--name-only", f"{base}...{head}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"git diff {base}...{head} failed in {repo}: {done.stderr.strip()}")
    return done.stdout.split()


def aws_environments(config_dir: Path) -> dict[str, str]:
    """Every AWS environment (backend sagemaker) with its kind, read from the environment files."""
    found = {}
    for path in sorted(config_dir.glob("*/environment.yaml")):
        text = path.read_text(encoding="utf-8")
        kind = KIND_PATTERN.search(text)
        if ENV_NAME.match(path.parent.name) and kind and re.search(r"^backend:\s*sagemaker", text, re.M):
            found[path.parent.name] = kind.group(1)
    return found


def approval_environments(paths: list[str], environments: dict[str, str]) -> set[str]:
    return {
        parts[1]
        for parts in (p.split("/") for p in paths)
        if len(parts) == 3 and parts[0] == "configs" and parts[2] == "approved-model.yaml"
        and ENV_NAME.match(parts[1])
    }


def terraform_environments(paths: list[str], environments: dict[str, str]) -> set[str]:
    affected: set[str] = set()
    for path in paths:
        parts = path.split("/")
        for env, kind in environments.items():
            if (
                path == f"configs/{env}/environment.yaml"
                or path == f"infra/terraform/backends/{env}.s3.tfbackend"
                or parts[:4] == ["infra", "terraform", "stacks", kind]
                or parts[:3] == ["infra", "terraform", "modules"]
                or (kind == LAMBDA_STACK and path.startswith(LAMBDA_SOURCES))
            ):
                affected.add(env)
    return affected


def ordered(names: set[str]) -> list[str]:
    return sorted(names, key=lambda name: (DEPLOY_ORDER.get(name, len(DEPLOY_ORDER)), name))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["approvals", "terraform"])
    parser.add_argument("--repo", type=Path, default=Path("."), help="the checkout whose change is read")
    parser.add_argument("--base", required=True, help="the ref the change is compared with")
    parser.add_argument("--head", default="HEAD")
    args = parser.parse_args(argv)
    environments = aws_environments(args.repo / "configs")
    paths = changed_paths(args.repo, args.base, args.head)
    pick = approval_environments if args.mode == "approvals" else terraform_environments
    print(json.dumps(ordered(pick(paths, environments))))


if __name__ == "__main__":
    main()
