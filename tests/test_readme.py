"""The README is for users: its commands, versions and stacks must stay true to the repository."""

from __future__ import annotations

import pytest

from config.loader import decode_project_config
from config.stack import CLOUDS
from k8s_platform import catalog
from offline.harness import ROOT_DIR, stack_file_config, stack_files

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


def cloud_of(stack: str) -> str:
    return str(decode_project_config(stack_file_config(stack)[0]).get("cloud"))


def missing_deploy_instructions(readme: str, clouds: list[str]) -> list[str]:
    """Each cloud has one README section, headed by its shipped dev stack, with that stack's `pulumi up`.
    Any other stack file (`Pulumi.prod-aws.yaml`, yours) is deployed the same way as its cloud's."""
    return [
        cloud for cloud in clouds if f"(`dev-{cloud}`)\n" not in readme or f"pulumi up -s dev-{cloud}" not in readme
    ]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_cloud_has_its_own_deploy_section(cloud: str) -> None:
    assert missing_deploy_instructions(README, [cloud]) == []


@pytest.mark.parametrize("stack", stack_files())
def test_every_stack_file_is_on_a_cloud_the_readme_explains_how_to_deploy(stack: str) -> None:
    assert missing_deploy_instructions(README, [cloud_of(stack)]) == []


def test_a_stack_file_of_your_own_needs_no_readme_section() -> None:
    # Pulumi.prod-aws.yaml is deployed like dev-aws: the README must not need a `pulumi up -s prod-aws` line.
    assert "pulumi up -s prod-aws" not in README
    assert missing_deploy_instructions(README, ["aws"]) == []
