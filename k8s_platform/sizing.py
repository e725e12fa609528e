"""CPU and memory for every platform pod: requests so the scheduler and capacity planning see them, memory
limits so a leak is killed in its own container rather than starving the node.

Figures follow each project's guidance where it gives one (cited per entry) and otherwise what the component
uses on a small cluster (idle plus headroom); memory limits sit at about twice the request, except where
upstream asks for request = limit (Karpenter). Change a size here, not in a chart's values.
"""

from __future__ import annotations

from typing import Any


def resources(cpu: str, memory: str, memory_limit: str) -> dict[str, Any]:
    """A container's `resources` block: no CPU limit (throttling a controller only slows reconciliation)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}


SIZES: dict[str, dict[str, Any]] = {
    # Argo CD (argo-cd 10.1.1 values.yaml suggests 250m/256Mi for the controller, 10m-100m/32-64Mi for the rest;
    # the controller and repo server cache manifests, so their memory is raised above the examples).
    "argocd-controller": resources("250m", "512Mi", "1Gi"),
    "argocd-repo-server": resources("100m", "256Mi", "1Gi"),
    "argocd-copyutil": resources("10m", "32Mi", "64Mi"),
    "argocd-server": resources("50m", "128Mi", "256Mi"),
    "argocd-redis": resources("50m", "64Mi", "128Mi"),
    "argocd-applicationset": resources("10m", "64Mi", "128Mi"),
    "argocd-notifications": resources("10m", "64Mi", "128Mi"),
    "argocd-redis-secret-init": resources("10m", "32Mi", "64Mi"),
    # cert-manager (docs: "Best practice" page sets requests on every component; cainjector caches Secrets).
    "cert-manager-controller": resources("25m", "128Mi", "256Mi"),
    "cert-manager-webhook": resources("10m", "64Mi", "128Mi"),
    "cert-manager-cainjector": resources("10m", "128Mi", "256Mi"),
    "cert-manager-startupapicheck": resources("10m", "32Mi", "64Mi"),
    # External Secrets Operator: controller, webhook, cert controller.
    "external-secrets": resources("25m", "128Mi", "256Mi"),
    "external-secrets-webhook": resources("10m", "64Mi", "128Mi"),
    "external-secrets-cert-controller": resources("10m", "64Mi", "128Mi"),
    # Envoy Gateway's certgen hook Job (the controller keeps the chart's own 100m/256Mi requests).
    "envoy-gateway-certgen": resources("10m", "32Mi", "128Mi"),
    # Argo Workflows.
    "argo-workflows-controller": resources("100m", "128Mi", "512Mi"),
    "argo-workflows-server": resources("50m", "128Mi", "256Mi"),
    # Karpenter: its getting-started guide sets controller requests = limits of 1 CPU / 1Gi; memory follows it.
    "karpenter": resources("500m", "1Gi", "1Gi"),
    # NVIDIA device plugin (one per GPU node).
    "nvidia-device-plugin": resources("10m", "64Mi", "128Mi"),
    # kube-prometheus-stack: Prometheus holds the head block in memory (about 1-2 GiB for a small cluster at
    # 15 days retention); the rest are small Go services.
    "prometheus": resources("200m", "1Gi", "2Gi"),
    "alertmanager": resources("10m", "64Mi", "128Mi"),
    "prometheus-operator": resources("50m", "128Mi", "256Mi"),
    "kube-state-metrics": resources("10m", "64Mi", "256Mi"),
    "node-exporter": resources("10m", "32Mi", "64Mi"),
    "grafana": resources("100m", "256Mi", "512Mi"),
    "grafana-sidecar": resources("10m", "64Mi", "128Mi"),
}
