"""Loaded (through PYTHONPATH) only by the `mlops` processes that workflow rehearsals start.

moto 5.2.5 looks a model package group ARN up as a *name* in the caller's account, where AWS serves it from
the account in the ARN (the central registry). This routes each SageMaker client's ARN-addressed calls
the way AWS does (tests/registry/test_sagemaker.py's hook), so a rehearsed `mlops registry sync` talks to
the central registry account on moto exactly as it would on AWS. Nothing else changes.
"""

import botocore.session

_create_client = botocore.session.Session.create_client


def _create_routed_client(self, service_name, *args, **kwargs):
    client = _create_client(self, service_name, *args, **kwargs)
    if service_name == "sagemaker":
        from tests.registry.test_sagemaker import resolve_group_arns_like_aws

        resolve_group_arns_like_aws(client)
    return client


botocore.session.Session.create_client = _create_routed_client
