# syntax=docker/dockerfile:1
# The pipeline image: every job of the train and inference pipelines on SageMaker runs
# `python -m ml.orchestration.sagemaker.container` in it, with the libraries of requirements.lock (hashes
# checked), so SageMaker runs the code and libraries `make test` tested. The SageMaker SDK is not in it:
# only `mlops pipelines definition|upsert` (on a workstation or in CI) needs the `aws` extra.
# Build: `make image` (tags it with the commit). Both stages use the same base pinned by digest (written out,
# not an ARG, so scanners see the pin); bump both together, deliberately.
FROM python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91 AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY requirements.lock ./
# Every wheel is checked against its hash in the lock; nothing is resolved at build time.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml ./
COPY ml ./ml
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation . \
    && /opt/venv/bin/pip uninstall --yes pip setuptools wheel

# The final stage gets the finished virtual environment only: no compilers, no pip, no build files.
FROM python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91
ARG GIT_COMMIT=unknown
LABEL org.opencontainers.image.title="mlops-gitops pipeline" \
      org.opencontainers.image.revision="${GIT_COMMIT}"
ENV PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MLOPS_GIT_COMMIT=${GIT_COMMIT} \
    MLOPS_CONFIG_DIR=/opt/mlops/configs
COPY --from=build /opt/venv /opt/venv
COPY configs /opt/mlops/configs
# SageMaker mounts the channels below /opt/ml; the job user owns the tree it writes its outputs into.
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin mlops \
    && mkdir -p /opt/ml/model /opt/ml/processing/output /opt/ml/output \
    && chown -R 10001:10001 /opt/ml
USER 10001:10001
WORKDIR /opt/mlops
# A batch job has no port to probe; this proves the package and its libraries import.
HEALTHCHECK --interval=5m --timeout=30s CMD ["python", "-c", "import ml.orchestration.sagemaker.container"]
# Processing jobs pass `<pipeline> <job> ...`; a training job is started as `<image> train`.
ENTRYPOINT ["python", "-m", "ml.orchestration.sagemaker.container"]
