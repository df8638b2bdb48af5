"""`mlops config ...`: validate and read the environment files."""

from __future__ import annotations

import click

from ml.commands.base import Context, pass_context, shared_options


@click.group()
def config() -> None:
    """Environment configuration."""


@config.command("validate")
@click.option("--all", "check_all", is_flag=True, help="Every environment file and the rules across them.")
@shared_options
@pass_context
def config_validate(obj: Context, check_all: bool) -> None:
    """Validate one environment file (--env), or every file and the cross-file rules (--all)."""
    from ml.config.loader import default_config_dir
    from ml.config.rules import validate_environments
    from ml.errors import ConfigError

    if not check_all:
        loaded = obj.config()
        click.echo(f"{loaded.name}: valid (kind {loaded.kind}, backend {loaded.backend})")
        return
    report = validate_environments(obj.config_dir or default_config_dir())
    for env, problems in report.problems.items():
        click.echo(f"{env}: {len(problems)} problem(s)" if problems else f"{env}: ok")
        for line in problems:
            click.echo(f"  {line}", err=True)
    click.echo(f"cross-file rules: {'checked' if report.rules_checked else 'skipped until every file loads'}")
    if report.failing:
        raise ConfigError(f"environment file(s) with problems: {', '.join(report.failing)}")


@config.command("get")
@click.argument("key")
@shared_options
@pass_context
def config_get(obj: Context, key: str) -> None:
    """Print one value by dotted KEY (aws.region, ci.deploy_role_arn): strings raw, the rest as JSON."""
    from ml.config.export import get_value, render_value

    click.echo(render_value(get_value(obj.config(), key)))


@config.command("schema")
@click.option("--write", is_flag=True, help="Write <config-dir>/schema.json instead of printing it.")
@shared_options
@pass_context
def config_schema(obj: Context, write: bool) -> None:
    """Print the JSON schema every environment file is validated against, or write configs/schema.json."""
    from ml.config.export import render_schema, write_schema
    from ml.config.loader import default_config_dir

    if write:
        click.echo(f"wrote {write_schema(obj.config_dir or default_config_dir())}")
    else:
        click.echo(render_schema(), nl=False)
