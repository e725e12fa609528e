"""The AKS cluster: Entra ID-only access, workload identity, Cilium-enforced network policy, managed upgrades."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
import yaml

from clouds.azure.capacity import pool_settings
from clouds.azure.identity import BuiltInRole, grant
from config.azure import MaintenanceWindow
from config.model import SystemNodePool

SYSTEM_POOL = "system"
CONTAINER_INSIGHTS_STREAM = "Microsoft-ContainerInsights-Group-Default"
AUDIT_LOG_CATEGORIES = ("kube-audit-admin", "guard")
"""AKS resource-log categories (Azure Monitor docs: supported logs for Microsoft.ContainerService/managedClusters)."""

# Tuned for expensive, bursty GPU nodes: an idle node goes after 5 minutes instead of the default 10,
# and nodes whose pods use under half their capacity count as idle.
AUTOSCALER_PROFILE: azure_native.containerservice.ManagedClusterPropertiesAutoScalerProfileArgsDict = {
    "scale_down_unneeded_time": "5m",
    "scale_down_unready_time": "10m",
    "scale_down_delay_after_add": "5m",
    "scale_down_utilization_threshold": "0.5",
    "expander": "least-waste",
    "max_graceful_termination_sec": "600",
    "skip_nodes_with_local_storage": "false",
    "balance_similar_node_groups": "false",
}


@dataclass(frozen=True)
class ClusterArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    cluster_name: str
    kubernetes_version: str
    node_subnet_id: pulumi.Input[str]
    pod_cidr: ipaddress.IPv4Network
    service_cidr: ipaddress.IPv4Network
    system_pool: SystemNodePool
    authorized_ip_ranges: Sequence[str]
    """Empty means a private cluster: the API server has no public endpoint at all."""
    admin_group_object_ids: Sequence[str]
    tenant_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    sku_tier: str
    upgrade_channel: str
    maintenance_window: MaintenanceWindow
    container_insights: bool
    keda_addon: bool
    log_retention_days: int
    tags: Mapping[str, str]
    audit_logs: bool = False
    """Control-plane audit logs (`kube-audit-admin`, `guard`) into the cluster's Log Analytics workspace."""
    defender: bool = False
    """The Microsoft Defender for Containers sensor, reporting to the same workspace."""
    host_encryption: bool = False
    zones: Sequence[str] = ()


