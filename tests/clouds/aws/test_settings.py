"""The `mlops-platform:aws` block: mistakes that would only fail at deploy time are caught in the stack file."""

from __future__ import annotations

from typing import Any

import pytest

from config import ConfigError, parse_stack_config
from tests.conftest import DEPLOYER_CIDR

BASE: dict[str, Any] = {
    "cloud": "aws",
    "aws": {"region": "eu-west-1"},
    "cluster": {"endpointAllowList": [DEPLOYER_CIDR]},
}


def _problems(**overrides: Any) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_stack_config({**BASE, **overrides}, "Pulumi.test.yaml")
    return [str(p) for p in error.value.problems]


def test_the_defaults_are_a_valid_aws_stack() -> None:
    config = parse_stack_config(BASE, "Pulumi.test.yaml")
    assert config.cloud.cloud == "aws"


def test_subnets_that_do_not_fit_the_vpc_are_refused() -> None:
    (problem,) = _problems(network={"cidr": "10.40.0.0/18"})
    assert problem.startswith("mlops-platform:aws.privateSubnetPrefixLength:")
    assert "cannot hold 3 private /19" in problem


def test_flow_log_retention_must_be_a_period_cloudwatch_accepts() -> None:
    (problem,) = _problems(network={"flowLogRetentionDays": 45})
    assert problem.startswith("mlops-platform:network.flowLogRetentionDays: got 45")


def test_production_must_pin_the_karpenter_ami() -> None:
    (problem,) = _problems(environment="prod", aws={"region": "eu-west-1", "controlPlaneLogRetentionDays": 365})
    assert problem.startswith("mlops-platform:aws.karpenterAmiAlias:")


def test_production_keeps_the_audit_log_at_least_a_year() -> None:
    pinned = {"region": "eu-west-1", "karpenterAmiAlias": "al2023@v20261101"}
    (problem,) = _problems(environment="prod", aws=pinned)
    assert problem.startswith("mlops-platform:aws.controlPlaneLogRetentionDays: audit logs would be kept 30 days")
    (problem,) = _problems(
        environment="prod", aws={**pinned, "controlPlaneLogRetentionDays": 365, "controlPlaneLogs": ["api"]}
    )
    assert problem.startswith("mlops-platform:aws.controlPlaneLogs:")


def test_a_team_signs_in_with_an_iam_role_arn() -> None:
    (problem,) = _problems(teams=[{"name": "fraud", "identityGroup": "fraud-devs"}])
    assert problem.startswith("mlops-platform:teams[0].identityGroup: got 'fraud-devs'")


def test_admin_roles_must_be_iam_role_arns() -> None:
    (problem,) = _problems(aws={"region": "eu-west-1", "adminRoleArns": ["arn:aws:iam::123:user/bob"]})
    assert problem.startswith("mlops-platform:aws.adminRoleArns[0]:")


def test_the_api_endpoint_cannot_be_opened_to_the_whole_internet() -> None:
    (problem,) = _problems(cluster={"endpointAllowList": ["0.0.0.0/0"]})
    assert problem.startswith("mlops-platform:cluster.endpointAllowList")
    assert "whole internet" in problem


def test_team_and_admin_roles_may_live_in_china_or_govcloud() -> None:
    config = parse_stack_config(
        {
            **BASE,
            "aws": {"region": "cn-north-1", "adminRoleArns": ["arn:aws-cn:iam::123456789012:role/admins"]},
            "teams": [{"name": "fraud", "identityGroup": "arn:aws-us-gov:iam::123456789012:role/ds-fraud"}],
        },
        "Pulumi.test.yaml",
    )
    assert config.teams[0].identity_group.startswith("arn:aws-us-gov:")


def test_a_role_arn_of_an_unknown_partition_is_refused() -> None:
    (problem,) = _problems(teams=[{"name": "fraud", "identityGroup": "arn:aws-xx:iam::123456789012:role/ds-fraud"}])
    assert problem.startswith("mlops-platform:teams[0].identityGroup: got 'arn:aws-xx:")
