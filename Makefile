# Two commands on a fresh clone: `make plan STACK=dev-local` and `make test`.
# Both create .venv and install the pinned dependencies on first use; nothing else is needed but Python 3.11+.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STACK  ?= dev-local
STAMP  := $(VENV)/.installed

.PHONY: venv plan plan-all test lint typecheck bench clean

$(STAMP): requirements.txt requirements-dev.txt policy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## Offline plan of one stack under Pulumi mocks: no cloud account, CLI or cluster (STACK=dev-aws ...).
plan: $(STAMP)
	$(PY) -m offline.plan $(STACK) $(PLAN_ARGS)

## Offline plan of every Pulumi.<stack>.yaml.
plan-all: $(STAMP)
	$(PY) -m offline.plan --all $(PLAN_ARGS)

## The whole test suite (what CI runs).
test: $(STAMP)
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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