class Cluster(pulumi.ComponentResource):
    cluster: azure_native.containerservice.ManagedCluster
    name: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubelet_object_id: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rg: dict[str, Any] = {"resource_group_name": args.resource_group_name}

        # A user-assigned control-plane identity exists before the cluster, so it can be granted the node
        # subnet first; a system-assigned one would only exist after AKS already needed that permission.
        control_plane = azure_native.managedidentity.UserAssignedIdentity(
            "control-plane",
            resource_name_=f"{args.cluster_name}-control-plane",
            location=args.location,
            tags=dict(args.tags),
            opts=child,
            **rg,
        )
        subnet_access = grant(
            "control-plane-subnet",
            purpose="aks control plane node subnet",
            role=BuiltInRole.NETWORK_CONTRIBUTOR,
            principal_id=control_plane.principal_id,
            scope=args.node_subnet_id,
            subscription_id=args.subscription_id,
            opts=child,
        )
        # One workspace for everything the cluster reports: container logs, audit logs, Defender findings.
        workspace = _workspace(args, child) if args.container_insights or args.audit_logs or args.defender else None
        monitoring = _ContainerInsights(args, workspace, child) if workspace and args.container_insights else None

        # No allow list means no public endpoint at all: a private cluster reached from inside the VNet.
        api_access: Any = (
            {"authorized_ip_ranges": list(args.authorized_ip_ranges)}
            if args.authorized_ip_ranges
            else {"enable_private_cluster": True}
        )
        system_profile: Any = {
            "name": SYSTEM_POOL,
            **pool_settings(
                args.system_pool,
                mode="System",
                subnet_id=args.node_subnet_id,
                tags=args.tags,
                host_encryption=args.host_encryption,
                zones=args.zones,
            ),
        }
        security: Any = {"workload_identity": {"enabled": True}, "image_cleaner": {"enabled": True}}
        if args.defender and workspace is not None:
            # The sensor needs the subscription's Defender for Containers plan; without it nothing is analysed.
            security["defender"] = {
                "log_analytics_workspace_resource_id": workspace.id,
                "security_monitoring": {"enabled": True},
            }
        self.cluster = azure_native.containerservice.ManagedCluster(
            "aks",
            resource_name_=args.cluster_name,
            location=args.location,
            dns_prefix=args.cluster_name,
            node_resource_group=f"{args.cluster_name}-nodes",
            kubernetes_version=args.kubernetes_version,
            sku={"name": "Base", "tier": args.sku_tier},
            identity={
                "type": azure_native.containerservice.ResourceIdentityType.USER_ASSIGNED,
                "user_assigned_identities": [control_plane.id],
            },
            agent_pool_profiles=[system_profile],
            # Only Entra ID identities get in: no static admin kubeconfig, Azure RBAC decides per user.
            disable_local_accounts=True,
            enable_rbac=True,
            aad_profile={
                "managed": True,
                "enable_azure_rbac": True,
                "tenant_id": args.tenant_id,
                "admin_group_object_ids": list(args.admin_group_object_ids),
            },
            api_server_access_profile=api_access,
            # Overlay: pods get addresses from pod_cidr, not the VNet, so the node subnet stays small.
            # Cilium (eBPF) is the dataplane and the NetworkPolicy engine at once: no kube-proxy, no Calico.
            network_profile={
                "network_plugin": "azure",
                "network_plugin_mode": "overlay",
                "network_dataplane": "cilium",
                "network_policy": "cilium",
                "pod_cidr": str(args.pod_cidr),
                "service_cidr": str(args.service_cidr),
                "dns_service_ip": str(args.service_cidr.network_address + 10),
                "load_balancer_sku": "standard",
                "outbound_type": "loadBalancer",
            },
            oidc_issuer_profile={"enabled": True},
            security_profile=security,
            workload_auto_scaler_profile={"keda": {"enabled": args.keda_addon}},
            auto_scaler_profile=AUTOSCALER_PROFILE,
            auto_upgrade_profile={"upgrade_channel": args.upgrade_channel, "node_os_upgrade_channel": "NodeImage"},
            storage_profile={"disk_csi_driver": {"enabled": True}, "snapshot_controller": {"enabled": True}},
            addon_profiles=monitoring.addon_profiles if monitoring else {},
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[subnet_access],
                # The autoscaler owns the system pool's node count after creation.
                ignore_changes=["agentPoolProfiles[0].count"],
            ),
            **rg,
        )
        if monitoring is not None:
            monitoring.associate(self.cluster)
        if args.audit_logs and workspace is not None:
            azure_native.monitor.DiagnosticSetting(
                "control-plane-logs",
                name="control-plane-logs",
                resource_uri=self.cluster.id,
                workspace_id=workspace.id,
                # Resource-specific tables (AKSAudit, AKSAuditAdmin, AKSControlPlane) instead of AzureDiagnostics.
                log_analytics_destination_type="Dedicated",
                # kube-audit-admin is kube-audit without get/list: every change, a fraction of the volume;
                # guard records Entra ID authentication and Azure RBAC decisions.
                logs=[{"category": category, "enabled": True} for category in AUDIT_LOG_CATEGORIES],
                opts=child,
            )

        # Both upgrade kinds (Kubernetes patches, node images) wait for the same weekly window.
        window = args.maintenance_window
        for config_name in ("aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"):
            azure_native.containerservice.MaintenanceConfiguration(
                config_name,
                config_name=config_name,
                resource_name_=self.cluster.name,
                maintenance_window={
                    "schedule": {"weekly": {"day_of_week": window.day_of_week, "interval_weeks": 1}},
                    "start_time": f"{window.start_hour:02d}:00",
                    "duration_hours": window.duration_hours,
                    "utc_offset": "+00:00",
                },
                opts=child,
                **rg,
            )

        self.name = self.cluster.name
        self.oidc_issuer_url = self.cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else "")
        self.kubelet_object_id = self.cluster.identity_profile.apply(
            lambda p: (p["kubeletidentity"].object_id or "") if p else ""
        )
        self.register_outputs({"name": self.name, "oidcIssuerUrl": self.oidc_issuer_url})


def _workspace(args: ClusterArgs, opts: pulumi.ResourceOptions) -> azure_native.operationalinsights.Workspace:
    return azure_native.operationalinsights.Workspace(
        "logs",
        workspace_name=f"{args.cluster_name}-logs",
        resource_group_name=args.resource_group_name,
        location=args.location,
        sku={"name": "PerGB2018"},
        retention_in_days=args.log_retention_days,
        tags=dict(args.tags),
        opts=opts,
    )


