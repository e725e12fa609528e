# Two commands on a fresh clone: `make plan STACK=dev-local` and `make test`.
# Both create .venv on first use; nothing else is needed but Python 3.11+ (uv is bootstrapped from PyPI when
# it is not on PATH). `make plan` installs only the program's runtime dependencies, from uv.lock (every file
# hash-checked); `make test` adds the test tools on top.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STACK  ?= dev-local
# The uv that bootstraps the install when none is on PATH (PyPI wheel; one ~20 MB download, cached).
UV_VERSION := 0.13.9
UV     ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
# Use the Python that runs make, never download one; the virtualenv is the one Pulumi.yaml names.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
RUNTIME_STAMP := $(VENV)/.runtime-installed
TEST_STAMP    := $(VENV)/.test-installed
# Test tools are pinned in requirements files; add another file to the test install here.
TEST_REQUIREMENTS := -r requirements-dev.txt

# MLflow server and client, SeaweedFS and the serving runtime's loader for tests/integration (not in .venv).
INTEGRATION_VENV  := .venv-integration
INTEGRATION_STAMP := $(INTEGRATION_VENV)/.installed

.PHONY: venv integration-env plan plan-all verify verify-all verify-baseline test lint typecheck bench lock clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --inexact: a later `make plan` keeps the test tools `make test` added.
$(RUNTIME_STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --inexact --python $(PYTHON) --quiet
	touch $(RUNTIME_STAMP)

$(TEST_STAMP): $(RUNTIME_STAMP) requirements-dev.txt policy/requirements.txt
	$(UV) pip install --python $(PY) --quiet $(TEST_REQUIREMENTS)
	touch $(TEST_STAMP)

venv: $(TEST_STAMP)

# MLflow server and client, SeaweedFS and the serving runtime's loader for tests/integration (not in .venv).
$(INTEGRATION_STAMP): requirements-integration.txt | $(UV)
	$(UV) venv --quiet --python $(PYTHON) $(INTEGRATION_VENV)
	$(UV) pip install --python $(INTEGRATION_VENV)/bin/python --quiet -r requirements-integration.txt
	touch $(INTEGRATION_STAMP)

integration-env: $(INTEGRATION_STAMP)

## Offline plan of one stack under Pulumi mocks: no cloud account, CLI or cluster (STACK=dev-aws ...).
plan: $(RUNTIME_STAMP)
	$(PY) -m offline.plan $(STACK) $(PLAN_ARGS)

## Offline plan of every Pulumi.<stack>.yaml, with a cost column.
plan-all: $(RUNTIME_STAMP)
	$(PY) -m offline.plan --all $(PLAN_ARGS)

## Render every chart of one stack at its pin with the program's values and check the whole cluster offline;
## rewrites the chart snapshot in offline/facts/. Charts: CHARTS_DIR=<unpacked charts>, else `helm pull`.
verify: $(RUNTIME_STAMP)
	$(PY) -m offline.verify $(STACK) $(VERIFY_ARGS)

## The same for every stack file and verified variant (CI on pull requests; see .github/workflows/verify.yml).
verify-all: $(RUNTIME_STAMP)
	$(PY) -m offline.verify --all $(VERIFY_ARGS)

## After merging fixes: re-render everything and rewrite the known-failures baseline.
verify-baseline: $(RUNTIME_STAMP)
	$(PY) -m offline.verify --all --update-baseline $(VERIFY_ARGS)

## The whole test suite (what CI runs), the MLflow path against real Postgres, SeaweedFS and MLflow included.
test: $(TEST_STAMP) $(INTEGRATION_STAMP)
	$(PY) -m pytest

lint: $(TEST_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(TEST_STAMP)
	$(PY) -m mypy

## Fresh clone to first plan (wall time, warm and cold package cache) beside the per-stack evaluation ratio.
bench: $(RUNTIME_STAMP)
	$(PY) -m offline.bench $(BENCH_ARGS)

## Re-resolve uv.lock after changing the pins in pyproject.toml (and requirements.txt).
lock: | $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(INTEGRATION_VENV) .tools .pytest_cache .mypy_cache .ruff_cache
