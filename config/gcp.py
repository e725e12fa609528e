"""Settings only the GCP foundation understands (`mlops-platform:gcp` in the stack file)."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from config.model import CloudSettings, Settings, problem

if TYPE_CHECKING:
    from config.stack import StackConfig

GCP_REGIONS = (
    "us-central1", "us-east1", "us-east4", "us-east5", "us-west1", "us-west2", "us-west4", "northamerica-northeast1",
    "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-north1",
    "asia-east1", "asia-northeast1", "asia-south1", "asia-southeast1", "australia-southeast1", "southamerica-east1",
)  # fmt: skip

GPU_MACHINE_FAMILIES = {
    "nvidia-tesla-t4": "n1",
    "nvidia-tesla-v100": "n1",
    "nvidia-tesla-p4": "n1",
    "nvidia-l4": "g2",
    "nvidia-tesla-a100": "a2",
    "nvidia-a100-80gb": "a2",
    "nvidia-h100-80gb": "a3",
}
"""Each accelerator attaches only to one Compute Engine machine family."""
GpuType = Literal[
    "nvidia-tesla-t4",
    "nvidia-tesla-v100",
    "nvidia-tesla-p4",
    "nvidia-l4",
    "nvidia-tesla-a100",
    "nvidia-a100-80gb",
    "nvidia-h100-80gb",
]
Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]+$")
GOOGLE_GROUP = re.compile(r"^[a-z0-9._%+-]+@([a-z0-9-]+\.)+[a-z]{2,63}$")


class NodeAutoProvisioning(Settings):
    """GKE node auto-provisioning: node pools created on demand (e.g. a GPU shape a pod asks for) and removed
    when idle. The limits cap the whole cluster, node pools declared here included."""

    enabled: bool = True
    """Let GKE create node pools for pending pods that no declared pool fits."""
    max_cpu: int = Field(default=64, ge=1, le=100_000)
    """vCPUs the whole cluster may reach."""
    max_memory_gb: int = Field(default=256, ge=1, le=1_000_000)
    """Memory (GB) the whole cluster may reach."""
    gpu_limits: dict[GpuType, Annotated[int, Field(ge=0, le=10_000)]] = {"nvidia-tesla-t4": 4, "nvidia-l4": 4}  # type: ignore[valid-type]
    """GPUs of each accelerator type the whole cluster may reach; a type not listed is never provisioned."""


class MaintenanceWindow(Settings):
    """When GKE may upgrade the control plane and nodes (UTC). GKE needs at least 48 hours in any 32 days."""

    start_time: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "02:00"
    """Start of each window, HH:MM UTC."""
    duration_hours: int = Field(default=8, ge=4, le=24)
    """Length of each window (GKE needs at least 4 contiguous hours)."""
    days: list[Weekday] = Field(default=["SA", "SU"], min_length=1)  # type: ignore[valid-type]
    """Weekdays with a window, RRULE spelling (MO..SU)."""

    @model_validator(mode="after")
    def _enough_hours(self) -> MaintenanceWindow:
        hours_in_32_days = self.duration_hours * len(set(self.days)) * 32 / 7
        if hours_in_32_days < 48:
            raise problem(
                "durationHours",
                f"{self.duration_hours}h on {len(set(self.days))} day(s) a week gives about {hours_in_32_days:.0f}h "
                "in 32 days; GKE requires at least 48h: add days or lengthen the window",
            )
        return self


class GcpSettings(CloudSettings):
    cloud: Literal["gcp"] = "gcp"
    SUPPORTED_KUBERNETES_VERSIONS: ClassVar[tuple[str, ...]] = ("1.32", "1.33", "1.34", "1.35")
    PRIVATE_ENDPOINT: ClassVar[str | None] = (
        "GKE keeps only its private endpoint, reachable from inside the VPC (a VM or Cloud Build private pool there)"
    )
    DEFAULT_NODE_POOLS: ClassVar[dict[str, dict[str, Any]]] = {
        "system": {"machineTypes": ["e2-standard-4"]},
        "cpuSpot": {"machineTypes": ["n2-standard-4"]},
        "gpuSpot": {"machineTypes": ["g2-standard-4"], "gpuType": "nvidia-l4"},
    }

    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    """Project ID (not number) everything is created in."""
    region: Literal[GCP_REGIONS] = "europe-west4"  # type: ignore[valid-type]
    """Region of the VPC subnet, cluster, database, bucket and registry."""
    zones: list[Annotated[str, StringConstraints(pattern=r"^[a-z]+-[a-z]+\d+-[a-z]$")]] = []
    """Zones nodes run in (all must be in `region` and offer the GPU type); empty lets GKE choose."""
    system_pool_zones: list[Annotated[str, StringConstraints(pattern=r"^[a-z]+-[a-z]+\d+-[a-z]$")]] = []
    """Zones of the system pool, a subset of `zones`; empty: all of them. One zone halves an idle dev cluster
    (the pool starts with a node in each of its zones); several survive a zone outage."""
    regional_cluster: bool = True
    """A regional control plane (three replicas, upgrades without API downtime). False gives a zonal control
    plane in the first of `zones`, which the GKE free tier covers: cheaper for dev."""
    master_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("172.16.0.0/28")
    """/28 for the private control plane's peering; must not overlap the network ranges."""
    private_services_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.41.0.0/20")
    """Range reserved for Google-managed services (Cloud SQL) through private services access."""
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = "REGULAR"
    """GKE release channel; `cluster.kubernetesVersion` is the minimum the channel may run."""
    node_auto_provisioning: NodeAutoProvisioning = NodeAutoProvisioning()
    """Cluster-wide limits for GKE node auto-provisioning."""
    maintenance_window: MaintenanceWindow = MaintenanceWindow()
    """Recurring window for automatic upgrades."""
    gpu_driver_version: Literal["DEFAULT", "LATEST"] = "DEFAULT"
    """NVIDIA driver GKE installs on GPU nodes."""
    database_tier: str = Field(default="db-custom-2-7680", pattern=r"^db-[a-z0-9-]+$")
    """Cloud SQL machine tier."""
    database_point_in_time_recovery: bool = True
    """Keep transaction logs for point-in-time recovery (the days of `database.backupRetentionDays`, at most the
    edition's limit). Off, the database can be restored to a daily backup only: acceptable for dev, cheaper."""
    data_residency: bool = False
    """Keep every copy of the platform's data in `region`: Secret Manager secrets are replicated there only
    instead of wherever Google chooses (bucket, database, keys and registry are regional anyway)."""
    database_edition: Literal["ENTERPRISE", "ENTERPRISE_PLUS"] = "ENTERPRISE"
    """Cloud SQL edition. Set explicitly: PostgreSQL 16+ would otherwise default to Enterprise Plus, which
    rejects `db-custom-*` tiers."""
    rbac_security_group: (
        Annotated[str, StringConstraints(pattern=r"^gke-security-groups@([a-z0-9-]+\.)+[a-z]{2,63}$")] | None
    ) = None
    """Google Groups for RBAC: the `gke-security-groups@<domain>` group that the teams' groups are members of.
    Without it GKE never puts a user's Google groups in their identity, so team RoleBindings match nobody."""
    control_plane_dns_endpoint: bool = False
    """Let the control plane's DNS-based endpoint (`gke-....gke.goog`) take user traffic. Every request needs IAM
    `container.clusters.connect`; it is how CI runners outside `cluster.endpointAllowList` reach the cluster,
    and the stack's kubeconfig then uses it."""
    flow_log_sampling: float = Field(default=0.5, gt=0, le=1)
    """Share of VPC flows logged (billed per GiB ingested)."""
    cmek: bool = False
    """Encrypt the artifact bucket with a customer-managed Cloud KMS key (Kubernetes secrets in etcd always are)."""
    kms_rotation_days: int = Field(default=90, ge=1, le=3650)
    """Rotation period of the platform's Cloud KMS keys."""

    def check(self, stack: StackConfig) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        for index, zone in enumerate(self.zones):
            if not zone.startswith(f"{self.region}-"):
                problems.append((f"gcp.zones.{index}", f"{zone!r} is not in region {self.region!r}"))
        if not self.regional_cluster and not self.zones:
            problems.append(("gcp.zones", "a zonal cluster (regionalCluster: false) needs at least one zone"))
        for index, zone in enumerate(self.system_pool_zones):
            if zone not in self.zones:
                problems.append((f"gcp.systemPoolZones.{index}", f"{zone!r} is not one of gcp.zones"))
        for index, team in enumerate(stack.teams):
            if not GOOGLE_GROUP.match(team.identity_group):
                problems.append(
                    (
                        f"teams.{index}.identityGroup",
                        f"{team.identity_group!r} is not a Google group e-mail; GKE and IAM know teams by group",
                    )
                )
        if stack.teams and self.rbac_security_group is None:
            problems.append(
                (
                    "gcp.rbacSecurityGroup",
                    "is required with teams: GKE matches Google groups in RoleBindings only through "
                    "gke-security-groups@<your domain> (Google Groups for RBAC), with each team's group a member",
                )
            )
        ranges = {
            "network.cidr": stack.network.cidr,
            "network.podCidr": stack.network.pod_cidr,
            "network.serviceCidr": stack.network.service_cidr,
        }
        for key, own in (("gcp.masterCidr", self.master_cidr), ("gcp.privateServicesCidr", self.private_services_cidr)):
            problems += [(key, f"{own} overlaps {other} ({net})") for other, net in ranges.items() if own.overlaps(net)]
        if self.master_cidr.prefixlen != 28:
            problems.append(("gcp.masterCidr", f"got {self.master_cidr}; GKE needs a /28"))
        if self.master_cidr.overlaps(self.private_services_cidr):
            problems.append(("gcp.privateServicesCidr", f"overlaps gcp.masterCidr ({self.master_cidr})"))
        if self.private_services_cidr.prefixlen > 24:
            problems.append(("gcp.privateServicesCidr", "private services access needs at least a /24"))
        if stack.network.flow_log_retention_days > 3650:
            problems.append(
                (
                    "network.flowLogRetentionDays",
                    f"got {stack.network.flow_log_retention_days}; a Cloud Logging bucket keeps at most 3650 days",
                )
            )
        for index, team in enumerate(stack.teams):
            if not GOOGLE_GROUP.match(team.identity_group):
                problems.append(
                    (
                        f"teams.{index}.identityGroup",
                        f"got {team.identity_group!r}; on GCP this is the Google group's e-mail address "
                        "(ml-vision@example.com)",
                    )
                )
        problems += self._node_pool_problems(stack)
        return problems

    def _node_pool_problems(self, stack: StackConfig) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        pools = stack.node_pools
        for key, pool in (("system", pools.system), ("cpuSpot", pools.cpu_spot), ("gpuSpot", pools.gpu_spot)):
            if len(pool.machine_types) != 1:
                problems.append(
                    (
                        f"nodePools.{key}.machineTypes",
                        "a GKE node pool has exactly one machine type; node auto-provisioning adds other shapes",
                    )
                )
            for index, machine in enumerate(pool.machine_types):
                if not MACHINE_TYPE.match(machine):
                    problems.append(
                        (
                            f"nodePools.{key}.machineTypes.{index}",
                            f"{machine!r} is not a Compute Engine machine type (e.g. e2-standard-4)",
                        )
                    )
        gpu = pools.gpu_spot
        family = GPU_MACHINE_FAMILIES.get(gpu.gpu_type)
        if family is None:
            problems.append(
                ("nodePools.gpuSpot.gpuType", f"got {gpu.gpu_type!r}; GKE offers {', '.join(GPU_MACHINE_FAMILIES)}")
            )
        elif not gpu.machine_types[0].startswith(f"{family}-"):
            problems.append(
                ("nodePools.gpuSpot.machineTypes.0", f"{gpu.gpu_type} attaches only to {family}-* machine types")
            )
        nap = self.node_auto_provisioning
        if nap.enabled and family is not None:
            limit = nap.gpu_limits.get(gpu.gpu_type, 0)  # type: ignore[call-overload]
            needed = gpu.max_size * gpu.gpus_per_node
            if limit < needed:
                problems.append(
                    (
                        f"gcp.nodeAutoProvisioning.gpuLimits.{gpu.gpu_type}",
                        f"is {limit}, below the GPU pool's maximum ({needed}); the limits count every pool",
                    )
                )
        return problems
