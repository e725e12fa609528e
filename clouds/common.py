"""Pieces every cloud foundation builds the same way: the exec-plugin kubeconfig, the Kubernetes provider and
the placement of platform controllers on the system pool."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import PodPlacement, toleration
from config.model import SystemNodePool

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def exec_kubeconfig(name: str, server: str, ca_data: str | None, command: str, **exec_fields: Any) -> str:
    """A one-cluster kubeconfig whose user runs `command` for short-lived tokens: it holds no credential.

    JSON, which every kubeconfig reader accepts as YAML. `exec_fields` are further exec settings in kubeconfig
    spelling (`args`, `installHint`, `provideClusterInfo`, `interactiveMode`). `ca_data` None: the server's
    certificate is publicly trusted (GKE's DNS-based endpoint)."""
    exec_ = {"apiVersion": EXEC_API_VERSION, "command": command, **exec_fields}
    cluster = {"server": server} | ({"certificate-authority-data": ca_data} if ca_data is not None else {})
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": cluster}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [{"name": name, "user": {"exec": exec_}}],
        },
        indent=2,
    )


def kubernetes_provider(
    name: str,
    kubeconfig: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> k8s.Provider:
    """The provider the platform layer deploys with: the foundation's (secret) kubeconfig, server-side apply."""
    return k8s.Provider(
        f"{name}-kubernetes",
        kubeconfig=kubeconfig,
        enable_server_side_apply=True,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def system_pool_placement(
    pool: SystemNodePool,
    node_labels: Mapping[str, str],
    cloud_tolerations: Sequence[Mapping[str, str]] = (),
) -> PodPlacement:
    """Platform controllers on the on-demand system pool: they tolerate its taints (the configured ones and any
    the cloud adds itself, e.g. AKS's `CriticalAddonsOnly`) and prefer its nodes' labels, so they never land
    on, or wait for, evictable spot capacity."""
    return PodPlacement(
        tolerations=[*(dict(t) for t in cloud_tolerations), *(toleration(t) for t in pool.taints)],
        preferred_node_labels=dict(node_labels),
    )
