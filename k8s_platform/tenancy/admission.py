"""Kyverno and the pod admission policies: what may run anywhere, and what team workloads must look like.

Cluster-wide: no privileged containers or host namespaces (outside namespaces the platform labelled
`privileged` for its node agents; Kyverno itself skips kube-system), and GPU pods must tolerate the GPU taint.
In team namespaces: requests and limits, non-root, and images only from the stack's registry, the configured
registries, and the two images the platform injects into team pods (Argo's executor, KServe's initializer).
Pod Security Admission already enforces `restricted` in team namespaces; Kyverno adds what PSA cannot
express (registries, resources, GPU tolerations) and a PolicyReport of every violation in Audit mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from config.model import GPU_TAINT
from config.operations import AdmissionMode
from k8s_platform.catalog import KYVERNO
from k8s_platform.helm import helm_release
from k8s_platform.namespace import namespace
from k8s_platform.options import ReadyComponent
from k8s_platform.placement import PlatformPods
from k8s_platform.tenancy.teams import TENANT_LABEL

PLATFORM_INJECTED_IMAGES = ("quay.io/argoproj/*", "kserve/*", "docker.io/kserve/*")
"""Argo adds its executor to every workflow pod; KServe adds its storage initializer to every model pod."""

# Only creation and update are checked: a DELETE carries no pod spec to validate.
_POD_WRITES = {"kinds": ["Pod"], "operations": ["CREATE", "UPDATE"]}
_ANY_POD = {"resources": _POD_WRITES}
_TEAM_PODS = {"resources": {**_POD_WRITES, "namespaceSelector": {"matchLabels": {TENANT_LABEL: "true"}}}}
_PRIVILEGED_NAMESPACES = {
    "resources": {"namespaceSelector": {"matchLabels": {"pod-security.kubernetes.io/enforce": "privileged"}}}
}
_GPU = GPU_TAINT.key
_KEYLESS_EXISTS_TOLERATIONS = "{{ length(request.object.spec.tolerations[?!key && operator == 'Exists'] || `[]`) }}"


@dataclass(frozen=True)
class AdmissionArgs:
    failure_action: AdmissionMode
    allowed_registries: Sequence[pulumi.Input[str]]
    """Registry prefixes team images may come from: the contract's registry plus configured ones."""
    pods: PlatformPods
    """Placement and priority; in high availability three admission replicas (with the chart's PDB and
    anti-affinity) instead of one."""


def _containers(pattern: dict[str, Any]) -> dict[str, Any]:
    """A pod-spec pattern applied to every container, init container and ephemeral container."""
    return {
        "spec": {
            "=(ephemeralContainers)": [pattern],
            "=(initContainers)": [pattern],
            "containers": [pattern],
        }
    }


def _rule(name: str, match: dict[str, Any], validate: dict[str, Any], action: AdmissionMode, **extra: Any) -> dict:
    return {
        "name": name,
        "match": {"any": [match]},
        **extra,
        "validate": {"failureAction": action.value, **validate},
    }


def image_pattern(registries: Sequence[str]) -> str:
    """Kyverno's alternation of glob patterns: `a/* | b/*`."""
    return " | ".join(r if r.endswith("*") else f"{r.rstrip('/')}/*" for r in registries)