class _ContainerInsights:
    """Container Insights with managed-identity auth: a data collection rule into the workspace, and its association."""

    def __init__(
        self, args: ClusterArgs, workspace: azure_native.operationalinsights.Workspace, opts: pulumi.ResourceOptions
    ) -> None:
        rg: dict[str, Any] = {
            "resource_group_name": args.resource_group_name,
            "location": args.location,
            "tags": dict(args.tags),
        }
        self._opts = opts
        self.rule = azure_native.monitor.DataCollectionRule(
            "container-insights",
            data_collection_rule_name=f"MSCI-{args.location}-{args.cluster_name}",
            kind="Linux",
            data_sources={
                "extensions": [
                    {
                        "name": "ContainerInsightsExtension",
                        "extension_name": "ContainerInsights",
                        "streams": [CONTAINER_INSIGHTS_STREAM],
                        "extension_settings": {
                            "dataCollectionSettings": {
                                "interval": "1m",
                                "namespaceFilteringMode": "Off",
                                "enableContainerLogV2": True,
                            }
                        },
                    }
                ]
            },
            destinations={"log_analytics": [{"name": "workspace", "workspace_resource_id": workspace.id}]},
            data_flows=[{"streams": [CONTAINER_INSIGHTS_STREAM], "destinations": ["workspace"]}],
            opts=opts,
            **rg,
        )
        self.addon_profiles: dict[str, Any] = {
            "omsagent": {
                "enabled": True,
                "config": {"logAnalyticsWorkspaceResourceID": workspace.id, "useAADAuth": "true"},
            }
        }

    def associate(self, cluster: azure_native.containerservice.ManagedCluster) -> None:
        azure_native.monitor.DataCollectionRuleAssociation(
            "container-insights",
            association_name="ContainerInsightsExtension",
            resource_uri=cluster.id,
            data_collection_rule_id=self.rule.id,
            opts=self._opts,
        )


def grant_kubeconfig_to_groups(
    cluster: Cluster,
    group_object_ids: Sequence[str],
    subscription_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> list[azure_native.authorization.RoleAssignment]:
    """Let members of these Entra ID groups fetch a kubeconfig (`az aks get-credentials`). What they may do
    inside is decided separately: admin groups are cluster-admin, team groups hold RoleBindings in their
    namespace. Each group is granted once, even when it is both an admin and a team group (Azure refuses a
    second assignment of one role to one principal on one scope)."""
    return [
        grant(
            f"cluster-user-{group_id}",
            purpose=f"kubeconfig for group {group_id}",
            role=BuiltInRole.AKS_CLUSTER_USER,
            principal_id=group_id,
            principal_type="Group",
            scope=cluster.cluster.id,
            subscription_id=subscription_id,
            opts=opts,
        )
        for group_id in dict.fromkeys(g.lower() for g in group_object_ids)
    ]


def kubeconfig(
    cluster: Cluster, resource_group_name: pulumi.Input[str], login_mode: str, opts: pulumi.InvokeOutputOptions
) -> pulumi.Output[str]:
    """The user kubeconfig (a secret), with kubelogin told how to get tokens without a browser prompt.

    AKS hands out a kubeconfig whose exec plugin logs in with a device code; Pulumi cannot answer that,
    so the login mode is swapped for one that reuses an existing session (Azure CLI, workload identity...).
    """
    credentials = azure_native.containerservice.list_managed_cluster_user_credentials_output(
        resource_group_name=resource_group_name, resource_name=cluster.name, format="exec", opts=opts
    )
    return pulumi.Output.secret(credentials.kubeconfigs.apply(lambda found: _with_login(found[0].value, login_mode)))


def _with_login(encoded: str, login_mode: str) -> str:
    document = yaml.safe_load(base64.b64decode(encoded))
    for user in document.get("users", []):
        exec_ = user.get("user", {}).get("exec")
        if not exec_:
            continue
        args, kept = list(exec_.get("args", [])), []
        while args:
            arg = args.pop(0)
            if arg in ("--login", "-l", "--client-id"):
                args.pop(0)  # drop the flag's value too; the client ID belongs to the device-code flow
                continue
            kept.append(arg)
        exec_["args"] = [*kept, "--login", login_mode]
    return yaml.safe_dump(document, sort_keys=False)
