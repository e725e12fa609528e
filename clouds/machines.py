"""Machine-type facts per cloud and the share of each machine the kubelet leaves to pods (node allocatable).

The stacks size things from these numbers (GPU serving runtimes, the system pool, a local node), so every
figure is the cloud's published one and every reservation formula names the document or source it follows.
Memory is the machine's nominal size; the kernel and firmware keep a further few percent of it out of the
kubelet's capacity, so a sizing that fills allocatable to the last MiB is already too big (callers leave
headroom, see `k8s_platform` sizing).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

Cloud = Literal["aws", "azure", "gcp", "local"]
Arch = Literal["amd64", "arm64"]


@dataclass(frozen=True)
class MachineType:
    cloud: Cloud
    name: str
    vcpu: int
    memory_gib: float
    gpus: int = 0
    gpu_model: str | None = None
    gpu_memory_gib: float = 0.0
    arch: Arch = "amd64"
    max_pods: int | None = None
    """Pods the kubelet admits; None means the cloud's cluster-wide default (see `DEFAULT_MAX_PODS`)."""


@dataclass(frozen=True)
class Allocatable:
    """What the scheduler may place on one node: capacity minus kube/system reservations and eviction threshold."""

    cpu_millicores: int
    memory_mib: int
    pods: int


def _eni_max_pods(enis: int, ipv4_per_eni: int) -> int:
    # Amazon VPC CNI without prefix delegation: one address per pod on every ENI but its primary address, plus
    # the two host-network pods (aws-node, kube-proxy). Source: awslabs/amazon-eks-ami
    # nodeadm/internal/kubelet/eni_max_pods.go (getMaxPodsFromENIInfo); ENI/IP counts from EC2
    # DescribeInstanceTypes (docs.aws.amazon.com/AWSEC2/latest/UserGuide/AvailableIpPerENI.html).
    return enis * (ipv4_per_eni - 1) + 2


def _aws(
    name: str,
    vcpu: int,
    memory_gib: float,
    enis: int,
    ipv4_per_eni: int,
    *,
    gpus: int = 0,
    gpu_model: str | None = None,
    gpu_memory_gib: float = 0.0,
    arch: Arch = "amd64",
) -> MachineType:
    return MachineType(
        "aws", name, vcpu, memory_gib, gpus, gpu_model, gpu_memory_gib, arch, _eni_max_pods(enis, ipv4_per_eni)
    )


