"""How platform pods are scheduled: on the system pool, at platform priority, spread and disruption-budgeted.

Every platform chart takes the same three things from here, each through the keys that chart really has:
tolerations and a preferred node affinity from the contract's `platform_placement` (so controllers land on
the on-demand system pool, never on spot nodes), the platform PriorityClass, and, for services that run more
than one replica, anti-affinity across nodes plus a PodDisruptionBudget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import PodPlacement
from k8s_platform.priorities import PLATFORM_CRITICAL

HOSTNAME = "kubernetes.io/hostname"


@dataclass(frozen=True)
class PlatformPods:
    placement: PodPlacement
    high_availability: bool
    """Outside dev: replicated services run `HA_REPLICAS` pods, spread over nodes, under a disruption budget."""
    priority_class: str = PLATFORM_CRITICAL
    workload_tolerations: tuple[Mapping[str, str], ...] = ()
    """For pods the platform starts on behalf of users (workflow steps, CPU model servers): the CPU spot pool's
    taints, configured and cloud-added (AKS's spot taint). On a cluster where every pool is tainted, a pod
    without them never schedules."""

    HA_REPLICAS = 2

    def replicas(self) -> int:
        return self.HA_REPLICAS if self.high_availability else 1

    def tolerations(self) -> list[dict[str, str]]:
        return [dict(t) for t in self.placement.tolerations]

    def workload_pod_tolerations(self) -> list[dict[str, str]]:
        return [dict(t) for t in self.workload_tolerations]

    def node_affinity(self) -> dict[str, Any]:
        """Prefer (not require) the system pool, so a missing label never leaves a controller pending."""
        labels = self.placement.preferred_node_labels
        if not labels:
            return {}
        expressions = [{"key": key, "operator": "In", "values": [value]} for key, value in labels.items()]
        return {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "preference": {"matchExpressions": expressions}}
            ]
        }

    def affinity(self, spread: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Node affinity to the system pool and, with `spread` (the pods' labels), one replica per node if possible."""
        affinity: dict[str, Any] = {}
        if node := self.node_affinity():
            affinity["nodeAffinity"] = node
        if spread:
            affinity["podAntiAffinity"] = {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {"labelSelector": {"matchLabels": dict(spread)}, "topologyKey": HOSTNAME},
                    }
                ]
            }
        return affinity

    def pod_values(self, spread: Mapping[str, str] | None = None, *, priority: bool = True) -> dict[str, Any]:
        """`tolerations`, `affinity` and `priorityClassName`: the key names most charts use for their pods."""
        values: dict[str, Any] = {"tolerations": self.tolerations(), "affinity": self.affinity(spread)}
        if priority:
            values["priorityClassName"] = self.priority_class
        return values


def disruption_budget(
    name: str, namespace: pulumi.Input[str], match_labels: Mapping[str, str], opts: pulumi.ResourceOptions
) -> k8s.policy.v1.PodDisruptionBudget:
    """For charts without a PDB value: a drain may take down one replica at a time, never all of them."""
    return k8s.policy.v1.PodDisruptionBudget(
        name,
        metadata={"name": name, "namespace": namespace},
        spec={"max_unavailable": 1, "selector": {"match_labels": dict(match_labels)}},
        opts=opts,
    )
