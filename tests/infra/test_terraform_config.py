"""Real Terraform on the part of each stack that needs no provider: config.tf (every read of the environment
files, the names derived from them, and the guard's preconditions) is initialised, evaluated with
`terraform console` and planned for each environment. This proves the locals evaluate as the other infra
tests compute them, and that a file a stack cannot build is refused before anything is created."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.infra.expressions import TemplateError
from tests.infra.terraform import CONFIGS, STACK_ENVIRONMENTS, STACKS, evaluate, parse_file, stack_scope

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")


def terraform(folder, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    # No checkpoint call home, no user CLI configuration, no prompts.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(folder),
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": "/dev/null",
        "TF_IN_AUTOMATION": "1",
    }
    return subprocess.run(
        ["terraform", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300, input=stdin
    )


@pytest.fixture(scope="module", params=sorted(STACK_ENVIRONMENTS))
def config_root(request, tmp_path_factory):
    """(stack, folder): the stack's config.tf and variables.tf alone, initialised (only the built-in
    `terraform` provider, so nothing is downloaded)."""
    folder = tmp_path_factory.mktemp(request.param)
    for name in ("config.tf", "variables.tf"):
        shutil.copy(STACKS / request.param / name, folder / name)
    result = terraform(folder, "init", "-input=false", "-no-color", "-backend=false")
    assert result.returncode == 0, result.stdout + result.stderr
    return request.param, folder


def config_vars(env: str | None) -> list[str]:
    """The variables of a stack's config part for `env`; none for a root that reads a tfvars file."""
    return ["-var", f"environment={env}", "-var", f"config_dir={CONFIGS}"] if env else []


def console(folder, env: str, expression: str):
    result = terraform(folder, "console", "-no-color", *config_vars(env), stdin=f"jsonencode({expression})\n")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(json.loads(result.stdout.strip()))


def config_locals(stack: str) -> list[str]:
    return [name for block in parse_file(STACKS / stack / "config.tf")["locals"] for name in block]


def test_terraform_validates_the_config_part(config_root):
    _, folder = config_root
    result = terraform(folder, "validate", "-no-color")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_local_evaluates_in_terraform_as_the_tests_compute_it(config_root):
    stack, folder = config_root
    names = [name for name in config_locals(stack) if name not in ("env", "others", "repository_root")]
    for env in STACK_ENVIRONMENTS[stack]:
        real = console(folder, env, "{" + ", ".join(f"{name} = local.{name}" for name in names) + "}")
        scope = stack_scope(stack, env)
        computed = {}
        for name in names:
            try:
                computed[name] = evaluate(scope.locals[name], scope)
            except TemplateError:
                continue
        assert len(computed) >= len(names) - 3, sorted(set(names) - set(computed))
        assert {name: real[name] for name in computed} == computed


def test_plan_passes_the_guard_for_each_environment_of_the_stack(config_root):
    stack, folder = config_root
    for env in STACK_ENVIRONMENTS[stack]:
        result = terraform(folder, "plan", "-input=false", "-no-color", "-lock=false", *config_vars(env))
        assert result.returncode == 0, result.stdout + result.stderr


def test_plan_refuses_an_environment_of_the_other_kind(config_root):
    stack, folder = config_root
    wrong = "registry" if stack == "workload" else "dev"

    result = terraform(folder, "plan", "-input=false", "-no-color", "-lock=false", *config_vars(wrong))

    assert result.returncode != 0
    assert f"configs/{wrong}/environment.yaml" in result.stdout + result.stderr
