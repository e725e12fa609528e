"""Settings only the Azure foundation understands (`mlops-platform:azure` in the stack file)."""

from __future__ import annotations

import ipaddress
import uuid
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field

from config.model import CloudSettings, Settings

if TYPE_CHECKING:
    from config.stack import StackConfig

AZURE_LOCATIONS = (
    "eastus", "eastus2", "westus2", "westus3", "centralus", "southcentralus", "canadacentral",
    "northeurope", "westeurope", "uksouth", "francecentral", "germanywestcentral", "swedencentral",
    "switzerlandnorth", "australiaeast", "japaneast", "koreacentral", "southeastasia", "centralindia",
)  # fmt: skip


def _object_id(value: str) -> str:
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValueError("not an Entra ID object ID (a GUID such as 3f2c8f6a-1b7e-4d2c-9a51-7c0e4b8d2f11)") from None
    return value


EntraObjectId = Annotated[str, AfterValidator(_object_id)]
Zone = Literal["", "1", "2", "3"]
"""An availability zone; "" leaves the choice to Azure."""
# Flexible Server compute sizes per tier (learn.microsoft.com/azure/postgresql/flexible-server/concepts-compute).
DATABASE_TIER_FAMILIES = {"Burstable": "B", "GeneralPurpose": "D", "MemoryOptimized": "E"}
WeekDay = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class MaintenanceWindow(Settings):
    """When AKS may upgrade the control plane and node images (UTC). AKS requires at least four hours."""

    day_of_week: WeekDay = "Sunday"
    start_hour: int = Field(default=2, ge=0, le=23)
    """Start of the window, hour of the day in UTC."""
    duration_hours: int = Field(default=4, ge=4, le=24)


