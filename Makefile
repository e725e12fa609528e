# Two commands on a fresh clone: `make plan STACK=dev-local` and `make test`.
# Both create .venv and install the pinned dependencies on first use; nothing else is needed but Python 3.11+.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STACK  ?= dev-local
STAMP  := $(VENV)/.installed

.PHONY: venv plan plan-all verify verify-all verify-baseline test lint typecheck bench clean

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

## Render every chart of one stack at its pin with the program's values and check the whole cluster offline;
## rewrites the chart snapshot in offline/facts/. Charts: CHARTS_DIR=<unpacked charts>, else `helm pull`.
verify: $(STAMP)
	$(PY) -m offline.verify $(STACK) $(VERIFY_ARGS)

## The same for every stack file and verified variant (CI on pull requests; see .github/workflows/verify.yml).
verify-all: $(STAMP)
	$(PY) -m offline.verify --all $(VERIFY_ARGS)

## After merging fixes: re-render everything and rewrite the known-failures baseline.
verify-baseline: $(STAMP)
	$(PY) -m offline.verify --all --update-baseline $(VERIFY_ARGS)

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
