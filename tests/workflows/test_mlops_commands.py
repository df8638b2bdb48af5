"""Every `mlops` call a workflow makes names a real command, real options and valid fixed values, so a
renamed command or flag breaks this test, not a deploy."""

from __future__ import annotations

import click
import pytest

from ml.cli import cli
from tests.workflows.workflows import load_workflows, mlops_calls, scripts

CALLS = [
    pytest.param(call, id=f"{where}: mlops {' '.join(call[:2])}")
    for workflow in load_workflows()
    for where, script in scripts(workflow)
    for call in mlops_calls(script)
]


def check_call(words: list[str]) -> list[str]:
    """Problems of one call against the click command tree (shell variables stand for any value)."""
    command: click.Command = cli
    path = ["mlops"]
    while isinstance(command, click.Group):
        if not words or words[0].startswith("-"):
            return [f"{' '.join(path)}: no subcommand"]
        sub = command.get_command(click.Context(command), words[0])
        if sub is None:
            return [f"{' '.join(path)} has no command {words[0]!r}"]
        command, path, words = sub, [*path, words[0]], words[1:]
    return _check_parameters(command, " ".join(path), words)


def _check_parameters(command: click.Command, name: str, words: list[str]) -> list[str]:
    options = {
        opt: p for p in command.params if isinstance(p, click.Option) for opt in p.opts + p.secondary_opts
    }
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    problems, positional = [], []
    while words:
        word, words = words[0], words[1:]
        if not word.startswith("--"):
            positional.append(word)
            continue
        option = options.get(word.split("=", 1)[0])
        if option is None:
            problems.append(f"{name} has no option {word}")
        elif not option.is_flag and "=" not in word:
            value, words = (words[0] if words else None), words[1:]
            problems += _check_value(name, word, option, value)
    if len(positional) > len(arguments):
        problems.append(f"{name} takes {len(arguments)} argument(s), got {positional}")
    for argument, value in zip(arguments, positional, strict=False):
        problems += _check_value(name, argument.name, argument, value)
    missing = [a.name for a in arguments[len(positional) :] if a.required]
    return problems + [f"{name} misses argument {m}" for m in missing]


def _check_value(name: str, where: str, param: click.Parameter, value: str | None) -> list[str]:
    if value is None:
        return [f"{name} {where} needs a value"]
    if "$" in value or not isinstance(param.type, click.Choice):
        return []
    return [] if value in param.type.choices else [f"{name} {where}: {value!r} not in {param.type.choices}"]


@pytest.mark.parametrize("call", CALLS)
def test_workflow_mlops_call_exists_in_the_cli(call):
    assert check_call(call) == []


def test_workflows_call_mlops_at_all():
    called = {" ".join(call[:2]) for call in (c.values[0] for c in CALLS)}
    assert {"policy check", "registry sync", "pipelines upsert", "pipelines run", "approve --env"} <= called


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (["registry", "synch", "--env", "$E"], "mlops registry has no command 'synch'"),
        (["registry", "sync", "--env", "$E", "--dryrun"], "mlops registry sync has no option --dryrun"),
        (["config", "get"], "mlops config get misses argument key"),
        (
            ["config", "validate", "--all", "extra"],
            "mlops config validate takes 0 argument(s), got ['extra']",
        ),
    ],
)
def test_checker_catches_a_wrong_call(call, problem):
    assert problem in check_call(call)
