"""Observability: kube-prometheus-stack, scrape targets for the platform's services, dashboards and alerts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import PlatformSecrets
from config.model import Component
from k8s_platform.catalog import KUBE_PROMETHEUS_STACK
from k8s_platform.external_secrets import ExternalSecrets
from k8s_platform.helm import helm_release, pinned
from k8s_platform.namespace import namespace, namespace_name
from k8s_platform.options import children_of
from k8s_platform.placement import PlatformPods
from k8s_platform.sizing import SIZES

GRAFANA_SERVICE = "kube-prometheus-stack-grafana"
GRAFANA_PORT = 80
PROMETHEUS_PORT = 9090
"""The Prometheus Service's port (the chart's `prometheus.service.port`): OpenCost and KEDA query it."""
GRAFANA_ADMIN_SECRET = "grafana-admin"
MONITORING_API = "monitoring.coreos.com/v1"


@dataclass(frozen=True)
class ScrapeTarget:
    """A service's metrics endpoint: ServiceMonitor when it has a Service, PodMonitor otherwise."""

    name: str
    namespace: str
    selector: dict[str, Any]
    """A label selector (matchLabels / matchExpressions)."""
    port: str | int
    """Port name, or number for pods whose port has no stable name (model servers)."""
    path: str = "/metrics"
    pods: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    expr: str
    unit: str = "short"


DASHBOARDS: dict[str, Sequence[Panel]] = {
    "GPU utilisation": (
        Panel("GPU utilisation by node", "avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL)", "percent"),
        Panel("GPU memory used", "sum by (Hostname) (DCGM_FI_DEV_FB_USED) * 1024 * 1024", "bytes"),
        Panel("GPU power draw", "sum by (Hostname) (DCGM_FI_DEV_POWER_USAGE)", "watt"),
    ),
    "Inference": (
        Panel(
            "Predict latency p95 by model",
            "histogram_quantile(0.95, sum by (le, namespace, pod) (rate(request_predict_seconds_bucket[5m])))",
            "s",
        ),
        Panel(
            "Gateway 5xx ratio by backend",
            'sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="5"}[5m]))'
            " / sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_total[5m]))",
            "percentunit",
        ),
    ),
    "Cost drivers": (
        Panel("Nodes by capacity type", "count by (label_karpenter_sh_capacity_type) (kube_node_labels)"),
        Panel("GPUs allocatable", 'sum(kube_node_status_allocatable{resource="nvidia_com_gpu"})'),
        Panel(
            "CPU requested vs allocatable",
            'sum(kube_pod_container_resource_requests{resource="cpu"})'
            ' / sum(kube_node_status_allocatable{resource="cpu"})',
            "percentunit",
        ),
        Panel("Pending pods", 'sum(kube_pod_status_phase{phase="Pending"})'),
    ),
}

ALERTS: tuple[dict[str, Any], ...] = (
    {
        "alert": "InferenceErrorRateHigh",
        "expr": 'sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="5"}[5m]))'
        " / sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_total[5m])) > 0.05",
        "for": "10m",
        "labels": {"severity": "warning"},
        "annotations": {"summary": "More than 5% of requests to {{ $labels.envoy_cluster_name }} fail"},
    },
    {
        "alert": "GpuNodeIdle",
        "expr": "avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL) < 5",
        "for": "30m",
        "labels": {"severity": "info"},
        "annotations": {"summary": "GPU node {{ $labels.Hostname }} has been idle for 30 minutes; it costs money"},
    },
    {
        "alert": "PodsPendingForCapacity",
        "expr": "sum by (namespace) (kube_pod_status_unschedulable) > 0",
        "for": "15m",
        "labels": {"severity": "warning"},
        "annotations": {
            "summary": "Pods in {{ $labels.namespace }} cannot be scheduled: node pools are at their limit"
        },
    },
    {
        "alert": "NodeNotReady",
        "expr": 'kube_node_status_condition{condition="Ready",status="true"} == 0',
        "for": "10m",
        "labels": {"severity": "critical"},
        "annotations": {"summary": "Node {{ $labels.node }} is not Ready"},
    },
)


def dashboard_json(title: str, panels: Sequence[Panel]) -> str:
    """A minimal Grafana dashboard: one time-series panel per query, two per row."""
    return json.dumps(
        {
            "title": title,
            "uid": title.lower().replace(" ", "-"),
            "schemaVersion": 39,
            "time": {"from": "now-6h", "to": "now"},
            "panels": [
                {
                    "id": index + 1,
                    "type": "timeseries",
                    "title": panel.title,
                    "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
                    "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                    "targets": [{"expr": panel.expr, "refId": "A"}],
                }
                for index, panel in enumerate(panels)
            ],
        },
        indent=2,
    )


@dataclass(frozen=True)
class MonitoringArgs:
    component: Component
    targets: Sequence[ScrapeTarget]
    secrets: ExternalSecrets | None
    pods: PlatformPods
    control_plane_metrics: bool = True
    """False: the cloud runs the control plane (`PlatformContract.control_plane_metrics`)."""


CONTROL_PLANE_MONITORS = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")
"""The chart's ServiceMonitors for control-plane components; turning one off also drops its alerting rules
(kube-prometheus-stack 88.5.3 `templates/prometheus/rules-1.14/*`), which would otherwise fire forever."""


