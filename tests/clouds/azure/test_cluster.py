"""clouds/azure/cluster.py: access, networking, identity and upgrades of the AKS cluster."""

import dataclasses
import functools
import ipaddress

import pulumi
import yaml

from clouds.azure.cluster import Cluster, ClusterArgs, grant_kubeconfig_to_groups
from config.azure import MaintenanceWindow
from config.model import SystemNodePool
from offline.harness import StackRun, run_program
from tests.conftest import DEPLOYER_CIDR

CLUSTER = "azure-native:containerservice:ManagedCluster"


def test_only_entra_id_identities_reach_the_api_server(azure: StackRun) -> None:
    cluster = azure.one(CLUSTER).inputs
    assert cluster["disableLocalAccounts"] is True
    assert cluster["aadProfile"]["managed"] is True
    assert cluster["aadProfile"]["enableAzureRBAC"] is True


def test_api_server_is_open_only_to_the_allow_list(azure: StackRun) -> None:
    access = azure.one(CLUSTER).inputs["apiServerAccessProfile"]
    assert access == {"authorizedIPRanges": [DEPLOYER_CIDR]}


def test_network_policy_is_enforced_by_cilium_on_cni_overlay(azure: StackRun) -> None:
    network = azure.one(CLUSTER).inputs["networkProfile"]
    assert (network["networkPlugin"], network["networkPluginMode"]) == ("azure", "overlay")
    assert (network["networkDataplane"], network["networkPolicy"]) == ("cilium", "cilium")


def test_workload_identity_and_the_oidc_issuer_are_enabled(azure: StackRun) -> None:
    cluster = azure.one(CLUSTER).inputs
    assert cluster["oidcIssuerProfile"] == {"enabled": True}
    assert cluster["securityProfile"]["workloadIdentity"] == {"enabled": True}


def test_control_plane_is_a_managed_identity_granted_the_node_subnet_first(azure: StackRun) -> None:
    cluster = azure.one(CLUSTER)
    assert cluster.inputs["identity"]["type"] == "UserAssigned"
    subnet_grant = azure.one("azure-native:authorization:RoleAssignment", "control-plane-subnet")
    assert subnet_grant.inputs["scope"].endswith("/subnets/aks-nodes")
    assert azure.depends_on(cluster, subnet_grant)


