"""The README is for users: its commands, versions and stacks must stay true to the repository."""

from __future__ import annotations

import pytest

from k8s_platform import catalog
from offline.harness import ROOT_DIR, stack_files

README = (ROOT_DIR / "README.md").read_text()
CHARTS = [value for value in vars(catalog).values() if isinstance(value, catalog.HelmChart)]


def test_ci_runs_exactly_the_test_command_the_readme_gives() -> None:
    ci_commands = [line for line in (ROOT_DIR / ".ci" / "run").read_text().splitlines() if line.startswith("make")]
    assert ci_commands == ["make test"]
    assert "make test                   # the whole test suite (this is exactly what CI runs)" in README


@pytest.mark.parametrize("chart", CHARTS, ids=lambda chart: chart.chart.rsplit("/", 1)[-1])
def test_every_pinned_chart_is_listed_with_its_version(chart: catalog.HelmChart) -> None:
    assert f"`{chart.version}`" in README
    assert chart.chart in README


@pytest.mark.parametrize("stack", stack_files())
def test_every_stack_has_deploy_instructions(stack: str) -> None:
    assert f"pulumi up -s {stack}" in README
    assert f"(`{stack}`)\n" in README, "each stack has its own section heading"
