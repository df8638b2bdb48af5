"""Build boto3 sessions and clients from explicit settings, so no backend depends on ambient AWS config."""

from __future__ import annotations

import sys
from typing import Any

# Standard mode retries throttling and transient 5xx with backoff; five attempts ride out a short brownout
# without hiding a real outage for minutes.
MAX_ATTEMPTS = 5
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 60


def build_session(*, region: str, profile: str | None = None) -> Any:
    """Return a boto3 session pinned to `region` (and `profile`, when given)."""
    import boto3

    return boto3.Session(region_name=region, profile_name=profile)


def build_client(
    service: str,
    *,
    region: str,
    endpoint_url: str | None = None,
    session: Any = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> Any:
    """Return a boto3 client for `service` in `region`, at `endpoint_url` when one is given (e.g. moto)."""
    from botocore.config import Config

    session = session or build_session(region=region)
    config = Config(
        region_name=region,
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
    return session.client(service, region_name=region, endpoint_url=endpoint_url, config=config)


def describe_aws_error(error: BaseException) -> str | None:
    """One line for an error AWS (or the SDK on its way there) raised; None when `error` is not one.

    Looks only when botocore is already imported: a command that never loaded it cannot have raised one,
    and `mlops --help` stays light.
    """
    if "botocore.exceptions" not in sys.modules:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = details.get("Code", ""), details.get("Message") or str(error)
        where = f"{error.operation_name} ({code})" if code else error.operation_name
    elif isinstance(error, BotoCoreError):
        where, message = type(error).__name__, str(error)
    else:
        return None
    return f"AWS {where}: {message}; check the role, credentials and region"
