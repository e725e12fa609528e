"""AKS node pools: the shape of every pool, and the CPU and GPU spot pools that scale from zero."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from clouds.contract import GPU_NODE_LABEL
from config.model import CpuSpotNodePool, GpuSpotNodePool, NodePool, Taint

SYSTEM_TAINT = "CriticalAddonsOnly=true:NoSchedule"
"""Keeps application pods off the system pool; AKS's own add-ons tolerate it."""
SYSTEM_TOLERATION = {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}
"""What platform controllers carry to run on the system pool despite `SYSTEM_TAINT`."""
SYSTEM_POOL_LABEL = {"kubernetes.azure.com/mode": "system"}
"""AKS labels every node of a System-mode pool with this."""
SPOT_PRIORITY_KEY = "kubernetes.azure.com/scalesetpriority"
SPOT_TAINT = f"{SPOT_PRIORITY_KEY}=spot:NoSchedule"
SPOT_TOLERATION = {"key": SPOT_PRIORITY_KEY, "operator": "Equal", "value": "spot", "effect": "NoSchedule"}
"""AKS taints every spot node with `SPOT_TAINT` itself; whatever must run on spot nodes tolerates it."""


def aks_taint(taint: Taint) -> str:
    """`key=value:Effect`: AKS uses the Kubernetes spelling of the effect, so no translation is needed."""
    return f"{taint.key}={taint.value}:{taint.effect.value}"


def pool_settings(
    pool: NodePool,
    *,
    mode: str,
    subnet_id: pulumi.Input[str],
    tags: Mapping[str, str],
    host_encryption: bool,
    zones: Sequence[str],
    gpu: bool = False,
) -> dict[str, Any]:
    """Arguments shared by the inline system pool profile and the separate AgentPool resources."""
    settings: dict[str, Any] = {
        "mode": mode,
        "vm_size": pool.machine_types[0],
        "os_type": "Linux",
        "os_disk_size_gb": pool.disk_size_gb,
        "vnet_subnet_id": subnet_id,
        "enable_auto_scaling": True,
        "count": pool.min_size,  # only the initial size: the autoscaler owns it afterwards (ignore_changes)
        "min_count": pool.min_size,
        "max_count": pool.max_size,
        # The device plugin and DCGM exporter select GPU nodes by this label (AKS sets only its own).
        "node_labels": {**pool.labels, **(GPU_NODE_LABEL if gpu else {})},
        "node_taints": [aks_taint(t) for t in pool.taints] + ([SYSTEM_TAINT] if mode == "System" else []),
        "tags": dict(tags),
        # Temp disks, caches and the OS disk are encrypted on the host too, not only at rest in storage.
        "enable_encryption_at_host": host_encryption,
    }
    if zones:
        # Fixed at creation: a pool spread over zones survives losing one (the autoscaler balances them).
        settings["availability_zones"] = list(zones)
    if pool.spot:
        # Delete (not Deallocate): evicted nodes free their quota; -1 pays up to the on-demand price, so
        # nodes are evicted for capacity only, never for price. Priority and price are fixed at creation.
        settings |= {"scale_set_priority": "Spot", "scale_set_eviction_policy": "Delete", "spot_max_price": -1}
        # AKS adds its spot taint and label to the pool itself. Declared here too, so a refresh finds no drift
        # and a later label/taint update (which replaces the whole list) cannot strip them from the nodes.
        settings["node_taints"].append(SPOT_TAINT)
        settings["node_labels"][SPOT_PRIORITY_KEY] = "spot"
    else:
        settings["upgrade_settings"] = {"max_surge": "33%"}
    if gpu:
        settings["gpu_profile"] = {"driver": "Install"}  # AKS installs the NVIDIA driver; not the device plugin
    return settings


@dataclass(frozen=True)
class NodePoolsArgs:
    resource_group_name: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    cpu_spot: CpuSpotNodePool
    gpu_spot: GpuSpotNodePool
    tags: Mapping[str, str]
    host_encryption: bool = False
    zones: Sequence[str] = ()


class NodePools(pulumi.ComponentResource):
    """User pools beside the cluster's system pool: spot CPU and spot GPU, both autoscaled from zero."""

    cpu_pool: azure_native.containerservice.AgentPool
    gpu_pool: azure_native.containerservice.AgentPool

    def __init__(self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:NodePools", name, None, opts)
        # The cluster autoscaler owns the node count; Pulumi must not reset it on the next update.
        child = pulumi.ResourceOptions(parent=self, ignore_changes=["count"])
        common: dict[str, Any] = {"resource_group_name": args.resource_group_name, "resource_name_": args.cluster_name}
        shape: dict[str, Any] = {
            "subnet_id": args.subnet_id,
            "tags": args.tags,
            "host_encryption": args.host_encryption,
            "zones": args.zones,
        }
        self.cpu_pool = azure_native.containerservice.AgentPool(
            "cpuspot",
            agent_pool_name="cpuspot",
            **common,
            **pool_settings(args.cpu_spot, mode="User", **shape),
            opts=child,
        )
        self.gpu_pool = azure_native.containerservice.AgentPool(
            "gpuspot",
            agent_pool_name="gpuspot",
            **common,
            **pool_settings(args.gpu_spot, mode="User", gpu=True, **shape),
            # Pools sharing a VNet must be created one at a time: AKS sets VNet ownership per pool and fails
            # with SetVNetOwnershipFailed while another pool has the VNet "Updating" (Azure/AKS#4522).
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.cpu_pool])),
        )
        self.register_outputs({"cpuPool": self.cpu_pool.name, "gpuPool": self.gpu_pool.name})
