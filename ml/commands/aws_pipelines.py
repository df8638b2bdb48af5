"""`mlops pipelines definition|upsert|run`: the train and inference pipelines on SageMaker Pipelines.

`definition` only renders (no credentials, no network); `upsert` and `run` call SageMaker. With
`backend: local`, `run` runs the same pipeline with the local runner, so one command works everywhere.
"""

from __future__ import annotations

import click

from ml.commands.base import Context, pass_context, progress, shared_options

PIPELINE = click.Choice(["train", "inference"])
IMAGE = click.option(
    "--image",
    help="Image URI every job runs in [<account>.dkr.ecr.<region>.amazonaws.com/<sagemaker.image_repository>:"
    "<git commit>].",
)


@click.group()
def pipelines() -> None:
    """SageMaker pipeline definitions, deployment and runs."""


@pipelines.command("definition")
@click.option("--pipeline", "pipeline", type=PIPELINE, help="One pipeline [both, keyed by name].")
@IMAGE
@shared_options
@pass_context
def definition(obj: Context, pipeline: str | None, image: str | None) -> None:
    """Print the definition JSON (stable key order) without AWS credentials or network."""
    from ml.orchestration.sagemaker.builder import render_definitions

    click.echo(render_definitions(obj.config(), image, [pipeline] if pipeline else None))


@pipelines.command("upsert")
@IMAGE
@shared_options
@pass_context
def upsert(obj: Context, image: str | None) -> None:
    """Create or update both pipelines, run as sagemaker.execution_role_arn."""
    from ml.orchestration.sagemaker.builder import upsert_pipelines

    for name, arn in upsert_pipelines(obj.config(), image).items():
        click.echo(f"{name}: {arn}")


@pipelines.command("run")
@click.argument("pipeline", type=PIPELINE)
@click.option(
    "--input", "input_uri", help="train: data URIs or paths, comma-separated; inference: the batch."
)
@click.option(
    "--by",
    "created_by",
    help="train: who starts the run, recorded as the version's created_by, whom separation of duties "
    "keeps from approving it [$GITHUB_ACTOR, else the OS user]; inference registers nothing and ignores it.",
)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Follow the execution to its end.")
@shared_options
@click.pass_context
def run(ctx: click.Context, pipeline: str, input_uri: str | None, created_by: str | None, wait: bool) -> None:
    """Start the train or inference pipeline and follow it (exit codes as for `mlops train|infer`)."""
    obj: Context = ctx.find_object(Context)
    config = obj.config()
    starter = _starter(pipeline, created_by)
    if config.backend == "local":
        _run_locally(ctx, pipeline, input_uri, starter)
        return
    from ml.orchestration.sagemaker.run import run_pipeline

    run_pipeline(
        config, pipeline, input_uri, created_by=starter, wait=wait, echo=click.echo, progress=progress
    )


def _starter(pipeline: str, created_by: str | None) -> str | None:
    """Who starts a train run (a person, never empty); None for inference, which registers nothing."""
    import getpass
    import os

    if pipeline != "train":
        return None
    if created_by is not None and not created_by.strip():
        raise click.BadParameter("is empty: name who starts the run (a login)", param_hint="--by")
    return (created_by or os.environ.get("GITHUB_ACTOR") or getpass.getuser()).strip()


def _run_locally(ctx: click.Context, pipeline: str, input_uri: str | None, starter: str | None) -> None:
    from pathlib import Path

    from ml.commands.pipelines import infer, train

    if pipeline == "train":
        data = tuple((input_uri or "part1").split(","))
        ctx.invoke(train, data_selector=data, created_by=starter)
        return
    if not input_uri:
        raise click.UsageError("inference needs --input (the batch file) on the local backend")
    ctx.invoke(infer, input_path=Path(input_uri), output_dir=None, output_format=None)
