"""Optional logs and cost add-ons: Loki with Alloy for pod logs, OpenCost for cost per namespace and team.

Both are off by default. Pod logs: every cloud already collects them (CloudWatch Container Insights, Azure
Monitor Container Insights, Cloud Logging), so Loki is for local stacks and for teams that want logs beside
metrics in Grafana. Loki here is one replica on a volume, the chart's documented small-install mode.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from config.operations import Loki as LokiSettings
from k8s_platform.catalog import ALLOY, LOKI, OPENCOST
from k8s_platform.helm import helm_release
from k8s_platform.namespace import namespace
from k8s_platform.options import ReadyComponent
from k8s_platform.placement import PlatformPods

LOKI_PORT = 3100
LOKI_PUSH_URL = f"http://loki.{LOKI.namespace}.svc.cluster.local:{LOKI_PORT}/loki/api/v1/push"

# Alloy tails pod logs through the API server (loki.source.kubernetes), so it needs no hostPath and no
# privileged DaemonSet; clustering shares the pods among replicas.
ALLOY_LABELS = {"app.kubernetes.io/name": "alloy", "app.kubernetes.io/instance": "alloy"}
"""The Alloy chart's selector labels for the release named `alloy`."""
ALLOY_CONFIG = f"""
discovery.kubernetes "pods" {{
  role = "pod"
}}

discovery.relabel "pods" {{
  targets = discovery.kubernetes.pods.targets
  rule {{
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }}
}}

loki.source.kubernetes "pods" {{
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
  clustering {{
    enabled = true
  }}
}}

loki.write "default" {{
  endpoint {{
    url = "{LOKI_PUSH_URL}"
  }}
}}
"""


@dataclass(frozen=True)
class LogsArgs:
    settings: LokiSettings
    storage_class: str
    pods: PlatformPods


class Logs(ReadyComponent):
    def __init__(self, name: str, args: LogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:Logs", name, opts)
        # baseline, not restricted: neither chart sets a seccomp profile on every container.
        ns = namespace(LOKI.namespace, self.child(), pod_security="baseline")
        in_ns = self.child(ns)
        settings = args.settings
        loki = helm_release(
            "loki",
            LOKI,
            {
                "deploymentMode": "Monolithic",
                "loki": {
                    "auth_enabled": False,
                    "commonConfig": {"replication_factor": 1},
                    "storage": {"type": "filesystem"},
                    "schemaConfig": {
                        "configs": [
                            {
                                "from": "2026-01-01",
                                "store": "tsdb",
                                "object_store": "filesystem",
                                "schema": "v13",
                                "index": {"prefix": "index_", "period": "24h"},
                            }
                        ]
                    },
                    "limits_config": {"retention_period": f"{settings.retention_days * 24}h"},
                    "compactor": {"retention_enabled": True, "delete_request_store": "filesystem"},
                },
                "singleBinary": {
                    "replicas": 1,
                    "priorityClassName": args.pods.priority_class,
                    "tolerations": args.pods.tolerations(),
                    "persistence": {"size": f"{settings.storage_gb}Gi", "storageClass": args.storage_class},
                },
                "read": {"replicas": 0},
                "write": {"replicas": 0},
                "backend": {"replicas": 0},
                "gateway": {"enabled": False},
                "chunksCache": {"enabled": False},
                "resultsCache": {"enabled": False},
                "lokiCanary": {"enabled": False},
                "test": {"enabled": False},
            },
            in_ns,
        )
        replicas = args.pods.replicas()
        helm_release(
            "alloy",
            ALLOY,
            {
                "controller": {
                    "type": "deployment",
                    "replicas": replicas,
                    "podDisruptionBudget": {"enabled": replicas > 1, "maxUnavailable": 1},
                    **args.pods.pod_values(ALLOY_LABELS),
                },
                "alloy": {"configMap": {"content": ALLOY_CONFIG}, "clustering": {"enabled": True}},
            },
            self.child(loki),
        )
        self.register_outputs({"pushUrl": LOKI_PUSH_URL})


@dataclass(frozen=True)
class OpenCostArgs:
    cluster_name: pulumi.Input[str]
    prometheus_service: str
    prometheus_namespace: str
    prometheus_port: int
    service_monitor: bool
    """Create a ServiceMonitor (needs the Prometheus Operator CRDs from the monitoring component)."""
    pods: PlatformPods


class OpenCost(ReadyComponent):
    """OpenCost reads usage from Prometheus and prices it from the cloud its nodes run on (public list prices on
    AWS, Azure and GCP, detected from each node's provider ID; default prices on a local cluster)."""

    def __init__(self, name: str, args: OpenCostArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:OpenCost", name, opts)
        ns = namespace(OPENCOST.namespace, self.child(), pod_security="baseline")
        helm_release(
            "opencost",
            OPENCOST,
            {
                "priorityClassName": args.pods.priority_class,
                "opencost": {
                    "tolerations": args.pods.tolerations(),
                    "affinity": args.pods.affinity(),
                    "exporter": {"defaultClusterId": args.cluster_name},
                    "prometheus": {
                        "internal": {
                            "enabled": True,
                            "serviceName": args.prometheus_service,
                            "namespaceName": args.prometheus_namespace,
                            "port": args.prometheus_port,
                        }
                    },
                    "metrics": {"serviceMonitor": {"enabled": args.service_monitor}},
                    "ui": {"enabled": True},
                },
            },
            self.child(ns),
        )
        self.register_outputs({})
