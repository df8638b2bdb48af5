"""The SageMaker backend's pipelines: the only package that imports the SageMaker Python SDK (v3).

Only `builder.py` and `session.py` import the SDK (the `aws` extra). `jobs.py` (how spec steps group into
SageMaker steps), `container.py` (the entry point every job runs in the pipeline image), `handover.py`
(values passed between jobs) and `lambda_handler.py` (the resolve Lambda) need only the project's own
dependencies, so the image and the Lambda package do not carry the SDK.
"""
