"""The API endpoint must be reachable by the `pulumi up` that creates it, on every cloud: documentation ranges
and an empty allow list (a private endpoint) are refused unless the deployer says it runs inside the network."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from config import ConfigError, parse_stack_config
from config.loader import decode_project_config
from offline.harness import ROOT_DIR, stack_file_config, stack_files
from tests.clouds.gcp.test_config import stack as gcp_stack
from tests.config.test_azure import AKS_POOLS
from tests.conftest import DEPLOYER_CIDR

SOURCE = "Pulumi.test.yaml"
MINIMAL: dict[str, dict[str, Any]] = {
    "aws": {"cloud": "aws"},
    "azure": {"cloud": "azure", "nodePools": AKS_POOLS},
    "gcp": {key: value for key, value in gcp_stack().items() if key != "cluster"},
}
WORDING = {"aws": "EKS", "azure": "AKS", "gcp": "GKE"}
CLOUD_STACKS = [s for s in stack_files() if not s.endswith("-local")]


def _problems(cloud: str, cluster: dict[str, Any]) -> list[str]:
    try:
        parse_stack_config({**MINIMAL[cloud], "cluster": cluster}, SOURCE)
    except ConfigError as error:
        return [str(p) for p in error.problems]
    return []


@pytest.mark.parametrize("cloud", list(MINIMAL))
@pytest.mark.parametrize("cidr", ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "203.0.113.7/32"])
def test_documentation_ranges_are_refused_on_every_cloud(cloud: str, cidr: str) -> None:
    (problem,) = _problems(cloud, {"endpointAllowList": [DEPLOYER_CIDR, cidr]})
    assert problem.startswith("mlops-platform:cluster.endpointAllowList")
    assert "documentation range" in problem


@pytest.mark.parametrize("cloud", list(MINIMAL))
def test_an_empty_allow_list_is_refused_in_the_clouds_own_words(cloud: str) -> None:
    (problem,) = _problems(cloud, {"endpointAllowList": []})
    assert problem.startswith("mlops-platform:cluster.endpointAllowList: is empty")
    assert WORDING[cloud] in problem and "cluster.deployerInNetwork: true" in problem


@pytest.mark.parametrize("cloud", list(MINIMAL))
def test_an_empty_allow_list_is_accepted_when_the_deployer_runs_inside_the_network(cloud: str) -> None:
    assert _problems(cloud, {"endpointAllowList": [], "deployerInNetwork": True}) == []


@pytest.mark.parametrize("cloud", list(MINIMAL))
def test_a_real_egress_cidr_is_accepted(cloud: str) -> None:
    assert _problems(cloud, {"endpointAllowList": [DEPLOYER_CIDR]}) == []


def test_the_local_stack_has_no_managed_endpoint_to_reach() -> None:
    assert parse_stack_config({"cloud": "local"}, SOURCE).cluster.endpoint_allow_list == []


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_shipped_cloud_stacks_name_no_address_and_are_refused_until_the_deployer_adds_one(stack: str) -> None:
    config, _ = stack_file_config(stack)
    with pytest.raises(ConfigError) as error:
        parse_stack_config(decode_project_config(config), f"Pulumi.{stack}.yaml")
    assert [p.key for p in error.value.problems] == ["cluster.endpointAllowList"]


def test_offline_plan_refuses_the_shipped_aws_stack_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "offline.plan", "dev-aws", "--no-json"],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1 and "mlops-platform:cluster.endpointAllowList: is empty" in problems[0]