# AWS: vCPU, memory and GPU from the EC2 instance-type pages (docs.aws.amazon.com/ec2/latest/instancetypes/),
# ENIs x IPv4 addresses per ENI from the same pages' networking tables. `large` = 3 x 10, `xlarge` and
# `2xlarge` = 4 x 15, `4xlarge` = 8 x 30 for the m/c/g families below; t4g is 3 x 4 / 3 x 6 / 3 x 12.
_AWS = [
    _aws("m6i.large", 2, 8, 3, 10),
    _aws("m6i.xlarge", 4, 16, 4, 15),
    _aws("m6i.2xlarge", 8, 32, 4, 15),
    _aws("m6a.large", 2, 8, 3, 10),
    _aws("m6a.xlarge", 4, 16, 4, 15),
    _aws("m5.large", 2, 8, 3, 10),
    _aws("m5.xlarge", 4, 16, 4, 15),
    _aws("m7i.large", 2, 8, 3, 10),
    _aws("m7i.xlarge", 4, 16, 4, 15),
    _aws("m7i.2xlarge", 8, 32, 4, 15),
    _aws("m7g.large", 2, 8, 3, 10, arch="arm64"),
    _aws("m7g.xlarge", 4, 16, 4, 15, arch="arm64"),
    _aws("m7g.2xlarge", 8, 32, 4, 15, arch="arm64"),
    _aws("t4g.small", 2, 2, 3, 4, arch="arm64"),
    _aws("t4g.medium", 2, 4, 3, 6, arch="arm64"),
    _aws("t4g.large", 2, 8, 3, 12, arch="arm64"),
    _aws("t4g.xlarge", 4, 16, 4, 15, arch="arm64"),
    _aws("c6i.large", 2, 4, 3, 10),
    _aws("c6i.xlarge", 4, 8, 4, 15),
    _aws("c6i.2xlarge", 8, 16, 4, 15),
    _aws("g5.xlarge", 4, 16, 4, 15, gpus=1, gpu_model="NVIDIA A10G", gpu_memory_gib=24),
    _aws("g5.2xlarge", 8, 32, 4, 15, gpus=1, gpu_model="NVIDIA A10G", gpu_memory_gib=24),
    _aws("g5.4xlarge", 16, 64, 8, 30, gpus=1, gpu_model="NVIDIA A10G", gpu_memory_gib=24),
    _aws("g6.xlarge", 4, 16, 4, 15, gpus=1, gpu_model="NVIDIA L4", gpu_memory_gib=24),
    _aws("g6.2xlarge", 8, 32, 4, 15, gpus=1, gpu_model="NVIDIA L4", gpu_memory_gib=24),
    _aws("g6.4xlarge", 16, 64, 8, 30, gpus=1, gpu_model="NVIDIA L4", gpu_memory_gib=24),
    _aws("g4dn.xlarge", 4, 16, 3, 10, gpus=1, gpu_model="NVIDIA T4", gpu_memory_gib=16),
    _aws("g4dn.2xlarge", 8, 32, 3, 10, gpus=1, gpu_model="NVIDIA T4", gpu_memory_gib=16),
]


def _azure(name: str, vcpu: int, memory_gib: float, **gpu: object) -> MachineType:
    return MachineType("azure", name, vcpu, memory_gib, **gpu)  # type: ignore[arg-type]


# Azure: learn.microsoft.com/azure/virtual-machines/sizes (Ddsv5, Dsv5, NCasT4_v3, Bsv2 and B-series pages).
_T4 = {"gpus": 1, "gpu_model": "NVIDIA T4", "gpu_memory_gib": 16.0}
_AZURE = [
    _azure("Standard_D2ds_v5", 2, 8),
    _azure("Standard_D4ds_v5", 4, 16),
    _azure("Standard_D8ds_v5", 8, 32),
    _azure("Standard_D16ds_v5", 16, 64),
    _azure("Standard_D2s_v5", 2, 8),
    _azure("Standard_D4s_v5", 4, 16),
    _azure("Standard_D8s_v5", 8, 32),
    _azure("Standard_NC4as_T4_v3", 4, 28, **_T4),
    _azure("Standard_NC8as_T4_v3", 8, 56, **_T4),
    _azure("Standard_NC16as_T4_v3", 16, 110, **_T4),
    _azure("Standard_B2s", 2, 4),
    _azure("Standard_B2ms", 2, 8),
    _azure("Standard_B4ms", 4, 16),
    _azure("Standard_B2s_v2", 2, 8),
    _azure("Standard_B4s_v2", 4, 16),
    _azure("Standard_B8s_v2", 8, 32),
]


def _gcp(name: str, vcpu: int, memory_gib: float, **gpu: object) -> MachineType:
    return MachineType("gcp", name, vcpu, memory_gib, **gpu)  # type: ignore[arg-type]


