# Two entry points for a newcomer: `make demo` and `make test`. Both set up .venv from the lock file first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench fuzz lock clean

setup: $(STAMP)

# The stamp depends on the lock and the project metadata, so a second `make` installs nothing.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: setup
	$(BIN)/mlops demo $(DEMO_ARGS)

test: setup
	$(BIN)/ruff check ml tests benchmarks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check ml tests benchmarks
	$(BIN)/ruff format --check ml tests benchmarks

# Speed as ratios against baselines measured in the same run (never asserted in tests); QUICK=1 for the
# short variant. Prints one table and writes benchmarks/results/latest.{json,md}.
bench: setup
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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
