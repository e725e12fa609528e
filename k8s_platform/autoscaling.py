"""Node and pod autoscaling from the contract: Karpenter with spot CPU/GPU NodePools, KEDA, NVIDIA GPU support."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import GPU_NODE_LABEL, KarpenterInputs, WorkloadIdentity, Workloads
from config.model import GPU_TAINT, NodePool
from k8s_platform.catalog import DCGM_EXPORTER, KARPENTER, KEDA, NVIDIA_DEVICE_PLUGIN
from k8s_platform.helm import helm_release
from k8s_platform.namespace import namespace, namespace_name
from k8s_platform.options import children_of
from k8s_platform.placement import PlatformPods
from k8s_platform.sizing import SIZES

NODE_CLASSES = {"cpu-spot": "cpu-spot", "gpu-spot": "gpu-spot"}
"""One EC2NodeClass per pool (named like the pool): the class sets the root volume, so each pool's `diskSizeGb`
needs its own."""
"""Put on GPU nodes so the device plugin (its default affinity) and DCGM exporter land only there."""
CRITICAL_ADDONS_ONLY = {"key": "CriticalAddonsOnly", "operator": "Exists"}
"""The Karpenter chart's default toleration, kept when the platform's are added."""
GPU_TOLERATION = {"key": GPU_TAINT.key, "operator": "Exists", "effect": GPU_TAINT.effect.value}


def vcpus(machine_type: str) -> int:
    """vCPUs of an EC2 size (`large` = 2, `xlarge` = 4, `Nxlarge` = 4N); used to turn node counts into CPU limits."""
    match = re.search(r"\.(\d*)xlarge$", machine_type)
    if match:
        return 4 * int(match.group(1) or 1)
    return 2 if machine_type.endswith(".large") else 1


def node_pool_spec(
    pool: NodePool, node_class: str, *, gpus_per_node: int = 0, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """A spot NodePool capped at the pool's maxSize worth of capacity; empty or underused nodes are removed,
    so the pool sits at zero nodes until pods ask for it."""
    limits: dict[str, Any] = {"cpu": str(pool.max_size * max(vcpus(t) for t in pool.machine_types))}
    if gpus_per_node:
        limits["nvidia.com/gpu"] = str(pool.max_size * gpus_per_node)
    return {
        "template": {
            "metadata": {"labels": {**pool.labels, **(labels or {})}},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": node_class},
                "requirements": [
                    {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(pool.machine_types)},
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                ],
                "taints": [{"key": t.key, "value": t.value, "effect": t.effect.value} for t in pool.taints],
                "expireAfter": "720h",  # monthly node refresh picks up patched AMIs
            },
        },
        "limits": limits,
        "disruption": {
            "consolidationPolicy": "WhenEmptyOrUnderutilized",
            "consolidateAfter": "5m",
            "budgets": [{"nodes": "10%"}],
        },
    }


@dataclass(frozen=True)
class KarpenterArgs:
    version: str
    inputs: KarpenterInputs
    identity: WorkloadIdentity
    pods: PlatformPods


class Karpenter(pulumi.ComponentResource):
    """The Karpenter controller, the EC2NodeClass, and the CPU and GPU spot NodePools."""

    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:Karpenter", name, None, opts)
        child = children_of(self, opts)
        karpenter = args.inputs
        ns = namespace_name(namespace(KARPENTER.namespace, child))
        self.release = helm_release(
            "karpenter",
            KARPENTER,
            {
                "settings": {
                    "clusterName": karpenter.cluster_name,
                    "clusterEndpoint": karpenter.cluster_endpoint,
                    "interruptionQueue": karpenter.interruption_queue_name,
                },
                "serviceAccount": {
                    "name": Workloads.KARPENTER.service_account,
                    "annotations": dict(args.identity.service_account_annotations),
                },
                "podLabels": dict(args.identity.pod_labels),
                # The chart's own affinity (never on a node Karpenter manages, one replica per node) and its
                # system-cluster-critical priority stay: Karpenter must not run on the capacity it removes.
                "tolerations": [CRITICAL_ADDONS_ONLY, *args.pods.tolerations()],
                "controller": {"resources": SIZES["karpenter"]},
                "replicas": args.pods.replicas(),
                "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
            },
            child,
            version=args.version,
            namespace=ns,
        )
        # The nodes these objects launch need the node role's access entry; on destroy they are deleted (and the
        # nodes drained and terminated by Karpenter's finalizers) while Karpenter and that entry still exist.
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.release, *karpenter.node_access])
        discovery = [{"tags": {"karpenter.sh/discovery": karpenter.discovery_tag_value}}]
        for pool_name, pool, spec in (
            ("cpu-spot", karpenter.cpu_pool, node_pool_spec(karpenter.cpu_pool, NODE_CLASSES["cpu-spot"])),
            (
                "gpu-spot",
                karpenter.gpu_pool,
                node_pool_spec(
                    karpenter.gpu_pool,
                    NODE_CLASSES["gpu-spot"],
                    gpus_per_node=karpenter.gpu_pool.gpus_per_node,
                    labels=GPU_NODE_LABEL,
                ),
            ),
        ):
            node_class = k8s.apiextensions.CustomResource(
                f"node-class-{pool_name}",
                api_version="karpenter.k8s.aws/v1",
                kind="EC2NodeClass",
                metadata={"name": NODE_CLASSES[pool_name]},
                spec={
                    "role": karpenter.node_role_name,
                    "amiSelectorTerms": [{"alias": karpenter.ami_alias}],
                    "subnetSelectorTerms": discovery,
                    "securityGroupSelectorTerms": discovery,
                    "blockDeviceMappings": [
                        {
                            "deviceName": "/dev/xvda",
                            "ebs": {
                                "volumeSize": f"{pool.disk_size_gb}Gi",
                                "volumeType": "gp3",
                                "encrypted": True,
                                "deleteOnTermination": True,
                            },
                        }
                    ],
                },
                opts=after_crds,
            )
            # A NodePool names its class; on destroy the pool (and its nodes) goes first.
            k8s.apiextensions.CustomResource(
                f"node-pool-{pool_name}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata={"name": pool_name},
                spec=spec,
                opts=pulumi.ResourceOptions.merge(after_crds, pulumi.ResourceOptions(depends_on=[node_class])),
            )
        self.register_outputs({})


@dataclass(frozen=True)
class KedaArgs:
    version: str
    pods: PlatformPods


class Keda(pulumi.ComponentResource):
    """KEDA from Helm, only where the cloud does not run it as an add-on."""

    def __init__(self, name: str, args: KedaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:Keda", name, None, opts)
        child = children_of(self, opts)
        ns = namespace_name(namespace(KEDA.namespace, child))
        # One replica each: the operator is leader-elected and the metrics server is stateless behind the API.
        self.release = helm_release("keda", KEDA, args.pods.pod_values(), child, version=args.version, namespace=ns)
        self.register_outputs({})


@dataclass(frozen=True)
class GpuSupportArgs:
    device_plugin_version: str
    spot_tolerations: Sequence[Mapping[str, str]] = ()
    """The cloud's own spot taints (AKS): GPU nodes are spot nodes, so the daemons must tolerate them too."""