def cluster_policies(action: AdmissionMode, registry_pattern: pulumi.Input[str]) -> dict[str, dict[str, Any]]:
    """Policy name -> ClusterPolicy spec: the admission design as data, in one place to test."""
    exclude_privileged = {"exclude": {"any": [_PRIVILEGED_NAMESPACES]}}
    return {
        "disallow-privileged-and-host-namespaces": {
            "rules": [
                _rule(
                    "privileged-containers",
                    _ANY_POD,
                    {
                        "message": "Privileged containers are not allowed.",
                        "pattern": _containers({"=(securityContext)": {"=(privileged)": "false"}}),
                    },
                    action,
                    **exclude_privileged,
                ),
                _rule(
                    "host-namespaces",
                    _ANY_POD,
                    {
                        "message": "Sharing the host's network, PID or IPC namespace is not allowed.",
                        "pattern": {"spec": {"=(hostNetwork)": "false", "=(hostPID)": "false", "=(hostIPC)": "false"}},
                    },
                    action,
                    **exclude_privileged,
                ),
            ]
        },
        "require-requests-and-limits": {
            "rules": [
                _rule(
                    "cpu-memory-requests-memory-limit",
                    _TEAM_PODS,
                    {
                        "message": "Every container needs CPU and memory requests and a memory limit.",
                        "pattern": {
                            "spec": {
                                "containers": [
                                    {
                                        "resources": {
                                            "requests": {"cpu": "?*", "memory": "?*"},
                                            "limits": {"memory": "?*"},
                                        }
                                    }
                                ]
                            }
                        },
                    },
                    action,
                )
            ]
        },
        "require-run-as-non-root": {
            "rules": [
                _rule(
                    "run-as-non-root",
                    _TEAM_PODS,
                    {
                        "message": "Set runAsNonRoot: true on the pod or on every container.",
                        "anyPattern": [
                            {
                                "spec": {
                                    "securityContext": {"runAsNonRoot": "true"},
                                    **_containers({"=(securityContext)": {"=(runAsNonRoot)": "true"}})["spec"],
                                }
                            },
                            _containers({"securityContext": {"runAsNonRoot": "true"}}),
                        ],
                    },
                    action,
                )
            ]
        },
        "restrict-image-registries": {
            "rules": [
                _rule(
                    "allowed-registries",
                    _TEAM_PODS,
                    {
                        "message": "Images must come from the platform's registry or a registry allowed in config.",
                        "pattern": _containers({"image": registry_pattern}),
                    },
                    action,
                )
            ]
        },
        "require-gpu-toleration": {
            "rules": [
                _rule(
                    "gpu-pods-tolerate-gpu-taint",
                    _ANY_POD,
                    {
                        "message": f"Pods that request GPUs must tolerate the {_GPU} taint, or they never schedule.",
                        "deny": {
                            "conditions": {
                                "all": [
                                    {
                                        "key": _GPU,
                                        "operator": "AnyNotIn",
                                        "value": "{{ request.object.spec.tolerations[].key || `[]` }}",
                                    },
                                    {  # a key-less `operator: Exists` toleration tolerates every taint
                                        "key": _KEYLESS_EXISTS_TOLERATIONS,
                                        "operator": "Equals",
                                        "value": 0,
                                    },
                                ]
                            }
                        },
                    },
                    action,
                    preconditions={
                        "any": [
                            {
                                "key": (
                                    f'{{{{ length(request.object.spec.containers[?resources.limits."{_GPU}" '
                                    f'|| resources.requests."{_GPU}"] || `[]`) }}}}'
                                ),
                                "operator": "GreaterThan",
                                "value": 0,
                            }
                        ]
                    },
                )
            ]
        },
    }


class Admission(ReadyComponent):
    def __init__(self, name: str, args: AdmissionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:Admission", name, opts)
        ns = namespace(KYVERNO.namespace, self.child())
        pods = args.pods
        placed = {"priorityClassName": pods.priority_class, "nodeAffinity": pods.node_affinity()}
        controller = {"replicas": 3 if pods.high_availability else 1, **placed}
        helpers = {"replicas": pods.replicas(), **placed}
        release = helm_release(
            "kyverno",
            KYVERNO,
            {
                # The chart adds a PDB and spreads replicas across nodes whenever replicas > 1.
                "global": {"tolerations": pods.tolerations()},
                "admissionController": controller,
                "backgroundController": helpers,
                "cleanupController": helpers,
                "reportsController": helpers,
            },
            self.child(ns),
        )
        registries = pulumi.Output.all(*args.allowed_registries).apply(
            lambda regs: image_pattern([*regs, *PLATFORM_INJECTED_IMAGES])
        )
        for policy_name, spec in cluster_policies(args.failure_action, registries).items():
            k8s.apiextensions.CustomResource(
                policy_name,
                api_version="kyverno.io/v1",
                kind="ClusterPolicy",
                metadata={"name": policy_name},
                spec={"background": True, "admission": True, **spec},
                opts=self.child(release),
            )
        self.register_outputs({"failureAction": args.failure_action.value})
