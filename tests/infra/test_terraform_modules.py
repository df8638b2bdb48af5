"""Real Terraform on the locals of the modules that build names, ARNs, OIDC subjects, event patterns and
CI permissions from their variables: each module's `locals` blocks and variables are planned in a root of
their own (no provider needed) with the values the stacks pass for each environment, and `terraform
console` must give what the other infra tests compute."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.infra.expressions import TemplateError
from tests.infra.terraform import (
    STACK_ENVIRONMENTS,
    blocks,
    evaluate,
    locals_of,
    module_folder,
    module_scope,
    tf_files,
)
from tests.infra.test_terraform_config import console, terraform

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")

# Modules whose locals depend on variables only (not on resources), by the stack call that uses them.
CALLS = [
    ("workload", "github_oidc"),
    ("registry", "github_oidc"),
    ("workload", "pipeline_events"),
    ("workload", "kms_key"),
    ("workload", "sagemaker_execution_role"),
    ("workload", "ci_policies"),
    ("registry", "ci_policies"),
]
CASES = [(stack, call, env) for stack, call in CALLS for env in STACK_ENVIRONMENTS[stack]]
_LOCALS_BLOCK = re.compile(r"^locals \{\n.*?^\}\n", re.MULTILINE | re.DOTALL)
_EMPTY = {"string": "placeholder", "number": 0, "bool": False}


def placeholder(type_expression: str):
    """A value of the variable's type for arguments the stack computes from resources (unknown here)."""
    kind = type_expression.strip("${}").split("(")[0]
    return _EMPTY.get(kind, {} if kind in ("map", "object") else [])


@pytest.mark.parametrize(("stack", "call", "env"), CASES)
def test_module_locals_evaluate_in_terraform_as_the_tests_compute_them(stack, call, env, tmp_path):
    folder = module_folder(stack, call)
    (tmp_path / "locals.tf").write_text(
        "".join(_LOCALS_BLOCK.findall("".join(p.read_text() for p in tf_files(folder))))
    )
    shutil.copy(folder / "variables.tf", tmp_path / "variables.tf")
    scope = module_scope(stack, call, env)
    declared = blocks(folder, "variable")
    values = {name: scope.variables.get(name, placeholder(spec["type"])) for name, spec in declared.items()}
    (tmp_path / "terraform.tfvars.json").write_text(json.dumps(values))
    assert terraform(tmp_path, "init", "-backend=false", "-no-color").returncode == 0

    computed = {}
    for name, expression in locals_of(folder).items():
        try:
            computed[name] = evaluate(expression, scope)
        except (TemplateError, KeyError):
            continue
    assert computed, f"{folder.name}: no local could be computed"
    real = console(tmp_path, None, "{" + ", ".join(f"{name} = local.{name}" for name in computed) + "}")

    assert real == computed
