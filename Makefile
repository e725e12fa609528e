# Two commands on a fresh clone: `make plan STACK=dev-local` and `make test`.
# Both create .venv and install the pinned dependencies on first use; nothing else is needed but Python 3.11+.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STACK  ?= dev-local
STAMP  := $(VENV)/.installed
INTEGRATION_VENV  := .venv-integration
INTEGRATION_STAMP := $(INTEGRATION_VENV)/.installed

.PHONY: venv integration-env plan plan-all test lint typecheck bench clean

$(STAMP): requirements.txt requirements-dev.txt policy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# MLflow server and client, SeaweedFS and the serving runtime's loader for tests/integration (not in .venv).
$(INTEGRATION_STAMP): requirements-integration.txt
	$(PYTHON) -m venv $(INTEGRATION_VENV)
	$(INTEGRATION_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-integration.txt
	touch $(INTEGRATION_STAMP)

integration-env: $(INTEGRATION_STAMP)

## Offline plan of one stack under Pulumi mocks: no cloud account, CLI or cluster (STACK=dev-aws ...).
plan: $(STAMP)
	$(PY) -m offline.plan $(STACK) $(PLAN_ARGS)

## Offline plan of every Pulumi.<stack>.yaml.
plan-all: $(STAMP)
	$(PY) -m offline.plan --all $(PLAN_ARGS)

## The whole test suite (what CI runs), the MLflow path against real Postgres, SeaweedFS and MLflow included.
test: $(STAMP) $(INTEGRATION_STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy

## Per stack: program evaluation time under mocks beside the SDK import floor.
bench: $(STAMP)
	$(PY) -m offline.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(INTEGRATION_VENV) .pytest_cache .mypy_cache .ruff_cache
