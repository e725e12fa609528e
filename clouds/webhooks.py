"""Which ports the API server calls on nodes: the admission webhooks and aggregated APIs the pinned charts serve.

A cloud whose control plane reaches nodes only on some ports (a GKE private cluster: TCP 443 and 10250) opens
the rest from this table; the platform layer installs exactly these charts. Each port is the container port
behind the chart's webhook Service (its `targetPort`), read from the chart's templates and default values at the
version pinned in `k8s_platform/catalog.py` (a test keeps the versions in step: bump a chart, re-read its port).
`WebhookServer.source` names the repository, file and value each port was read from; `markdown_table()` renders
the table for docs/gcp.md.

Charts only the AWS foundation installs (Karpenter, the AWS Load Balancer Controller) are not listed: EKS's
cluster security group admits the control plane on every port, and no other cloud installs them. AKS reaches
nodes through its konnectivity tunnel on any port. The other pinned charts serve no webhook.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.model import Components


@dataclass(frozen=True)
class WebhookServer:
    """One server the API server calls: an admission webhook or an aggregated API."""

    chart: str
    version: str
    """The chart version the port was read at; must equal the catalog's pin."""
    server: str
    port: int
    """The container port (the webhook Service's targetPort): what a node firewall must admit."""
    failure_policy: str
    """What the API server does when it cannot reach the server: `Fail` blocks the request."""
    source: str
    """Repository and file (at the chart's tag) the port was read from."""


KYVERNO = "kyverno"
"""Not a `components.*` switch: the tenancy layer always installs Kyverno."""

WEBHOOK_SERVERS: dict[str, tuple[WebhookServer, ...]] = {
    "cert_manager": (
        WebhookServer(
            "cert-manager", "v1.21.1", "cert-manager-webhook", 10250, "Fail",
            "cert-manager/cert-manager deploy/charts/cert-manager/values.yaml (webhook.securePort)",
        ),
    ),
    "external_secrets": (
        WebhookServer(
            "external-secrets", "2.9.0", "external-secrets-webhook", 10250, "Fail",
            "external-secrets/external-secrets deploy/charts/external-secrets/values.yaml (webhook.port)",
        ),
    ),
    "kserve": (
        WebhookServer(
            "kserve-resources", "v0.20.0", "kserve-webhook-server-service", 9443, "Fail",
            "kserve/kserve charts/kserve-resources/files/kserve/resources.yaml (containerPort webhook-server)",
        ),
    ),
    "keda": (
        WebhookServer(
            "keda", "2.20.2", "keda-admission-webhooks", 9443, "Ignore",
            "kedacore/charts keda/templates/webhooks/service.yaml (webhooks.port, default 9443)",
        ),
        WebhookServer(
            "keda", "2.20.2", "keda-operator-metrics-apiserver (external.metrics.k8s.io)", 6443, "APIService",
            "kedacore/charts keda/values.yaml (service.portHttpsTarget)",
        ),
    ),
    "monitoring": (
        WebhookServer(
            "kube-prometheus-stack", "88.5.3", "prometheus-operator admission", 10250, "set by the patch Job",
            "prometheus-community/helm-charts charts/kube-prometheus-stack/values.yaml"
            " (prometheusOperator.tls.internalPort)",
        ),
    ),
    "gateway": (
        WebhookServer(
            "gateway-helm", "v1.9.0", "envoy-gateway topology injector", 9443, "Ignore",
            "envoyproxy/gateway charts/gateway-helm/templates/envoy-proxy-topology-injector-webhook.yaml",
        ),
    ),
    KYVERNO: (
        WebhookServer(
            "kyverno", "3.9.0", "kyverno-svc", 9443, "Fail",
            "kyverno/kyverno charts/kyverno/values.yaml (admissionController.webhookServer.port)",
        ),
        WebhookServer(
            "kyverno", "3.9.0", "kyverno-cleanup-controller", 9443, "Fail",
            "kyverno/kyverno charts/kyverno/values.yaml (cleanupController.server.port)",
        ),
    ),
}  # fmt: skip
"""Component (a `components.*` field name, or `kyverno`) -> the servers its charts run."""


def webhook_servers(components: Components, *, helm_keda: bool = True) -> list[WebhookServer]:
    """The servers of the components this stack installs. `helm_keda=False` where the cloud runs KEDA itself
    (its add-on's webhooks are the cloud's concern)."""
    enabled = {KYVERNO} | {name for name in WEBHOOK_SERVERS if name != KYVERNO and getattr(components, name).enabled}
    if not helm_keda:
        enabled.discard("keda")
    return [server for name in WEBHOOK_SERVERS if name in enabled for server in WEBHOOK_SERVERS[name]]


def webhook_ports(components: Components, *, helm_keda: bool = True) -> list[int]:
    """The distinct node ports the API server calls for this stack, ascending."""
    return sorted({server.port for server in webhook_servers(components, helm_keda=helm_keda)})


def markdown_table() -> str:
    """The table as docs/gcp.md shows it (a test keeps the page in step)."""
    rows = ["| component | chart | server | port | failurePolicy | read from |", "|---|---|---|---|---|---|"]
    for component, servers in WEBHOOK_SERVERS.items():
        for s in servers:
            rows.append(
                f"| `{component}` | {s.chart} {s.version} | {s.server} | {s.port} | {s.failure_policy} | {s.source} |"
            )
    return "\n".join(rows)
