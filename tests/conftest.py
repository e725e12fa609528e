"""Shared fixtures: run the real program for a stack file under mocks once per session, then query it."""

from __future__ import annotations

import pytest

from offline.harness import STAND_IN_DEPLOYER, StackRun, run_stack, stack_files

_runs: dict[str, StackRun] = {}

ALL_STACKS = stack_files()

REACHABLE_ENDPOINT = STAND_IN_DEPLOYER
DEPLOYER_CIDR = REACHABLE_ENDPOINT["cluster.endpointAllowList"][0]
"""Overrides (`offline.harness.stack_file_config`) that every test evaluating a shipped stack file applies."""


def stack_run(stack: str) -> StackRun:
    """The program's declared resources for `stack` (with `REACHABLE_ENDPOINT`), evaluated once per session."""
    if stack not in _runs:
        _runs[stack] = run_stack(stack, overrides=REACHABLE_ENDPOINT)
    return _runs[stack]


AWS_TEAMS = [
    {
        "name": "fraud",
        "identityGroup": "arn:aws:iam::123456789012:role/ds-fraud",
        "quota": {"cpu": "32", "memory": "128Gi", "gpus": 1},
    },
    {"name": "search", "identityGroup": "arn:aws:iam::123456789012:role/ds-search"},
]
"""Two teams whose roles live in the (mocked) deploying account: dev-aws ships none, since `CreateAccessEntry`
refuses principals that do not exist and no role of yours is known to the stack file."""


def team_stack_run(stack: str) -> StackRun:
    """`stack_run`, with `AWS_TEAMS` on a stack file that ships no teams: for behaviour that needs teams."""
    run = stack_run(stack)
    if any(r.type == "mlops:platform:Team" for r in run.resources):
        return run
    key = f"{stack}+teams"
    if key not in _runs:
        _runs[key] = run_stack(stack, overrides={**REACHABLE_ENDPOINT, "teams": AWS_TEAMS})
    return _runs[key]


@pytest.fixture(params=ALL_STACKS)
def any_stack(request: pytest.FixtureRequest) -> StackRun:
    """Parametrises a test over every Pulumi.<stack>.yaml in the project."""
    return stack_run(request.param)


@pytest.fixture
def local_stack() -> StackRun:
    return stack_run("dev-local")
