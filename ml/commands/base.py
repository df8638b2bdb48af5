"""What every `mlops` command shares: the options context, error handling and rendering choices."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from ml.errors import MlopsError


@dataclass
class Context:
    """Options every command shares; set at the group (`mlops --env prod ...`) or the command."""

    env: str | None = None  # None: not given; commands default to the embedded "local" environment
    config_dir: Path | None = None
    work_dir: Path | None = None

    def config(self):
        from ml.config.loader import load_environment

        return load_environment(self.env or "local", self.config_dir)

    def workspace(self, config=None):
        from ml.orchestration.services import Workspace

        config = config or self.config()
        return Workspace((self.work_dir or Path(config.local.work_dir)).resolve())

    def services(self):
        from ml.orchestration.services import build_services

        config = self.config()
        workspace = self.workspace(config)
        return config, workspace, build_services(config, workspace)

    def registry(self):
        """The environment's registry on either backend, without the rest of the services."""
        from ml.orchestration.services import build_registry

        config = self.config()
        return config, build_registry(config, self.workspace(config))

    def config_dir_or_default(self) -> Path:
        from ml.config.loader import default_config_dir

        return self.config_dir or default_config_dir()


class MlopsGroup(click.Group):
    """Turns library errors into one clear line on stderr and the error's documented exit code.

    No input may end in a Python traceback: an error AWS returned (access denied, an endpoint out of reach)
    names the call and its message; an error nobody anticipated is a bug, reported in one line with exit 1
    (`MLOPS_TRACEBACK=1` shows the traceback for a bug report).
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MlopsError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # a path that cannot be written or read: say which, without a traceback
            click.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}; check the path", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("MLOPS_TRACEBACK") == "1":
                raise
            from ml.aws import describe_aws_error

            aws = describe_aws_error(exc)
            if aws is not None:  # the caller's rights or settings, not a bug of ours
                click.echo(f"error: {aws}", err=True)
                sys.exit(1)
            click.echo(
                f"error: internal error ({type(exc).__name__}: {exc}); this is a bug: please report it with "
                "the output of the same command run with MLOPS_TRACEBACK=1",
                err=True,
            )
            sys.exit(1)


def progress(message: str) -> None:
    click.echo(message, err=True)


def _store(field: str):
    def callback(ctx: click.Context, param: click.Parameter, value):
        if value is not None:
            setattr(ctx.ensure_object(Context), field, value)

    return callback


DIRECTORY = click.Path(file_okay=False, path_type=Path)
SHARED_OPTIONS = (
    click.option(
        "--env", callback=_store("env"), expose_value=False, help="Environment folder under configs/ [local]."
    ),
    click.option(
        "--config-dir",
        type=DIRECTORY,
        callback=_store("config_dir"),
        expose_value=False,
        help="Folder holding <env>/environment.yaml [the repo's configs/].",
    ),
    click.option(
        "--work-dir",
        type=DIRECTORY,
        callback=_store("work_dir"),
        expose_value=False,
        help="Where the local backend keeps its state [local.work_dir].",
    ),
)


def shared_options(command):
    """--env, --config-dir and --work-dir, accepted before or after the command name."""
    for option in reversed(SHARED_OPTIONS):
        command = option(command)
    return command


pass_context = click.make_pass_decorator(Context)

VERSION = click.IntRange(1, 2**31 - 1)  # = ml.registry.MAX_VERSION, without importing the registry here
FORMAT = click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table")


def raise_failure(result) -> NoReturn:
    """Re-raise the step's own error (it names the file or version), or wrap an unexpected one."""
    from ml.errors import PipelineFailedError

    if isinstance(result.exception, MlopsError):
        raise result.exception
    if isinstance(result.exception, OSError) and result.exception.filename:  # e.g. a full or read-only disk
        error = result.exception
        raise MlopsError(f"run {result.record.run_id}: {error.filename}: {error.strerror}; check the folder")
    raise PipelineFailedError(
        f"run {result.record.run_id} failed: {result.record.error} (record: {result.run_dir / 'run.json'})"
    )


def raise_violations(outcome, error: type[MlopsError], what: str) -> NoReturn:
    """List a rejected run's violations on stderr; raise `error` naming the report and what retraining did."""
    record = outcome.run.record
    click.echo("\n".join(f"  - {reason}" for reason in record.reasons), err=True)
    retrained = outcome.retraining
    if retrained is not None:
        note = f"; retraining run {retrained.record.run_id}: {retrained.status}"
    else:
        note = f"; {outcome.retraining_note}" if outcome.retraining_note else ""
    raise error(f"{what} ({len(record.reasons)} violation(s)); report: {outcome.report_html}{note}")
