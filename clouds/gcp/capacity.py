"""Node pools: a small on-demand system pool, and CPU and GPU spot pools that scale from zero."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_gcp as gcp

from clouds.contract import NODE_POOL_LABEL
from clouds.gcp.cluster import CLOUD_PLATFORM_SCOPE, SHIELDED
from config.model import GpuSpotNodePool, NodePool, NodePools, TaintEffect

GKE_TAINT_EFFECT = {
    TaintEffect.NO_SCHEDULE: "NO_SCHEDULE",
    TaintEffect.PREFER_NO_SCHEDULE: "PREFER_NO_SCHEDULE",
    TaintEffect.NO_EXECUTE: "NO_EXECUTE",
}
"""The config speaks Kubernetes; the GKE API spells effects in upper snake case."""
SYSTEM_POOL = "system"
"""Every node carries its pool's name under `NODE_POOL_LABEL`; the platform prefers this one for controllers."""


@dataclass(frozen=True)
class GkeNodePoolsArgs:
    cluster_name: pulumi.Input[str]
    location: pulumi.Input[str]
    node_service_account: pulumi.Input[str]
    pools: NodePools
    gpu_driver_version: Literal["DEFAULT", "LATEST"]
    network_tags: Sequence[str] = ()
    """The VPC firewall rules (health checks, control-plane webhooks) target nodes by these."""
    system_zones: Sequence[str] = ()
    """Zones of the system pool; empty: the cluster's node locations."""
    labels: Mapping[str, str] | None = None


class GkeNodePools(pulumi.ComponentResource):
    system: gcp.container.NodePool
    """In-cluster workloads wait for this pool: it is where the platform's controllers run."""
    cpu_spot: gcp.container.NodePool
    gpu_spot: gcp.container.NodePool

    def __init__(self, name: str, args: GkeNodePoolsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:GkeNodePools", name, None, opts)
        self._args = args
        pools = args.pools
        # One node per zone to start with, so the controllers have somewhere to run; the autoscaler then keeps
        # the pool between its total minimum and maximum.
        self.system = self._pool(
            f"{name}-system", SYSTEM_POOL, pools.system, initial_per_zone=1, zones=args.system_zones
        )
        self.cpu_spot = self._pool(f"{name}-cpu-spot", "cpu-spot", pools.cpu_spot)
        self.gpu_spot = self._pool(f"{name}-gpu-spot", "gpu-spot", pools.gpu_spot, gpu=pools.gpu_spot)
        self.register_outputs({"pools": [self.system.name, self.cpu_spot.name, self.gpu_spot.name]})

    def _pool(
        self,
        resource_name: str,
        pool_name: str,
        pool: NodePool,
        initial_per_zone: int = 0,
        gpu: GpuSpotNodePool | None = None,
        zones: Sequence[str] = (),
    ) -> gcp.container.NodePool:
        args = self._args
        accelerators: list[gcp.container.NodePoolNodeConfigGuestAcceleratorArgsDict] = (
            [
                {
                    "type": gpu.gpu_type,
                    "count": gpu.gpus_per_node,
                    # GKE installs the driver and runs the NVIDIA device plugin itself.
                    "gpu_driver_installation_config": {"gpu_driver_version": args.gpu_driver_version},
                }
            ]
            if gpu is not None
            else []
        )
        return gcp.container.NodePool(
            resource_name,
            name=pool_name,
            cluster=args.cluster_name,
            location=args.location,
            node_locations=list(zones) or None,
            initial_node_count=initial_per_zone,
            autoscaling={
                "total_min_node_count": pool.min_size,
                "total_max_node_count": pool.max_size,
                # ANY takes spot capacity from whichever zone has it, which cuts preemptions.
                "location_policy": "ANY" if pool.spot else "BALANCED",
            },
            management={"auto_repair": True, "auto_upgrade": True},
            upgrade_settings={"strategy": "SURGE", "max_surge": 1, "max_unavailable": 0},
            node_config={
                "machine_type": pool.machine_types[0],
                "disk_size_gb": pool.disk_size_gb,
                "disk_type": "pd-balanced",
                "image_type": "COS_CONTAINERD",
                "spot": pool.spot,
                "service_account": args.node_service_account,
                "oauth_scopes": [CLOUD_PLATFORM_SCOPE],
                "labels": {**pool.labels, NODE_POOL_LABEL: pool_name},
                "taints": [
                    {"key": taint.key, "value": taint.value, "effect": GKE_TAINT_EFFECT[taint.effect]}
                    for taint in pool.taints
                ],
                "guest_accelerators": list(accelerators),
                "shielded_instance_config": SHIELDED,
                # Pods see the GKE metadata server (Workload Identity), never the node's own credentials.
                "workload_metadata_config": {"mode": "GKE_METADATA"},
                "resource_labels": dict(args.labels or {}),
                "tags": list(args.network_tags),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
