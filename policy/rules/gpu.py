"""GPU pools repel ordinary pods (a NoSchedule taint) and can shrink to zero nodes when idle (advisory)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .model import Enforcement, Resource, Rule, as_list, dig

NO_SCHEDULE = ("NoSchedule", "NO_SCHEDULE")
KARPENTER_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
KARPENTER_GPU_KEYS = ("karpenter.k8s.aws/instance-gpu-manufacturer", "karpenter.k8s.aws/instance-gpu-count")
AZURE_GPU_VM = re.compile(r"^Standard_N", re.IGNORECASE)


def check_gpu_pool(resource: Resource) -> list[str]:
    if resource.type == KARPENTER_NODE_POOL:
        return _karpenter(resource)
    if resource.type == "aws:eks/nodeGroup:NodeGroup":
        if "NVIDIA" in str(resource.props.get("amiType", "")).upper():
            return _pool(
                "EKS node group", _tainted(resource.props.get("taints")), resource.get("scalingConfig.minSize")
            )
        return []
    if resource.type == "azure-native:containerservice:AgentPool":
        return _aks_pool(resource.props)
    if resource.type == "azure-native:containerservice:ManagedCluster":
        return [m for pool in as_list(resource.props.get("agentPoolProfiles")) for m in _aks_pool(pool)]
    if resource.type == "gcp:container/nodePool:NodePool":
        if not as_list(resource.get("nodeConfig.guestAccelerators")):
            return []
        # GKE taints GPU nodes with nvidia.com/gpu=present:NoSchedule itself; an explicit taint is optional.
        minimum = resource.get("autoscaling.minNodeCount", resource.get("autoscaling.totalMinNodeCount"))
        return _pool("GKE node pool", True, minimum)
    return []


def _karpenter(resource: Resource) -> list[str]:
    requirements = as_list(resource.get("spec.template.spec.requirements"))
    limits = resource.get("spec.limits")
    is_gpu = any(dig(r, "key") in KARPENTER_GPU_KEYS for r in requirements) or (
        isinstance(limits, Mapping) and "nvidia.com/gpu" in limits
    )
    if not is_gpu:
        return []
    problems = []
    if not _tainted(resource.get("spec.template.spec.taints")):
        problems.append(
            "Karpenter GPU NodePool needs a NoSchedule taint (nvidia.com/gpu) in spec.template.spec.taints."
        )
    if resource.get("spec.disruption.consolidateAfter") == "Never":
        problems.append("Karpenter GPU NodePool must consolidate empty nodes; set spec.disruption.consolidateAfter.")
    return problems


def _aks_pool(pool: Any) -> list[str]:
    if not (AZURE_GPU_VM.match(str(dig(pool, "vmSize", ""))) or dig(pool, "gpuProfile")):
        return []
    taints = [t for t in as_list(dig(pool, "nodeTaints")) if isinstance(t, str)]
    tainted = any(t.endswith(":NoSchedule") for t in taints)
    minimum = dig(pool, "minCount") if dig(pool, "enableAutoScaling") is True else None
    return _pool("AKS GPU agent pool", tainted, minimum)


def _tainted(taints: Any) -> bool:
    return any(dig(t, "effect") in NO_SCHEDULE for t in as_list(taints))


def _pool(kind: str, tainted: bool, minimum: Any) -> list[str]:
    problems = []
    if not tainted:
        problems.append(f"{kind} with GPUs needs a NoSchedule taint (nvidia.com/gpu) so only GPU workloads land there.")
    if minimum != 0:
        problems.append(f"{kind} with GPUs should autoscale with a minimum of 0 nodes (got {minimum!r}).")
    return problems


GPU_POOLS = Rule(
    name="gpu-pool-tainted-and-scales-to-zero",
    description="GPU node pools carry a NoSchedule taint and can scale to zero.",
    enforcement=Enforcement.ADVISORY,
    check=check_gpu_pool,
    fix="Taint GPU pools nvidia.com/gpu=present:NoSchedule (NO_SCHEDULE on EKS/GKE) and set the autoscaler "
    "minimum to 0 (Karpenter: keep consolidation on).",
)