class Monitoring(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:Monitoring", name, None, opts)
        child = children_of(self, opts)
        # node-exporter needs the host's network and PID namespaces.
        ns = namespace_name(namespace(KUBE_PROMETHEUS_STACK.namespace, child, "privileged"))
        grafana_admin: dict[str, Any] = {}
        before_grafana: list[pulumi.Resource] = []
        if args.secrets is not None:
            # Grafana cannot start without its admin Secret, and the release waits for Grafana.
            before_grafana.append(
                args.secrets.external_secret(
                    "grafana-admin",
                    ns,
                    GRAFANA_ADMIN_SECRET,
                    {"admin-password": PlatformSecrets.GRAFANA_ADMIN_PASSWORD},
                    child,
                    template={"data": {"admin-user": "admin", "admin-password": '{{ index . "admin-password" }}'}},
                )
            )
            grafana_admin = {
                "admin": {
                    "existingSecret": GRAFANA_ADMIN_SECRET,
                    "userKey": "admin-user",
                    "passwordKey": "admin-password",
                }
            }
        pods = args.pods
        replicas = pods.replicas()
        placed = {"tolerations": pods.tolerations(), "affinity": pods.affinity()}
        # Prometheus and Alertmanager keep the chart's soft anti-affinity preset; the affinity adds the node pool.
        replicated = {**placed, "priorityClassName": pods.priority_class, "replicas": replicas}
        sized = {"resources": SIZES["grafana"], "sidecar": {"resources": SIZES["grafana-sidecar"]}}
        budget = {"enabled": replicas > 1, "minAvailable": 1}
        self.release = helm_release(
            "kube-prometheus-stack",
            KUBE_PROMETHEUS_STACK,
            {
                "crds": {"enabled": True},
                # Subcharts (grafana 12.11.1, kube-state-metrics 8.4.0) read `priorityClassName` in their templates.
                "grafana": {
                    **grafana_admin,
                    "resources": sized["resources"],
                    "sidecar": {**sized["sidecar"], "dashboards": {"enabled": True, "searchNamespace": "ALL"}},
                    # The chart's connection test is a `helm test` hook pod nobody runs, untolerated and unsized.
                    "testFramework": {"enabled": False},
                    **pods.pod_values(),
                },
                "kube-state-metrics": {**pods.pod_values(), "resources": SIZES["kube-state-metrics"]},
                "prometheus-node-exporter": {"resources": SIZES["node-exporter"]},
                "prometheus": {
                    "prometheusSpec": {
                        # Pick up every ServiceMonitor, PodMonitor and rule, not only this release's.
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                        "podMonitorSelectorNilUsesHelmValues": False,
                        "ruleSelectorNilUsesHelmValues": False,
                        "retention": "15d",
                        **replicated,
                        "resources": SIZES["prometheus"],
                    },
                    "podDisruptionBudget": budget,
                },
                "alertmanager": {
                    "alertmanagerSpec": {**replicated, "resources": SIZES["alertmanager"]},
                    "podDisruptionBudget": budget,
                },
                "prometheusOperator": {
                    **placed,
                    "resources": SIZES["prometheus-operator"],
                    # The admission-webhook certificate Jobs are Helm hooks (chart 88.5.3
                    # `prometheusOperator.admissionWebhooks.patch`): they need the same placement as the operator.
                    "admissionWebhooks": {
                        "patch": {
                            **placed,
                            "priorityClassName": pods.priority_class,
                            "resources": {
                                "requests": {"cpu": "10m", "memory": "32Mi"},
                                "limits": {"memory": "128Mi"},
                            },
                        }
                    },
                },
                **({} if args.control_plane_metrics else {key: {"enabled": False} for key in CONTROL_PLANE_MONITORS}),
            },
            pulumi.ResourceOptions(parent=self, depends_on=before_grafana),
            version=pinned(KUBE_PROMETHEUS_STACK, args.component),
            namespace=ns,
            timeout_seconds=900,
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        for target in args.targets:
            port_key = "portNumber" if isinstance(target.port, int) else "port"
            endpoint = {port_key: target.port, "path": target.path, "interval": "30s"}
            k8s.apiextensions.CustomResource(
                f"monitor-{target.name}",
                api_version=MONITORING_API,
                kind="PodMonitor" if target.pods else "ServiceMonitor",
                # Monitors live here and select across namespaces, so they never wait for another namespace.
                metadata={"name": target.name, "namespace": ns},
                spec={
                    "namespaceSelector": {"matchNames": [target.namespace]},
                    "selector": target.selector,
                    "podMetricsEndpoints" if target.pods else "endpoints": [endpoint],
                },
                opts=after_crds,
            )
        k8s.apiextensions.CustomResource(
            "platform-alerts",
            api_version=MONITORING_API,
            kind="PrometheusRule",
            metadata={"name": "mlops-platform", "namespace": ns},
            spec={"groups": [{"name": "mlops-platform", "rules": list(ALERTS)}]},
            opts=after_crds,
        )
        for title, panels in DASHBOARDS.items():
            slug = title.lower().replace(" ", "-")
            k8s.core.v1.ConfigMap(
                f"dashboard-{slug}",
                metadata={"name": f"dashboard-{slug}", "namespace": ns, "labels": {"grafana_dashboard": "1"}},
                data={f"{slug}.json": dashboard_json(title, panels)},
                opts=child,
            )
        self.register_outputs({})
