"""Priority classes: when nodes are short (spot reclaimed, GPU pool at its limit) platform pods win.

`MlopsPlatform` creates them before any of its pods (a pod naming a missing class is rejected), and its
charts and Tenancy's add-ons set `priorityClassName: mlops-platform-critical`; team pods use one of the team
classes (a ResourceQuota in every team namespace forbids the platform class there). Nothing is the global
default, so a pod without a class keeps priority 0, below every class declared here except batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

PLATFORM_CRITICAL = "mlops-platform-critical"
TEAM_SERVING = "mlops-team-serving"
TEAM_BATCH = "mlops-team-batch"


@dataclass(frozen=True)
class Priority:
    value: int
    description: str
    preempts: bool = True


# Far below system-cluster-critical (2,000,000,000) so kube-system's own pods still outrank the platform.
PRIORITIES: Mapping[str, Priority] = {
    PLATFORM_CRITICAL: Priority(1_000_000, "MLOps platform services: MLflow, gateways, controllers, admission."),
    TEAM_SERVING: Priority(10_000, "Team inference services: outrank batch work, never the platform."),
    TEAM_BATCH: Priority(
        -10, "Team training and pipelines: waits for capacity instead of evicting anything.", preempts=False
    ),
}


class PriorityClasses(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:PriorityClasses", name, None, opts)
        for class_name, priority in PRIORITIES.items():
            k8s.scheduling.v1.PriorityClass(
                class_name,
                metadata={"name": class_name},
                value=priority.value,
                global_default=False,
                preemption_policy="PreemptLowerPriority" if priority.preempts else "Never",
                description=priority.description,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
