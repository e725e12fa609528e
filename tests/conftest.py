"""Shared fixtures: run the real program for a stack file under mocks once per session, then query it."""

from __future__ import annotations

import pytest

from offline.harness import StackRun, run_stack, stack_files

_runs: dict[str, StackRun] = {}

ALL_STACKS = stack_files()


def stack_run(stack: str) -> StackRun:
    """The program's declared resources for `stack`, evaluated once per test session."""
    if stack not in _runs:
        _runs[stack] = run_stack(stack)
    return _runs[stack]


@pytest.fixture(params=ALL_STACKS)
def any_stack(request: pytest.FixtureRequest) -> StackRun:
    """Parametrises a test over every Pulumi.<stack>.yaml in the project."""
    return stack_run(request.param)


@pytest.fixture
def local_stack() -> StackRun:
    return stack_run("dev-local")