# GCP: cloud.google.com/compute/docs/general-purpose-machines (e2, n2, n2d, t2a) and
# cloud.google.com/compute/docs/accelerator-optimized-machines (g2: one L4 per 4/8 vCPU shape).
_L4 = {"gpus": 1, "gpu_model": "NVIDIA L4", "gpu_memory_gib": 24.0}
_GCP = [
    _gcp("e2-standard-2", 2, 8),
    _gcp("e2-standard-4", 4, 16),
    _gcp("e2-standard-8", 8, 32),
    _gcp("e2-highmem-2", 2, 16),
    _gcp("e2-highmem-4", 4, 32),
    _gcp("n2-standard-2", 2, 8),
    _gcp("n2-standard-4", 4, 16),
    _gcp("n2-standard-8", 8, 32),
    _gcp("n2d-standard-4", 4, 16),
    # N1 takes attached GPUs (T4, V100, P4...) chosen separately by `gpuType`; the table holds its CPU/memory.
    _gcp("n1-standard-4", 4, 15),
    _gcp("n1-standard-8", 8, 30),
    _gcp("n1-standard-16", 16, 60),
    _gcp("t2a-standard-4", 4, 16, arch="arm64"),
    _gcp("g2-standard-4", 4, 16, **_L4),
    _gcp("g2-standard-8", 8, 32, **_L4),
    _gcp("g2-standard-12", 12, 48, **_L4),
    _gcp("g2-standard-16", 16, 64, **_L4),
]

_BY_NAME: dict[tuple[str, str], MachineType] = {(m.cloud, m.name): m for m in (*_AWS, *_AZURE, *_GCP)}

DEFAULT_MAX_PODS: dict[str, int] = {
    # AKS with Azure CNI Overlay (what clouds/azure/cluster.py creates) admits 250 pods per node by default
    # (learn.microsoft.com/azure/aks/azure-cni-overlay, "Maximum pods per node").
    "azure": 250,
    # GKE Standard clusters default to 110 pods per node (cloud.google.com/kubernetes-engine/docs/how-to/
    # flexible-pod-cidr); the cluster sets no other default.
    "gcp": 110,
    # A local cluster runs the upstream kubelet default (kubelet --max-pods).
    "local": 110,
}

EVICTION_HARD_MEMORY_MIB = 100
"""`memory.available<100Mi`: the upstream kubelet default that EKS AL2023, AKS 1.29+ and GKE all keep."""


def machine_type(cloud: str, name: str) -> MachineType | None:
    """The published shape of `name` on `cloud`, or None when this table does not know it."""
    return _BY_NAME.get((cloud, name))


def local_node(vcpu: int, memory_gib: float) -> MachineType:
    """A local (kind/k3d/minikube) node: the kubelet reserves nothing unless told to."""
    return MachineType("local", f"local-{vcpu}cpu-{memory_gib:g}gib", vcpu, memory_gib)


def _tiered(total: float, tiers: list[tuple[float, float]]) -> float:
    """Sum of `share` of the part of `total` inside each (upper bound, share) tier, tiers in ascending order."""
    reserved, lower = 0.0, 0.0
    for upper, share in tiers:
        if total > lower:
            reserved += (min(total, upper) - lower) * share
        lower = upper
    return reserved


_INF = float("inf")

# CPU kube-reserved on GKE and EKS: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above
# (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes, "CPU reservations"; EKS AL2023 copies it:
# awslabs/amazon-eks-ami nodeadm/internal/kubelet/config.go, getCPUMillicoresToReserve).
_CPU_TIERS = [(1000, 0.06), (2000, 0.01), (4000, 0.005), (_INF, 0.0025)]

# AKS publishes a table instead (learn.microsoft.com/azure/aks/node-resource-reservations, "CPU reservations"):
# cores on the host -> kube-reserved millicores. Between two rows the reservation grows linearly.
_AKS_CPU_TABLE = [(1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740)]

# GKE memory: 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above
# 128 GiB; 255 MiB for machines under 1 GiB (plan-node-sizes, "Memory reservations").
_GKE_MEMORY_TIERS = [(4096, 0.25), (8192, 0.20), (16384, 0.10), (131072, 0.06), (_INF, 0.02)]


def pods(machine: MachineType) -> int:
    if machine.max_pods is not None:
        return machine.max_pods
    return DEFAULT_MAX_PODS[machine.cloud]


