"""Every platform pod requests CPU and memory and has a memory limit, through the keys its chart really reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import stack_run
from tests.k8s_platform.helpers import release_names, values

RESOURCE_KEYS: dict[str, tuple[str, ...]] = {
    # Where each rendered pod (containers and init containers) reads `resources`, at the pinned chart versions:
    # argo-cd 10.1.1, cert-manager v1.21.1, external-secrets 2.9.0, gateway-helm v1.9.0 (the certgen hook Job),
    # argo-workflows 1.0.18, kube-prometheus-stack 88.5.3 (grafana 12.11.1, kube-state-metrics 8.4.0,
    # prometheus-node-exporter 4.56.1 subcharts), karpenter 1.14.1, nvidia-device-plugin 0.20.0, seaweedfs
    # 4.44.0, cloudnative-pg 0.29.0. mlflow 1.11.5's init containers (dbchecker, ini-file-initializer) have no
    # resources value; the pod's requests come from its main container.
    "argocd": (
        "controller.resources",
        "repoServer.resources",
        "repoServer.copyutil.resources",
        "server.resources",
        "redis.resources",
        "applicationSet.resources",
        "notifications.resources",
        "redisSecretInit.resources",
    ),
    "cert-manager": ("resources", "webhook.resources", "cainjector.resources", "startupapicheck.resources"),
    "external-secrets": ("resources", "webhook.resources", "certController.resources"),
    "envoy-gateway": ("certgen.job.resources",),
    "argo-workflows": ("controller.resources", "server.resources", "crds.upgradeJob.resources"),
    "kube-prometheus-stack": (
        "grafana.resources",
        "grafana.sidecar.resources",
        "kube-state-metrics.resources",
        "prometheus-node-exporter.resources",
        "prometheusOperator.resources",
        "prometheusOperator.admissionWebhooks.patch.resources",
        "prometheus.prometheusSpec.resources",
        "alertmanager.alertmanagerSpec.resources",
    ),
    "karpenter": ("controller.resources",),
    "nvidia-device-plugin": ("resources",),
    "seaweedfs": ("allInOne.resources", "allInOne.s3.createBucketsHook.resources"),
    "cloudnative-pg": ("resources",),
}


def _at(tree: Any, path: str) -> Any:
    for key in path.split("."):
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree


CASES = [
    (stack, release, path)
    for stack in ("dev-aws", "dev-local")
    for release, paths in RESOURCE_KEYS.items()
    for path in paths
    if not (stack == "dev-local" and release == "karpenter")
    and not (stack == "dev-aws" and release in ("seaweedfs", "cloudnative-pg"))
]


@pytest.mark.parametrize(("stack", "release", "path"), CASES)
def test_every_platform_pod_requests_cpu_and_memory_and_limits_memory(stack: str, release: str, path: str) -> None:
    run = stack_run(stack)
    assert release in release_names(run)
    block = _at(values(run, release), path) or {}
    assert set(block.get("requests", {})) >= {"cpu", "memory"}, f"{release}: {path}"
    assert "memory" in block.get("limits", {}), f"{release}: {path}"
