"""The only module that imports the SageMaker Python SDK (2.x); everything here is loaded on demand."""

from __future__ import annotations

XGBOOST_VERSION = "1.7-1"


def xgboost_image_uri(region: str) -> str:
    """The SageMaker XGBoost image our training script and scoring run in (script mode), for `region`."""
    from sagemaker import image_uris

    return image_uris.retrieve(framework="xgboost", region=region, version=XGBOOST_VERSION)
