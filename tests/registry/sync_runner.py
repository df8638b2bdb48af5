"""`python tests/registry/sync_runner.py <mlops args>`: the CLI with SageMaker clients that address a
group's ARN in its own account, as AWS does (moto looks ARNs up as names; see resolve_group_arns_like_aws)."""

import sys

import ml.aws
from tests.aws_server import resolve_group_arns_like_aws

_build_client = ml.aws.build_client


def build_client(service, **options):
    client = _build_client(service, **options)
    if service == "sagemaker":
        resolve_group_arns_like_aws(client)
    return client


ml.aws.build_client = build_client

from ml.cli import main  # noqa: E402

sys.argv = ["mlops", *sys.argv[1:]]
main()