class AzureSettings(CloudSettings):
    cloud: Literal["azure"] = "azure"
    SUPPORTED_KUBERNETES_VERSIONS: ClassVar[tuple[str, ...]] = ("1.32", "1.33", "1.34", "1.35")
    PRIVATE_ENDPOINT: ClassVar[str | None] = (
        "AKS becomes a private cluster, its API server a private endpoint in the VNet (a runner in the VNet or a "
        "peered network reaches it)"
    )
    DEFAULT_NODE_POOLS: ClassVar[dict[str, dict[str, Any]]] = {
        "system": {"machineTypes": ["Standard_D4ds_v5"]},
        "cpuSpot": {"machineTypes": ["Standard_D8ds_v5"]},
        "gpuSpot": {"machineTypes": ["Standard_NC4as_T4_v3"], "gpuType": "nvidia-tesla-t4"},
    }

    location: Literal[AZURE_LOCATIONS] = "westeurope"  # type: ignore[valid-type]
    """Region of every resource (the azure-native provider is built with it); all listed regions have zones."""
    resource_group_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._()-]{1,89}[A-Za-z0-9_()-]$")
    """Resource group every resource lives in; default `<prefix>-<environment>-rg`."""
    node_subnet_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.40.0.0/20")
    """AKS nodes only: with Azure CNI overlay, pods take addresses from `network.podCidr`, not from here."""
    database_subnet_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.40.16.0/24")
    """Delegated to PostgreSQL Flexible Server; nothing else may live in it."""

    cluster_sku_tier: Literal["Free", "Standard", "Premium"] | None = None
    """AKS control-plane tier; default Free in dev (no uptime SLA) and Standard elsewhere."""
    admin_group_object_ids: list[EntraObjectId] = []
    """Entra ID groups bound to cluster-admin. Everyone else needs an Azure RBAC role on the cluster."""
    upgrade_channel: Literal["patch", "stable", "rapid", "node-image", "none"] = "patch"
    """`patch` keeps the pinned minor version and applies its patches in the maintenance window."""
    maintenance_window: MaintenanceWindow = MaintenanceWindow()
    container_insights: bool = False
    """Ship container logs and metrics to a Log Analytics workspace (costs per ingested GB)."""
    deployer_principal_type: Literal["User", "ServicePrincipal"] = "User"
    """Who runs `pulumi up` (granted cluster admin through Azure RBAC): a person, or a CI service principal."""
    kubelogin_mode: Literal["azurecli", "workloadidentity", "msi", "spn", "azd"] = "azurecli"
    """How the kubeconfig's kubelogin exec plugin gets a token: `azurecli` on a laptop, `workloadidentity` in CI."""

    flow_logs: bool = True
    """VNet flow logs to a storage account; needs Network Watcher enabled in the region. Kept for
    `network.flowLogRetentionDays`, or 90 days outside dev when that is not set."""
    network_watcher_resource_group: str = "NetworkWatcherRG"
    """Where Azure created the region's Network Watcher (`NetworkWatcher_<location>`); one per region."""

    defender: bool | None = None
    """Microsoft Defender for Containers sensor on the cluster, reporting to the cluster's Log Analytics workspace.
    Needs the subscription's Defender for Containers plan. Default on outside dev."""
    audit_logs: bool | None = None
    """Control-plane audit logs (`kube-audit-admin`, `guard`) to the cluster's Log Analytics workspace through a
    diagnostic setting. Default on outside dev."""
    host_encryption: bool | None = None
    """Encryption at host on every node pool; needs the subscription feature `Microsoft.Compute/EncryptionAtHost`
    and is fixed when a pool is created. Default on outside dev."""
    pool_zones: list[Literal["1", "2", "3"]] | None = None
    """Availability zones every node pool spreads over, fixed at creation; each VM size must be offered in each
    zone. Default 1, 2, 3 outside dev, none in dev."""

    database_sku: str = Field(default="Standard_B2s", pattern=r"^Standard_[A-Za-z0-9_]+$")
    """Flexible Server compute size; it must belong to `databaseTier` (B* Burstable, D* GeneralPurpose, E* ...)."""
    database_tier: Literal["Burstable", "GeneralPurpose", "MemoryOptimized"] = "Burstable"
    """Burstable is cheapest but cannot be zone-redundant (`database.highAvailability`)."""
    database_geo_redundant_backup: bool = False
    """Copy backups to the paired region. Can only be chosen when the server is created."""
    database_zone: Zone | None = None
    """Availability zone of the Postgres primary, fixed at creation; default "1" outside dev, Azure's choice in dev."""
    database_standby_zone: Zone | None = None
    """Zone of the zone-redundant standby (`database.highAvailability`); default "2" outside dev."""
    database_log_connections: bool | None = None
    """Set `log_connections`/`log_disconnections` on the server; default on outside dev."""
    registry_sku: Literal["Basic", "Standard", "Premium"] | None = None
    """Container registry tier; default Basic in dev, Premium elsewhere. Only Premium turns public access off and
    is reached through a private endpoint in the node subnet (pushes then come from inside the VNet)."""
    data_plane_allow_list: list[ipaddress.IPv4Network] = []
    """Public ranges (office, VPN egress) that may reach the Key Vault and artifact-account data planes directly,
    e.g. to `az keyvault secret set`. Everything else but the node subnet is denied."""

    def sku_of_registry(self, dev: bool) -> str:
        return self.registry_sku or ("Basic" if dev else "Premium")

    def enabled(self, setting: bool | None, dev: bool) -> bool:
        """A hardening switch: as configured, or on everywhere but dev."""
        return setting if setting is not None else not dev

    def zones_of_pools(self, dev: bool) -> list[str]:
        return list(self.pool_zones) if self.pool_zones is not None else ([] if dev else ["1", "2", "3"])

    def zone_of_database(self, dev: bool) -> str:
        return self.database_zone if self.database_zone is not None else ("" if dev else "1")

    def zone_of_standby(self, dev: bool) -> str:
        return self.database_standby_zone if self.database_standby_zone is not None else ("" if dev else "2")

    def check(self, stack: StackConfig) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        subnets = {"azure.nodeSubnetCidr": self.node_subnet_cidr, "azure.databaseSubnetCidr": self.database_subnet_cidr}
        for key, subnet in subnets.items():
            if not subnet.subnet_of(stack.network.cidr):
                problems.append((key, f"{subnet} is outside network.cidr ({stack.network.cidr})"))
        if self.node_subnet_cidr.overlaps(self.database_subnet_cidr):
            problems.append(("azure.databaseSubnetCidr", f"overlaps azure.nodeSubnetCidr ({self.node_subnet_cidr})"))
        if stack.database.high_availability and self.database_tier == "Burstable":
            problems.append(("azure.databaseTier", "Burstable servers cannot be zone-redundant; use GeneralPurpose"))
        zone, standby = self.zone_of_database(stack.is_dev), self.zone_of_standby(stack.is_dev)
        if stack.database.high_availability and zone and zone == standby:
            problems.append(
                ("azure.databaseStandbyZone", f"is the primary's zone ({zone}); zone-redundant needs another")
            )
        family = DATABASE_TIER_FAMILIES[self.database_tier]
        if not self.database_sku.startswith(f"Standard_{family}"):
            problems.append(
                (
                    "azure.databaseSku",
                    f"got {self.database_sku!r}; the {self.database_tier} tier has Standard_{family}* sizes only "
                    f"(Burstable B*, GeneralPurpose D*, MemoryOptimized E*)",
                )
            )
        days = stack.database.backup_retention_days
        if not 7 <= days <= 35:
            problems.append(("database.backupRetentionDays", f"got {days}; Flexible Server keeps 7 to 35 days"))
        if self.flow_logs and stack.network.flow_log_retention_days > 365:
            problems.append(
                (
                    "network.flowLogRetentionDays",
                    f"got {stack.network.flow_log_retention_days}; VNet flow logs keep at most 365 days",
                )
            )
        for index, team in enumerate(stack.teams):
            # AKS puts Entra ID group object IDs into tokens, so RoleBindings and role assignments name those.
            try:
                _object_id(team.identity_group)
            except ValueError as error:
                problems.append((f"teams.{index}.identityGroup", f"got {team.identity_group!r}; {error}"))
        pools = stack.node_pools
        for key, pool in (("system", pools.system), ("cpuSpot", pools.cpu_spot), ("gpuSpot", pools.gpu_spot)):
            if len(pool.machine_types) != 1 or not pool.machine_types[0].startswith("Standard_"):
                problems.append(
                    (
                        f"nodePools.{key}.machineTypes",
                        f"got {pool.machine_types}; an AKS node pool has exactly one Azure VM size (Standard_...)",
                    )
                )
        return problems
