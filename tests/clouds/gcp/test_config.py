"""GCP settings: a stack file that GKE would reject fails before anything is declared, naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from config import ConfigError, parse_stack_config
from tests.conftest import DEPLOYER_CIDR

AWS_MACHINE = "m6i.large"


def stack(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "cloud": "gcp",
        "gcp": {"project": "acme-mlops-dev", "region": "europe-west4"},
        "cluster": {"endpointAllowList": [DEPLOYER_CIDR]},
        "nodePools": {
            "system": {"machineTypes": ["e2-standard-4"]},
            "cpuSpot": {"machineTypes": ["n2-standard-4"]},
            "gpuSpot": {"machineTypes": ["n1-standard-4"], "gpuType": "nvidia-tesla-t4", "maxSize": 2},
        },
    }
    for key, value in overrides.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return base


def problems(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as error:
        parse_stack_config(raw, "Pulumi.test.yaml")
    return {p.key: p.message for p in error.value.problems}


def test_a_minimal_gcp_stack_is_valid() -> None:
    config = parse_stack_config(stack(), "Pulumi.test.yaml")
    assert config.cloud.cloud == "gcp"


def test_aws_machine_types_are_rejected_with_the_key_named() -> None:
    raw = stack(nodePools={**stack()["nodePools"], "system": {"machineTypes": [AWS_MACHINE]}})
    assert "nodePools.system.machineTypes[0]" in problems(raw)


def test_gpu_type_must_match_the_machine_family() -> None:
    raw = stack(
        nodePools={**stack()["nodePools"], "gpuSpot": {"machineTypes": ["n1-standard-4"], "gpuType": "nvidia-l4"}}
    )
    assert "g2-*" in problems(raw)["nodePools.gpuSpot.machineTypes[0]"]


def test_auto_provisioning_gpu_limit_must_cover_the_gpu_pool() -> None:
    raw = stack(gcp={**stack()["gcp"], "nodeAutoProvisioning": {"gpuLimits": {"nvidia-tesla-t4": 1}}})
    assert "gcp.nodeAutoProvisioning.gpuLimits.nvidia-tesla-t4" in problems(raw)


def test_zones_must_be_in_the_region() -> None:
    raw = stack(gcp={**stack()["gcp"], "zones": ["us-central1-a"]})
    assert "gcp.zones[0]" in problems(raw)


def test_zonal_cluster_needs_a_zone() -> None:
    raw = stack(gcp={**stack()["gcp"], "regionalCluster": False})
    assert "gcp.zones" in problems(raw)


def test_control_plane_range_must_not_overlap_the_network() -> None:
    raw = stack(gcp={**stack()["gcp"], "masterCidr": "10.40.0.0/28"})
    assert "gcp.masterCidr" in problems(raw)


def test_maintenance_window_must_give_gke_48_hours_a_month() -> None:
    raw = stack(gcp={**stack()["gcp"], "maintenanceWindow": {"days": ["SU"], "durationHours": 4}})
    assert "gcp.maintenanceWindow.durationHours" in problems(raw)


TEAM = {"name": "vision", "identityGroup": "ml-vision@acme.example"}


def test_teams_need_the_google_groups_for_rbac_security_group() -> None:
    assert "gke-security-groups@" in problems(stack(teams=[TEAM]))["gcp.rbacSecurityGroup"]


def test_rbac_security_group_must_be_named_gke_security_groups() -> None:
    raw = stack(gcp={**stack()["gcp"], "rbacSecurityGroup": "platform-admins@acme.example"}, teams=[TEAM])
    assert "gcp.rbacSecurityGroup" in problems(raw)


def test_system_pool_zones_must_be_cluster_zones() -> None:
    raw = stack(gcp={**stack()["gcp"], "zones": ["europe-west4-a"], "systemPoolZones": ["europe-west4-b"]})
    assert "gcp.systemPoolZones[0]" in problems(raw)


def test_team_groups_must_be_google_group_emails() -> None:
    raw = stack(
        gcp={**stack()["gcp"], "rbacSecurityGroup": "gke-security-groups@acme.example"},
        teams=[{"name": "vision", "identityGroup": "arn:aws:iam::123456789012:role/vision"}],
    )
    assert "teams[0].identityGroup" in problems(raw)