def test_version_is_pinned_and_patched_in_the_maintenance_window(azure: StackRun) -> None:
    cluster = azure.one(CLUSTER).inputs
    assert cluster["kubernetesVersion"] == "1.34"
    assert cluster["autoUpgradeProfile"] == {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"}
    windows = azure.of_type("azure-native:containerservice:MaintenanceConfiguration")
    assert {w.inputs["configName"] for w in windows} == {
        "aksManagedAutoUpgradeSchedule",
        "aksManagedNodeOSUpgradeSchedule",
    }
    assert all(w.inputs["maintenanceWindow"]["schedule"]["weekly"]["dayOfWeek"] == "Sunday" for w in windows)


def test_keda_runs_as_the_aks_addon(azure: StackRun) -> None:
    assert azure.one(CLUSTER).inputs["workloadAutoScalerProfile"] == {"keda": {"enabled": True}}


def test_idle_nodes_are_scaled_down_after_five_minutes(azure: StackRun) -> None:
    profile = azure.one(CLUSTER).inputs["autoScalerProfile"]
    assert (profile["scaleDownUnneededTime"], profile["scaleDownDelayAfterAdd"]) == ("5m", "5m")


def test_container_insights_is_off_unless_configured(azure: StackRun) -> None:
    assert azure.one(CLUSTER).inputs["addonProfiles"] == {}
    assert azure.of_type("azure-native:monitor:DataCollectionRule") == []


def test_kubeconfig_is_secret_and_logs_in_without_a_device_code(azure: StackRun) -> None:
    assert "kubeconfig" in azure.secret_outputs
    (user,) = yaml.safe_load(azure.outputs["kubeconfig"])["users"]
    args = user["user"]["exec"]["args"]
    assert args[-2:] == ["--login", "azurecli"]
    assert "devicecode" not in args


def private_cluster_args() -> ClusterArgs:
    """What dev-azure leaves off: no allow list, Container Insights on."""
    return ClusterArgs(
        resource_group_name="rg",
        location="westeurope",
        cluster_name="prod-aks",
        kubernetes_version="1.34",
        node_subnet_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/n",
        pod_cidr=ipaddress.IPv4Network("10.244.0.0/16"),
        service_cidr=ipaddress.IPv4Network("10.96.0.0/16"),
        system_pool=SystemNodePool(machine_types=["Standard_D4ds_v5"]),
        authorized_ip_ranges=[],
        admin_group_object_ids=[],
        tenant_id="t",
        subscription_id="s",
        sku_tier="Standard",
        upgrade_channel="patch",
        maintenance_window=MaintenanceWindow(),
        container_insights=True,
        keda_addon=False,
        log_retention_days=90,
        tags={},
    )


@functools.cache
def private_cluster_with_insights() -> StackRun:
    """The Cluster component alone, with `private_cluster_args`."""
    return run_program(lambda: Cluster("cluster", private_cluster_args()))


def test_an_empty_allow_list_makes_the_cluster_private() -> None:
    access = private_cluster_with_insights().one(CLUSTER).inputs["apiServerAccessProfile"]
    assert access == {"enablePrivateCluster": True}


def test_container_insights_collects_into_a_workspace_with_managed_identity_auth() -> None:
    run = private_cluster_with_insights()
    oms = run.one(CLUSTER).inputs["addonProfiles"]["omsagent"]
    workspace = run.one("azure-native:operationalinsights:Workspace")
    assert oms["config"]["useAADAuth"] == "true"
    assert oms["config"]["logAnalyticsWorkspaceResourceID"].endswith(f"/workspaces/{workspace.inputs['workspaceName']}")
    association = run.one("azure-native:monitor:DataCollectionRuleAssociation").inputs
    assert association["resourceUri"].endswith("/managedClusters/prod-aks")


CLUSTER_USER_ROLE = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"


def _kubeconfig_grants(run: StackRun) -> dict[str, dict[str, object]]:
    assignments = run.of_type("azure-native:authorization:RoleAssignment")
    return {
        a.inputs["principalId"]: a.inputs
        for a in assignments
        if a.inputs["roleDefinitionId"].endswith(CLUSTER_USER_ROLE)
    }


def test_team_and_admin_groups_may_fetch_a_kubeconfig(azure: StackRun) -> None:
    grants = _kubeconfig_grants(azure)
    teams = ["8a1d6c3e-52f4-4b7a-a0c9-1e2f3d4c5b6a", "c47e2b19-0d3a-4e85-b6f1-9a8b7c6d5e4f"]
    assert set(grants) == {"3f2c8f6a-1b7e-4d2c-9a51-7c0e4b8d2f11", *teams}
    assert all(g["principalType"] == "Group" for g in grants.values())
    assert all(str(g["scope"]).endswith("/managedClusters/mlops-dev-aks") for g in grants.values())


def test_a_group_that_is_admin_and_team_is_granted_a_kubeconfig_once() -> None:
    group = "3f2c8f6a-1b7e-4d2c-9a51-7c0e4b8d2f11"

    def program() -> None:
        cluster = Cluster("cluster", dataclasses.replace(private_cluster_args(), admin_group_object_ids=[group]))
        grant_kubeconfig_to_groups(cluster, [group, group.upper()], "s", pulumi.ResourceOptions())

    assert list(_kubeconfig_grants(run_program(program))) == [group]


def test_production_control_plane_audit_logs_go_to_the_cluster_workspace(prod_azure: StackRun) -> None:
    setting = prod_azure.one("azure-native:monitor:DiagnosticSetting").inputs
    workspace = prod_azure.one("azure-native:operationalinsights:Workspace").inputs["workspaceName"]
    assert setting["resourceUri"].endswith("/managedClusters/mlops-prod-aks")
    assert setting["workspaceId"].endswith(f"/workspaces/{workspace}")
    assert {log["category"] for log in setting["logs"] if log["enabled"]} == {"kube-audit-admin", "guard"}
    assert setting["logAnalyticsDestinationType"] == "Dedicated"


def test_production_cluster_runs_the_defender_sensor(prod_azure: StackRun) -> None:
    defender = prod_azure.one(CLUSTER).inputs["securityProfile"]["defender"]
    assert defender["securityMonitoring"] == {"enabled": True}
    assert "/workspaces/" in defender["logAnalyticsWorkspaceResourceId"]


def test_dev_cluster_has_no_log_workspace(azure: StackRun) -> None:
    assert azure.of_type("azure-native:operationalinsights:Workspace") == []
    assert "defender" not in azure.one(CLUSTER).inputs["securityProfile"]
