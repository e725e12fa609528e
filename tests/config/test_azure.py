"""config/azure.py: Azure settings and their cross-checks against the shared network and node-pool settings."""

from typing import Any

import pytest

from config import ConfigError, parse_stack_config
from tests.conftest import DEPLOYER_CIDR

SOURCE = "Pulumi.test.yaml"
AKS_POOLS = {
    "system": {"machineTypes": ["Standard_D4ds_v5"]},
    "cpuSpot": {"machineTypes": ["Standard_D8ds_v5"]},
    "gpuSpot": {"machineTypes": ["Standard_NC4as_T4_v3"]},
}


def problems_for(**overrides: Any) -> list[str]:
    raw = {"cloud": "azure", "nodePools": AKS_POOLS, "cluster": {"endpointAllowList": [DEPLOYER_CIDR]}, **overrides}
    try:
        parse_stack_config(raw, SOURCE)
    except ConfigError as error:
        return [str(p) for p in error.problems]
    return []


def test_a_minimal_azure_stack_is_valid() -> None:
    assert problems_for() == []


def test_subnets_must_lie_inside_the_vnet() -> None:
    assert problems_for(azure={"nodeSubnetCidr": "10.99.0.0/20"}) == [
        "mlops-platform:azure.nodeSubnetCidr: 10.99.0.0/20 is outside network.cidr (10.40.0.0/16)"
    ]


def test_node_and_database_subnets_must_not_overlap() -> None:
    assert problems_for(azure={"databaseSubnetCidr": "10.40.8.0/24"}) == [
        "mlops-platform:azure.databaseSubnetCidr: overlaps azure.nodeSubnetCidr (10.40.0.0/20)"
    ]


def test_aks_pools_need_exactly_one_azure_vm_size() -> None:
    pools = {**AKS_POOLS, "cpuSpot": {"machineTypes": ["m6i.xlarge", "m5.xlarge"]}}
    assert problems_for(nodePools=pools) == [
        "mlops-platform:nodePools.cpuSpot.machineTypes: got ['m6i.xlarge', 'm5.xlarge']; "
        "an AKS node pool has exactly one Azure VM size (Standard_...)",
        "mlops-platform:nodePools.cpuSpot.machineTypes[0]: 'm6i.xlarge' is an AWS machine type; "
        "on Azure use an Azure VM size such as Standard_D4ds_v5",
        "mlops-platform:nodePools.cpuSpot.machineTypes[1]: 'm5.xlarge' is an AWS machine type; "
        "on Azure use an Azure VM size such as Standard_D4ds_v5",
    ]


def test_zone_redundant_database_needs_more_than_a_burstable_tier() -> None:
    assert problems_for(database={"highAvailability": True}) == [
        "mlops-platform:azure.databaseTier: Burstable servers cannot be zone-redundant; use GeneralPurpose"
    ]


@pytest.mark.parametrize("value", ["platform-admins", "3f2c8f6a"])
def test_admin_groups_are_entra_object_ids(value: str) -> None:
    (problem,) = problems_for(azure={"adminGroupObjectIds": [value]})
    assert problem.startswith(f"mlops-platform:azure.adminGroupObjectIds[0]: got '{value}'; not an Entra ID object ID")


def test_maintenance_window_is_at_least_four_hours() -> None:
    (problem,) = problems_for(azure={"maintenanceWindow": {"durationHours": 2}})
    assert problem.startswith("mlops-platform:azure.maintenanceWindow.durationHours: got 2")


def test_team_identity_groups_are_entra_object_ids() -> None:
    (problem,) = problems_for(teams=[{"name": "vision", "identityGroup": "vision-team"}])
    assert problem.startswith("mlops-platform:teams[0].identityGroup: got 'vision-team'; not an Entra ID object ID")


def test_a_zone_redundant_standby_needs_a_zone_of_its_own() -> None:
    azure = {"databaseTier": "GeneralPurpose", "databaseSku": "Standard_D2ds_v5", "databaseStandbyZone": "1"}
    assert problems_for(environment="prod", database={"highAvailability": True}, azure=azure) == [
        "mlops-platform:azure.databaseStandbyZone: is the primary's zone (1); zone-redundant needs another"
    ]