def kube_reserved_memory_mib(machine: MachineType) -> int:
    memory_mib = machine.memory_gib * 1024
    max_pods = pods(machine)
    if machine.cloud == "aws":
        # EKS AL2023: 11 MiB per pod plus 255 MiB, independent of the machine's memory
        # (awslabs/amazon-eks-ami nodeadm/internal/kubelet/config.go, getMemoryMebibytesToReserve).
        return 11 * max_pods + 255
    if machine.cloud == "azure":
        # AKS 1.29 and later: the smaller of 20 MB per pod + 50 MB and 25% of the memory
        # (learn.microsoft.com/azure/aks/node-resource-reservations); MB read as MiB, the safer side.
        return int(min(20 * max_pods + 50, 0.25 * memory_mib))
    if machine.cloud == "gcp":
        if memory_mib < 1024:
            return 255
        return int(_tiered(memory_mib, _GKE_MEMORY_TIERS))
    return 0


def _aks_cpu_millicores(cores: int) -> int:
    (first_cores, first), *_ = _AKS_CPU_TABLE
    if cores <= first_cores:
        return first
    for (lower, low), (upper, high) in pairwise(_AKS_CPU_TABLE):
        if cores <= upper:
            return low + (high - low) * (cores - lower) // (upper - lower)
    (last_cores, last), (before_cores, before) = _AKS_CPU_TABLE[-1], _AKS_CPU_TABLE[-2]
    return last + (last - before) * (cores - last_cores) // (last_cores - before_cores)


def kube_reserved_cpu_millicores(machine: MachineType) -> int:
    if machine.cloud == "local":
        return 0
    if machine.cloud == "azure":
        return _aks_cpu_millicores(machine.vcpu)
    return int(_tiered(machine.vcpu * 1000, _CPU_TIERS))


def allocatable(machine: MachineType) -> Allocatable:
    """Node allocatable after the cloud's documented reservations and the hard eviction threshold."""
    memory_mib = int(machine.memory_gib * 1024)
    return Allocatable(
        cpu_millicores=machine.vcpu * 1000 - kube_reserved_cpu_millicores(machine),
        memory_mib=memory_mib - kube_reserved_memory_mib(machine) - EVICTION_HARD_MEMORY_MIB,
        pods=pods(machine),
    )


NODE_DAEMONS = Allocatable(cpu_millicores=500, memory_mib=1024, pods=10)
"""What the DaemonSets on every node request together (CNI, kube-proxy, CSI node, identity agent, node-exporter,
log agent, GPU device plugin and DCGM exporter on GPU nodes): left free when one pod is sized to fill a node."""

KERNEL_MEMORY_SHARE = 0.05
"""The kernel and firmware keep a few percent of a machine's nominal memory out of the kubelet's capacity
(e.g. an 8 GiB m6i.large reports about 7.6 GiB), which the published reservation formulas do not count."""


def largest_pod(machine: MachineType) -> Allocatable:
    """The biggest requests one pod may make and still schedule on an otherwise empty node of `machine`."""
    node = allocatable(machine)
    kernel = int(machine.memory_gib * 1024 * KERNEL_MEMORY_SHARE)
    return Allocatable(
        cpu_millicores=max(node.cpu_millicores - NODE_DAEMONS.cpu_millicores, 0),
        memory_mib=max(node.memory_mib - kernel - NODE_DAEMONS.memory_mib, 0),
        pods=1,
    )


def largest_pod_on_every(cloud: str, names: list[str] | tuple[str, ...]) -> Allocatable | None:
    """What fits on every machine type of a pool (the autoscaler may start any of them); None if one is unknown."""
    machines = [machine_type(cloud, name) for name in names]
    if not machines or any(m is None for m in machines):
        return None
    fits = [largest_pod(m) for m in machines if m is not None]
    return Allocatable(min(f.cpu_millicores for f in fits), min(f.memory_mib for f in fits), 1)
