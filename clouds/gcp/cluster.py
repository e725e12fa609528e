"""The GKE Standard cluster: private nodes, Workload Identity, Dataplane V2, KMS-encrypted secrets, and node
auto-provisioning so GPU shapes appear on demand and go away when idle."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pulumi
import pulumi_gcp as gcp

from clouds.common import exec_kubeconfig
from config.gcp import MaintenanceWindow, NodeAutoProvisioning

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
"""Access is decided by IAM on the node service account; the legacy scope list stays wide open on purpose."""
SHIELDED: gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgsDict = {
    "enable_secure_boot": True,
    "enable_integrity_monitoring": True,
}
# Any past Saturday anchors the weekly recurrence; only its time of day matters.
WINDOW_ANCHOR = datetime(2026, 1, 3)


@dataclass(frozen=True)
class GkeClusterArgs:
    cluster_name: str
    project: str
    location: str
    """A region (regional control plane) or a zone (zonal)."""
    zones: Sequence[str]
    """Zones nodes may run in; empty lets GKE choose."""
    network_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    pods_range: str
    services_range: str
    master_cidr: ipaddress.IPv4Network
    endpoint_allow_list: Sequence[ipaddress.IPv4Network]
    """Empty: the control plane has a private endpoint only."""
    release_channel: str
    min_version: str
    node_service_account: pulumi.Input[str]
    secrets_key_id: pulumi.Input[str]
    autoprovisioning: NodeAutoProvisioning
    autoprovisioning_disk_gb: int
    maintenance: MaintenanceWindow
    deletion_protection: bool
    network_tags: Sequence[str] = ()
    """On every node, auto-provisioned ones too: the VPC firewall rules target them."""
    rbac_security_group: str | None = None
    """`gke-security-groups@<domain>`: Google groups nested in it can be RBAC subjects (Google Groups for RBAC)."""
    dns_endpoint: bool = False
    """Open the control plane's DNS-based endpoint: IAM-authorised, reachable from anywhere (CI runners)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The container API and the GKE service agent's grant on the secrets key."""
    labels: Mapping[str, str] | None = None


def recurring_window(window: MaintenanceWindow) -> gcp.container.ClusterMaintenancePolicyRecurringWindowArgsDict:
    hour, minute = (int(part) for part in window.start_time.split(":"))
    start = WINDOW_ANCHOR.replace(hour=hour, minute=minute)
    end = start + timedelta(hours=window.duration_hours)
    return {
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recurrence": f"FREQ=WEEKLY;BYDAY={','.join(dict.fromkeys(window.days))}",
    }


def autoscaling(args: GkeClusterArgs) -> gcp.container.ClusterClusterAutoscalingArgsDict:
    """Cluster autoscaler settings: the utilisation-first profile always, node auto-provisioning if enabled."""
    nap = args.autoprovisioning
    if not nap.enabled:
        return {"enabled": False, "autoscaling_profile": "OPTIMIZE_UTILIZATION"}
    maxima = {"cpu": nap.max_cpu, "memory": nap.max_memory_gb} | {
        str(gpu): count for gpu, count in nap.gpu_limits.items()
    }
    return {
        "enabled": True,
        "autoscaling_profile": "OPTIMIZE_UTILIZATION",
        "resource_limits": [
            {"resource_type": resource, "minimum": 0, "maximum": maximum} for resource, maximum in maxima.items()
        ],
        "auto_provisioning_locations": list(args.zones) or None,
        "auto_provisioning_defaults": {
            "service_account": args.node_service_account,
            "oauth_scopes": [CLOUD_PLATFORM_SCOPE],
            "disk_size": args.autoprovisioning_disk_gb,
            "disk_type": "pd-balanced",
            "image_type": "COS_CONTAINERD",
            "shielded_instance_config": SHIELDED,
            "management": {"auto_repair": True, "auto_upgrade": True},
        },
    }


def default_pool_node_config(args: GkeClusterArgs) -> gcp.container.ClusterNodeConfigArgsDict:
    """The pool GKE creates with the cluster and `remove_default_node_pool` deletes right after. It still boots
    nodes, and without this they would run as the Compute Engine default service account (a project Editor)."""
    return {
        "service_account": args.node_service_account,
        "oauth_scopes": [CLOUD_PLATFORM_SCOPE],
        "shielded_instance_config": SHIELDED,
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        "tags": list(args.network_tags),
    }


def kubeconfig(name: str, endpoint: str, ca_data: str | None) -> str:
    """A kubeconfig whose tokens come from gke-gcloud-auth-plugin with the application-default credentials:
    the same credentials the Pulumi gcp provider uses (`gcloud auth application-default login` on a laptop,
    Workload Identity Federation in CI), not the gcloud CLI's own account.

    `ca_data` None: `endpoint` is the DNS-based endpoint, whose certificate is publicly trusted."""
    return exec_kubeconfig(
        name,
        f"https://{endpoint}",
        ca_data,
        "gke-gcloud-auth-plugin",
        args=["--use_application_default_credentials"],
        installHint="gcloud components install gke-gcloud-auth-plugin",
        provideClusterInfo=True,
    )


def endpoints_config(args: GkeClusterArgs) -> gcp.container.ClusterControlPlaneEndpointsConfigArgsDict:
    """The DNS-based endpoint admits user traffic only when asked for (stated either way, so switching it off
    again is a change). Every call to it needs IAM `container.clusters.connect`, so it can face the internet;
    the IP endpoint stays as `private_cluster_config` and the authorised networks make it."""
    return {"dns_endpoint_config": {"allow_external_traffic": args.dns_endpoint}}


class GkeCluster(pulumi.ComponentResource):
    cluster: gcp.container.Cluster
    kubeconfig: pulumi.Output[str]
    """A Pulumi secret; JSON, which every kubeconfig reader accepts as YAML."""

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:GkeCluster", name, None, opts)
        private_endpoint = not args.endpoint_allow_list
        # A zonal cluster lists only its *additional* zones; its own is implied.
        node_locations = [zone for zone in args.zones if zone != args.location]
        self.cluster = gcp.container.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            project=args.project,
            location=args.location,
            node_locations=node_locations or None,
            network=args.network_id,
            subnetwork=args.subnet_id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy={
                "cluster_secondary_range_name": args.pods_range,
                "services_secondary_range_name": args.services_range,
            },
            # Node pools are separate resources (capacity.py); the default pool only exists during creation.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=default_pool_node_config(args),
            node_pool_auto_config={"network_tags": {"tags": list(args.network_tags)}},
            release_channel={"channel": args.release_channel},
            min_master_version=args.min_version,
            private_cluster_config={
                "enable_private_nodes": True,
                "enable_private_endpoint": private_endpoint,
                "master_ipv4_cidr_block": str(args.master_cidr),
                "master_global_access_config": {"enabled": True},
            },
            master_authorized_networks_config={
                "cidr_blocks": [
                    {"cidr_block": str(cidr), "display_name": f"allow-{index}"}
                    for index, cidr in enumerate(args.endpoint_allow_list)
                ],
                "gcp_public_cidrs_access_enabled": False,
            },
            control_plane_endpoints_config=endpoints_config(args),
            workload_identity_config={"workload_pool": f"{args.project}.svc.id.goog"},
            authenticator_groups_config={"security_group": args.rbac_security_group}
            if args.rbac_security_group
            else None,
            enable_shielded_nodes=True,
            datapath_provider="ADVANCED_DATAPATH",  # Dataplane V2: eBPF networking with NetworkPolicy built in
            database_encryption={"state": "ENCRYPTED", "key_name": args.secrets_key_id},
            maintenance_policy={"recurring_window": recurring_window(args.maintenance)},
            cluster_autoscaling=autoscaling(args),
            addons_config={
                "http_load_balancing": {"disabled": False},
                "horizontal_pod_autoscaling": {"disabled": False},
                "gce_persistent_disk_csi_driver_config": {"enabled": True},
                "dns_cache_config": {"enabled": True},
            },
            deletion_protection=args.deletion_protection,
            resource_labels=dict(args.labels or {}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        if args.dns_endpoint:
            dns_endpoint = self.cluster.control_plane_endpoints_config.apply(
                lambda config: config.dns_endpoint_config.endpoint  # type: ignore[union-attr]
            )
            self.kubeconfig = pulumi.Output.secret(
                pulumi.Output.all(self.cluster.name, dns_endpoint).apply(lambda v: kubeconfig(v[0], v[1], None))
            )
        else:
            self.kubeconfig = pulumi.Output.secret(
                pulumi.Output.all(
                    self.cluster.name,
                    self.cluster.endpoint,
                    self.cluster.master_auth.apply(lambda auth: auth.cluster_ca_certificate),
                ).apply(lambda values: kubeconfig(*values))
            )
        self.register_outputs({"name": self.cluster.name, "endpoint": self.cluster.endpoint})