class GpuSupport(pulumi.ComponentResource):
    """NVIDIA device plugin and DCGM exporter on GPU nodes, tolerating the GPU taint (else nodes never initialise)."""

    def __init__(self, name: str, args: GpuSupportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:GpuSupport", name, None, opts)
        child = children_of(self, opts)
        # Both daemons read host devices and the kubelet's pod-resources socket.
        ns = namespace_name(namespace(NVIDIA_DEVICE_PLUGIN.namespace, child, "privileged"))
        spot = [dict(t) for t in args.spot_tolerations]
        helm_release(
            "nvidia-device-plugin",
            NVIDIA_DEVICE_PLUGIN,
            {
                "tolerations": [GPU_TOLERATION, *spot, {"key": "CriticalAddonsOnly", "operator": "Exists"}],
                "resources": SIZES["nvidia-device-plugin"],
                # Node Feature Discovery (subchart, condition `nfd.enabled,gfd.enabled` at 0.20.0) stays off
                # explicitly: it would only label GPU nodes, which every foundation labels
                # `nvidia.com/gpu.present=true` itself (the plugin's affinity accepts it), and its master, worker and
                # prune hook would be untolerated pods on a tainted cluster.
                "nfd": {"enabled": False},
            },
            child,
            version=args.device_plugin_version,
            namespace=ns,
        )
        helm_release(
            "dcgm-exporter",
            DCGM_EXPORTER,
            {
                "tolerations": [GPU_TOLERATION, *spot],
                "nodeSelector": GPU_NODE_LABEL,
                "serviceMonitor": {"enabled": False},
            },
            child,
            namespace=ns,
        )
        self.register_outputs({})
