"""Module and stack layout, interfaces and formatting of infra/terraform (what tflint would check)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.infra.rules import module_problems, stack_problems
from tests.infra.terraform import MODULES, STACKS, TERRAFORM, module_dirs, parse_file, stack_dirs

ALL_TF = sorted(TERRAFORM.rglob("*.tf"))


@pytest.mark.parametrize("path", ALL_TF, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_python_hcl2_parses_every_file(path):
    assert parse_file(path), f"{path} parsed to nothing"


def test_there_are_modules_and_both_stacks():
    assert len(module_dirs()) >= 8
    assert [p.name for p in stack_dirs()] == ["github", "registry", "workload"]


@pytest.mark.parametrize("folder", module_dirs(), ids=lambda p: p.name)
def test_module_follows_the_four_file_layout_with_typed_described_interface(folder):
    assert module_problems(folder) == []


@pytest.mark.parametrize("folder", stack_dirs(), ids=lambda p: p.name)
def test_stack_pins_versions_and_has_an_s3_backend(folder):
    assert stack_problems(folder) == []


def test_layout_check_names_an_untyped_variable_and_a_misnamed_resource(tmp_path):
    broken = tmp_path / "ecr-repository"
    shutil.copytree(MODULES / "ecr-repository", broken)
    variables = (broken / "variables.tf").read_text()
    (broken / "variables.tf").write_text(
        variables.replace("  type        = number\n  default     = 7", "  default = 7", 1)
    )
    main = (broken / "main.tf").read_text()
    (broken / "main.tf").write_text(
        main.replace('resource "aws_ecr_lifecycle_policy" "this"', 'resource "aws_ecr_lifecycle_policy" "x"')
    )

    assert module_problems(broken) == [
        "ecr-repository: variable untagged_image_expiry_days has no type",
        "ecr-repository: aws_ecr_lifecycle_policy.x is the module's only aws_ecr_lifecycle_policy; "
        "name it `this`",
    ]


def test_stack_check_refuses_an_unpinned_provider(tmp_path):
    broken = tmp_path / "workload"
    shutil.copytree(STACKS / "workload", broken)
    versions = (broken / "versions.tf").read_text()
    (broken / "versions.tf").write_text(versions.replace('version = "~> 6.0"', 'version = ">= 6.0"'))

    assert stack_problems(broken) == ["workload: provider constraint '>= 6.0' must be pinned (~> x.y)"]


needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")


def _fmt_check(folder) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-no-color", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        # No checkpoint call home, no user CLI configuration.
        env={"PATH": os.environ["PATH"], "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": "/dev/null"},
    )


@needs_terraform
def test_terraform_fmt_finds_nothing_to_change():
    result = _fmt_check(TERRAFORM)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_terraform
def test_terraform_fmt_check_fails_on_a_misformatted_file(tmp_path):
    shutil.copytree(MODULES / "kms-key", tmp_path / "kms-key")
    main = tmp_path / "kms-key" / "main.tf"
    main.write_text(
        main.read_text().replace("  enable_key_rotation     = true", "enable_key_rotation = true")
    )

    result = _fmt_check(tmp_path)

    assert result.returncode != 0
    assert "main.tf" in result.stdout
