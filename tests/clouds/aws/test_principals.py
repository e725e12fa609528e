"""Access-entry principals EKS would reject are refused before anything is declared, with the key named."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from clouds.aws.foundation import principals_outside_the_account
from config import ConfigError
from offline.harness import ROOT_DIR
from tests.clouds.aws.conftest import TEAMS, _run, _whole_program

DEPLOYER = "arn:aws:sts::123456789012:assumed-role/platform-deployer/offline-plan"


def _refusal(overrides: dict[str, Any], key: str) -> list[str]:
    with pytest.raises(ConfigError) as error:
        _run(key, _whole_program, f"dev-aws-{key}", overrides)
    return [str(p) for p in error.value.problems]


def test_the_dev_stack_ships_no_team_principals() -> None:
    config = yaml.safe_load((ROOT_DIR / "Pulumi.dev-aws.yaml").read_text())["config"]
    assert "mlops-platform:teams" not in config
    assert "123456789012" not in (ROOT_DIR / "Pulumi.dev-aws.yaml").read_text()


def test_a_team_role_in_another_account_is_refused() -> None:
    foreign = {"name": "fraud", "identityGroup": "arn:aws:iam::210987654321:role/ds-fraud"}
    (problem,) = _refusal({"mlops-platform:teams": [foreign]}, "foreign-team")
    assert problem.startswith("mlops-platform:teams.0.identityGroup: got a role in account 210987654321")
    assert "deploys into account 123456789012" in problem


def test_the_deployer_listed_as_admin_is_refused_as_already_admin() -> None:
    admins = {"mlops-platform:aws": {"region": "eu-west-1", "adminRoleArns": [
        "arn:aws:iam::123456789012:role/platform-admins",
        "arn:aws:iam::123456789012:role/platform-deployer",
    ]}}  # fmt: skip
    (problem,) = _refusal({**TEAMS, **admins}, "deployer-admin")
    assert problem.startswith("mlops-platform:aws.adminRoleArns.1:")
    assert "bootstrap access entry" in problem


def test_a_role_path_does_not_hide_the_deployer() -> None:
    (problem,) = principals_outside_the_account(
        DEPLOYER, "123456789012", "aws", ["arn:aws:iam::123456789012:role/ci/platform-deployer"], []
    )
    assert problem.key == "aws.adminRoleArns.0"


def test_a_role_of_another_partition_is_refused() -> None:
    (problem,) = principals_outside_the_account(
        DEPLOYER, "123456789012", "aws", [], ["arn:aws-cn:iam::123456789012:role/ds-fraud"]
    )
    assert problem.key == "teams.0.identityGroup" and "aws partition" in problem.message


def test_roles_of_the_deploying_account_pass() -> None:
    teams = [t["identityGroup"] for t in TEAMS["mlops-platform:teams"]]
    assert principals_outside_the_account(DEPLOYER, "123456789012", "aws", [], teams) == []
