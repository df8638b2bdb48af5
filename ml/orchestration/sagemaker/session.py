"""SageMaker SDK (v3) sessions that never phone home and build definitions in about a second.

Two measured problems (see docs/aws-pipelines.md):
- The SDK sends telemetry unless the defaults config says `TelemetryOptOut: true`, and there is no other
  switch. So every session gets that config.
- With any non-empty config, every config lookup re-validates the whole config against the SDK's JSON
  schema (~0.2 s each, hundreds per build). The schema and our config are constants, so the validation
  is done once, with the SDK's own validator, and its result is reused for this config only (by identity).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TELEMETRY_OPT_OUT: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
RENDER_CREDENTIALS = "render-only"  # signs nothing real: rendering makes no AWS call


def prepare_sdk(region: str) -> None:
    """Set what v3 reads at import time (its modules raise NoRegionError without a region), then remember
    the validation of our config."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    _validate_our_config_once()


def pipeline_session(region: str, bucket: str, *, render_only: bool) -> Any:
    """A PipelineSession for `region` with `bucket` as its default bucket and telemetry off.

    `render_only`: fake static credentials, so building a definition needs no AWS account and a stray
    call fails instead of using someone's credentials.
    """
    import boto3

    prepare_sdk(region)
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    if render_only:
        boto = boto3.Session(
            aws_access_key_id=RENDER_CREDENTIALS, aws_secret_access_key=RENDER_CREDENTIALS, region_name=region
        )
    else:
        boto = boto3.Session(region_name=region)
    return PipelineSession(boto_session=boto, default_bucket=bucket, sagemaker_config=TELEMETRY_OPT_OUT)


# Rendering makes no AWS call. Without these the SDK would: it checks the role with
# iam:SimulatePrincipalPolicy when a job is defined, and it creates boto3 clients at import and on sessions
# of its own, for which botocore would ask the instance metadata service (169.254.169.254) for credentials.
RENDERING_ENVIRONMENT = {"SAGEMAKER_VALIDATE_ROLE": "false", "AWS_EC2_METADATA_DISABLED": "true"}


@contextmanager
def rendering() -> Iterator[None]:
    """Set RENDERING_ENVIRONMENT while definitions are built; restore the environment after."""
    saved = {name: os.environ.get(name) for name in RENDERING_ENVIRONMENT}
    os.environ.update(RENDERING_ENVIRONMENT)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_validated: set[int] = set()


def _validate_our_config_once() -> None:
    from sagemaker.core.config import config_manager

    manager = config_manager.SageMakerConfig
    if getattr(manager.validate_sagemaker_config, "_mlops_once", False):
        return
    original = manager.validate_sagemaker_config

    def validate(sagemaker_config: dict | None = None) -> None:
        if sagemaker_config is TELEMETRY_OPT_OUT and id(sagemaker_config) in _validated:
            return
        original(sagemaker_config)
        if sagemaker_config is TELEMETRY_OPT_OUT:
            _validated.add(id(sagemaker_config))

    validate._mlops_once = True  # type: ignore[attr-defined]
    manager.validate_sagemaker_config = staticmethod(validate)
