"""Bad config never reaches resource declaration: one clear line per problem, naming key, value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from config import ConfigError, Environment, TaintEffect, parse_stack_config
from config.aws import AwsSettings
from config.loader import decode_project_config
from config.model import Taint
from offline.harness import stack_file_config, stack_files
from tests.conftest import DEPLOYER_CIDR, REACHABLE_ENDPOINT

SOURCE = "Pulumi.dev-test.yaml"


REACHABLE = {"endpointAllowList": [DEPLOYER_CIDR]}


def problems_for(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, SOURCE)
    return [str(p) for p in caught.value.problems]


BAD_INPUTS = [
    pytest.param(
        {"cloud": "aws2"},
        "mlops-platform:cloud: got 'aws2'; allowed values: aws, azure, gcp, local",
        id="unknown-cloud",
    ),
    pytest.param({}, "mlops-platform:cloud: is required; allowed values: aws, azure, gcp, local", id="missing-cloud"),
    pytest.param(
        {"cloud": "aws", "nodePools": {"gpuSpot": {"minSize": 3, "maxSize": 1}}},
        "mlops-platform:nodePools.gpuSpot.maxSize: got 1; must be >= minSize (3)",
        id="gpu-max-below-min",
    ),
    pytest.param(
        {"cloud": "aws", "nodePools": {"gpuSpot": {"maxSise": 3}}},
        "mlops-platform:nodePools.gpuSpot.maxSise: unknown key; did you mean 'maxSize'?",
        id="misspelled-nested-key",
    ),
    pytest.param(
        {"cloud": "aws", "netwrok": {}},
        "mlops-platform:netwrok: unknown key; did you mean 'network'?",
        id="misspelled-top-key",
    ),
    pytest.param(
        {"cloud": "aws", "aws": {"region": "mars-1"}},
        "mlops-platform:aws.region: got 'mars-1'; allowed values: us-east-1,",
        id="unknown-region",
    ),
    pytest.param(
        {"cloud": "aws", "network": {"cidr": "10.0.0.0/33"}},
        "mlops-platform:network.cidr: got '10.0.0.0/33'; input is not a valid IPv4 network",
        id="cidr-does-not-parse",
    ),
    pytest.param(
        {"cloud": "aws", "network": {"cidr": "10.96.0.0/12"}},
        "mlops-platform:network.serviceCidr: 10.96.0.0/16 overlaps cidr (10.96.0.0/12)",
        id="cidr-overlap",
    ),
    pytest.param(
        {"cloud": "aws", "cluster": {"kubernetesVersion": "1.20"}},
        "mlops-platform:cluster.kubernetesVersion: got '1.20'; aws offers 1.",
        id="kubernetes-version-not-offered",
    ),
    pytest.param(
        {"cloud": "aws", "gcp": {"project": "my-project-123"}},
        "mlops-platform:gcp: is set but cloud is 'aws'; remove it, or set mlops-platform:cloud to 'gcp'",
        id="block-for-another-cloud",
    ),
    pytest.param({"cloud": "gcp"}, "mlops-platform:gcp.project: is required", id="gcp-without-project"),
    pytest.param(
        {"cloud": "aws", "dns": {"domain": "ml.example.com"}},
        "mlops-platform:dns.acmeEmail: is required when dns.domain is set",
        id="domain-without-acme-email",
    ),
    pytest.param(
        {"cloud": "aws", "cluster": {"endpointAllowList": ["0.0.0.0/0"]}},
        "opens the Kubernetes API to the whole internet",
        id="api-open-to-the-world",
    ),
    pytest.param(
        {"cloud": "aws", "nodePools": {"gpuSpot": {"taints": []}}},
        "mlops-platform:nodePools.gpuSpot.taints: got []; the GPU pool must keep the taint nvidia.com/gpu",
        id="gpu-pool-without-taint",
    ),
    pytest.param(
        {"cloud": "aws", "nodePools": {"system": {"spot": True}}},
        "mlops-platform:nodePools.system.spot: got True; the system pool runs the platform's controllers",
        id="spot-system-pool",
    ),
    pytest.param(
        {"cloud": "aws", "nodePools": {"system": {"minSize": 0}}},
        "mlops-platform:nodePools.system.minSize: got 0; input should be greater than or equal to 1",
        id="system-pool-scaled-to-zero",
    ),
    pytest.param(
        {"cloud": "local", "environment": "qa"},
        "mlops-platform:environment: got 'qa'; allowed values: dev, staging, prod",
        id="unknown-environment",
    ),
    pytest.param(
        {"cloud": "aws", "database": {"backupRetentionDays": 0}},
        "mlops-platform:database.backupRetentionDays: got 0; input should be greater than or equal to 1",
        id="no-database-backups",
    ),
    pytest.param(
        {"cloud": "aws", "database": {"engineVersion": "9.6"}},
        "mlops-platform:database.engineVersion: got '9.6'; allowed values: 16, 17",
        id="old-postgres",
    ),
    pytest.param(
        {"cloud": "aws", "components": {"mlflow": {"version": "latest"}}},
        "mlops-platform:components.mlflow.version: got 'latest'; expected an exact chart version such as 1.2.3",
        id="unpinned-component-version",
    ),
    pytest.param(
        {"cloud": "aws", "tags": {"Cost Center": "x"}},
        "mlops-platform:tags.Cost Center",
        id="tag-key-no-cloud-accepts",
    ),
    pytest.param(
        {
            "cloud": "local",
            "teams": [{"name": "vision", "identityGroup": "a"}, {"name": "vision", "identityGroup": "b"}],
        },
        "mlops-platform:teams[1].name: team 'vision' is listed twice",
        id="duplicate-team",
    ),
    pytest.param(
        {"cloud": "aws", "namePrefix": "mlops-"},
        "mlops-platform:namePrefix: got 'mlops-'; expected lowercase letters and digits starting with a letter, with single '-' only between characters",
        id="name-prefix-ending-in-a-hyphen",
    ),
    pytest.param(
        {"cloud": "azure", "namePrefix": "ml--ops"},
        "mlops-platform:namePrefix: got 'ml--ops'; expected lowercase letters and digits starting with a letter, with single '-' only between characters",
        id="name-prefix-with-a-doubled-hyphen",
    ),
    pytest.param(
        {"cloud": "azure", "database": {"user": "admin"}},
        "mlops-platform:database.user: got 'admin'; reserved by PostgreSQL or a managed Postgres service",
        id="database-user-a-cloud-reserves",
    ),
    pytest.param(
        {"cloud": "local", "database": {"user": "pg_mlflow"}},
        "mlops-platform:database.user: got 'pg_mlflow'; reserved by PostgreSQL",
        id="database-user-in-the-pg-namespace",
    ),
    pytest.param(
        {"cloud": "gcp", "gcp": {"project": "my-project-123"}, "database": {"name": "postgres"}},
        "mlops-platform:database.name: got 'postgres'; reserved by PostgreSQL",
        id="database-name-that-already-exists",
    ),
    pytest.param(
        {"cloud": "aws", "aws": "us-east-1"},
        "mlops-platform:aws: got 'us-east-1'; expected a mapping of aws settings",
        id="cloud-block-not-a-mapping",
    ),
]


@pytest.mark.parametrize(("raw", "expected"), BAD_INPUTS)
def test_bad_config_is_reported_with_key_value_and_allowed_values(raw: dict[str, Any], expected: str) -> None:
    problems = problems_for(raw)
    assert any(p.startswith(expected) or expected in p for p in problems), problems


def test_every_problem_is_reported_in_one_run() -> None:
    problems = problems_for(
        {"cloud": "aws", "environment": "qa", "network": {"cidr": "nope"}, "nodePools": {"gpuSpot": {"maxSize": 0}}}
    )
    keys = {p.split(": ", 1)[0] for p in problems}
    assert keys == {
        "mlops-platform:environment",
        "mlops-platform:network.cidr",
        "mlops-platform:nodePools.gpuSpot.maxSize",
    }


def test_problems_in_the_rest_of_the_file_are_reported_even_when_the_cloud_is_wrong() -> None:
    problems = problems_for({"cloud": "ibm", "environment": "qa"})
    assert [p.split(":")[1] for p in problems] == ["cloud", "environment"]


def test_error_message_names_the_stack_file_and_says_nothing_was_declared() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config({"cloud": "aws2"}, SOURCE)
    first_line = str(caught.value).splitlines()[0]
    assert first_line == f"{SOURCE}: 1 configuration problem; nothing was declared."


def test_defaults_are_private_encrypted_and_protected() -> None:
    config = parse_stack_config({"cloud": "local"}, SOURCE)
    assert config.protect is True
    assert config.database.deletion_protection is True
    assert config.cluster.endpoint_allow_list == []
    assert config.environment == Environment.DEV


def test_gpu_pool_defaults_to_tainted_spot_that_scales_to_zero() -> None:
    gpu = parse_stack_config({"cloud": "aws", "cluster": REACHABLE}, SOURCE).node_pools.gpu_spot
    assert (gpu.spot, gpu.min_size) == (True, 0)
    assert Taint(key="nvidia.com/gpu", value="present", effect=TaintEffect.NO_SCHEDULE) in gpu.taints


def test_config_is_frozen() -> None:
    config = parse_stack_config({"cloud": "local"}, SOURCE)
    with pytest.raises(ValueError, match="frozen"):
        config.protect = False  # type: ignore[misc]


def test_cloud_block_selects_the_cloud_settings_model() -> None:
    config = parse_stack_config({"cloud": "aws", "aws": {"region": "eu-west-1"}, "cluster": REACHABLE}, SOURCE)
    assert isinstance(config.cloud, AwsSettings)
    assert config.cloud.region == "eu-west-1" != AwsSettings().region  # read from the block, not a default


def test_accepted_name_prefix_keeps_inner_hyphens() -> None:
    assert parse_stack_config({"cloud": "local", "namePrefix": "ml-ops-2"}, SOURCE).name_prefix == "ml-ops-2"


@pytest.mark.parametrize("stack", stack_files())
def test_every_stack_file_in_the_repository_is_valid(stack: str) -> None:
    config, _ = stack_file_config(stack, overrides=REACHABLE_ENDPOINT)
    parsed = parse_stack_config(decode_project_config(config), f"Pulumi.{stack}.yaml")
    assert parsed.cloud.cloud in stack, "stack files are named after their cloud (dev-aws, prod-gcp, ...)"


def test_a_wrong_cloud_does_not_judge_the_kubernetes_version_against_another_cloud() -> None:
    problems = problems_for({"cloud": "aws2", "cluster": {"kubernetesVersion": "1.30"}})
    assert [p.split(":")[1] for p in problems] == ["cloud"]
