"""`mlops`: parse, call the library, render, exit. Heavy modules are imported inside each command."""

from __future__ import annotations

import signal

import click

from ml.commands import approvals, aws_pipelines, compare, config, monitor, pipelines
from ml.commands.base import Context, MlopsGroup, shared_options


@click.group(cls=MlopsGroup)
@shared_options
@click.version_option(package_name="mlops-gitops")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """GitOps MLOps: prepare data, train, approve, score and monitor models declared in git."""
    ctx.ensure_object(Context)


for command in (
    pipelines.demo,
    pipelines.data,
    pipelines.train,
    pipelines.infer,
    approvals.approve,
    compare.compare,
    approvals.reject,
    approvals.registry,
    approvals.policy,
    config.config,
    monitor.monitor,
    aws_pipelines.pipelines,
):
    cli.add_command(command)


def main() -> None:
    # A termination signal unwinds like Ctrl-C, so the run record says "interrupted" and the output
    # folder's lock is released (SIGKILL cannot be caught: such a run is recognised by its dead process).
    signal.signal(signal.SIGTERM, _exit_on_signal)
    cli(prog_name="mlops")


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)
