"""Building the SageMaker definitions (SDK v3): ours against the SDK as shipped, both with telemetry off.

Each engine runs in a fresh process (see common.py): import the SDK, create one PipelineSession (fake
credentials, no network), then build and render the train and inference definitions; best of N builds.
- ours: `ml.orchestration.sagemaker.session.pipeline_session`, which validates the telemetry opt-out
  config once;
- baseline: the same session built directly, so the SDK re-validates that config on every lookup.
The note gives the import and session times and the billed jobs per run counted from the definitions.
Run alone: `.venv/bin/python benchmarks/pipelines.py [--quick]`.
"""

from __future__ import annotations

import json
import os
import sys
import time

IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/mammo-severity-dev-pipeline:bench"


def build(engine: str, repeat: int) -> dict:
    """One engine: import, session, then best-of-`repeat` build + definition of both pipelines."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.update(SAGEMAKER_VALIDATE_ROLE="false", AWS_EC2_METADATA_DISABLED="true")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    from ml.config.loader import load_environment

    config = load_environment("dev")
    from ml.orchestration.sagemaker.builder import billed_jobs, build_pipeline, definition_json

    started = time.perf_counter()
    session = _session(engine, config)  # imports the SDK
    times, jobs = [], {}
    for _ in range(repeat + 1):  # the first build also imports the step classes
        start = time.perf_counter()
        for name in ("train", "inference"):
            jobs[name] = billed_jobs(
                json.loads(definition_json(build_pipeline(config, name, IMAGE, session)))
            )
        times.append(time.perf_counter() - start)
    setup = time.perf_counter() - started - sum(times)
    return {"seconds": min(times[1:]), "first_s": times[0], "import_and_session_s": setup, "jobs": jobs}


def _session(engine: str, config):
    if engine == "ours":
        from ml.orchestration.sagemaker.session import pipeline_session

        return pipeline_session(config.aws.region, config.aws.artifact_bucket, render_only=True)
    import boto3
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    from ml.orchestration.sagemaker.session import RENDER_CREDENTIALS, TELEMETRY_OPT_OUT

    boto = boto3.Session(
        aws_access_key_id=RENDER_CREDENTIALS,
        aws_secret_access_key=RENDER_CREDENTIALS,
        region_name=config.aws.region,
    )
    return PipelineSession(
        boto_session=boto, default_bucket=config.aws.artifact_bucket, sagemaker_config=TELEMETRY_OPT_OUT
    )


def run(quick: bool) -> list:
    """One row: both definitions built with our session against the SDK's as shipped."""
    from common import Result, run_engine

    repeat = 1 if quick else 3
    ours = run_engine(__file__, "build", engine="ours", repeat=repeat)
    shipped = run_engine(__file__, "build", engine="shipped", repeat=repeat)
    jobs = ours["jobs"]
    note = (
        f"train + inference built and rendered, best of {repeat} after a first build of "
        f"{ours['first_s']:.1f} s (shipped: {shipped['first_s']:.1f} s); SDK import + session "
        f"{ours['import_and_session_s']:.1f} s; billed jobs per run: train {jobs['train']}, "
        f"inference {jobs['inference']} (the reference: 4 and 2)"
    )
    return [
        Result(
            "pipeline definitions (SDK v3)", ours["seconds"], shipped["seconds"], ours["peak_rss_mb"], note
        )
    ]


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from common import print_table

    print_table(run("--quick" in sys.argv))
