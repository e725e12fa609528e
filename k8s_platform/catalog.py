"""Every Helm chart the program installs, pinned in one place.

Both sides of the contract read this module: the platform layer for its services, the local foundation
for its in-cluster object store and Postgres operator. A stack can override a platform component's
version with `components.<name>.version` (the component's first chart below); everything else is exactly
what is pinned here. docs/platform.md's component table is generated from `PLATFORM_CHARTS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from clouds.contract import Workloads


@dataclass(frozen=True)
class HelmChart:
    chart: str
    """Chart name, or the full `oci://` reference for charts served from an OCI registry."""
    version: str
    repository: str | None
    """HTTP chart repository; None for OCI charts."""
    namespace: str
    why: str
    """One line for the README's component table."""

    @property
    def is_oci(self) -> bool:
        return self.chart.startswith("oci://")

    @property
    def source(self) -> str:
        """Where the chart comes from, as a user would type it for `helm pull`."""
        return self.chart if self.is_oci else f"{self.repository} {self.chart}"


# --- local foundation: in-cluster stand-ins for the cloud's object store and database -----------------

SEAWEEDFS = HelmChart(
    chart="seaweedfs",
    version="4.44.0",
    repository="https://seaweedfs.github.io/seaweedfs/helm",
    namespace="object-store",
    why="S3-compatible object store for the local stack (Apache-2.0, actively maintained)",
)
CLOUDNATIVE_PG = HelmChart(
    chart="cloudnative-pg",
    version="0.29.0",
    repository="https://cloudnative-pg.github.io/charts",
    namespace="cnpg-system",
    why="PostgreSQL operator for the local stack (CNCF project; backups, failover, TLS)",
)

# --- platform layer ---------------------------------------------------------------------------------------

CERT_MANAGER = HelmChart(
    chart="cert-manager",
    version="v1.21.1",
    repository="https://charts.jetstack.io",
    namespace=Workloads.CERT_MANAGER.namespace,
    why="TLS certificates for the gateway and the webhooks of KServe (self-signed or Let's Encrypt)",
)
ENVOY_GATEWAY = HelmChart(
    chart="oci://docker.io/envoyproxy/gateway-helm",
    version="v1.9.0",
    repository=None,
    namespace="envoy-gateway-system",
    why="Gateway API controller on every cloud (ingress-nginx is retired); OIDC single sign-on at the edge",
)
AWS_LOAD_BALANCER_CONTROLLER = HelmChart(
    chart="aws-load-balancer-controller",
    version="3.5.0",
    repository="https://aws.github.io/eks-charts",
    namespace=Workloads.AWS_LOAD_BALANCER_CONTROLLER.namespace,
    why="AWS only: provisions the NLB in front of the gateway",
)
EXTERNAL_SECRETS = HelmChart(
    chart="external-secrets",
    version="2.9.0",
    repository="https://charts.external-secrets.io",
    namespace=Workloads.EXTERNAL_SECRETS.namespace,
    why="Copies admin passwords and tokens from the cloud's secret store into Kubernetes Secrets",
)
ARGOCD = HelmChart(
    chart="argo-cd",
    version="10.1.1",
    repository="https://argoproj.github.io/argo-helm",
    namespace="argocd",
    why="GitOps delivery of model deployments (InferenceServices) from Git",
)
ARGO_WORKFLOWS = HelmChart(
    chart="argo-workflows",
    version="1.0.18",
    repository="https://argoproj.github.io/argo-helm",
    namespace=Workloads.ARGO_WORKFLOWS.namespace,
    why="Training and data pipelines as Kubernetes-native DAGs, artifacts on the object store",
)
MLFLOW = HelmChart(
    chart="mlflow",
    version="1.11.5",
    repository="https://community-charts.github.io/helm-charts",
    namespace=Workloads.MLFLOW.namespace,
    why="Experiment tracking and model registry (MLflow 3), Postgres backend, artifacts on the object store",
)
KSERVE_CRD = HelmChart(
    chart="oci://ghcr.io/kserve/charts/kserve-crd",
    version="v0.20.0",
    repository=None,
    namespace="kserve",
    why="KServe's custom resource definitions, installed before its controller",
)
KSERVE = HelmChart(
    chart="oci://ghcr.io/kserve/charts/kserve-resources",
    version="v0.20.0",
    repository=None,
    namespace="kserve",
    why="Model serving (InferenceService) in Standard (raw Deployment) mode behind the Gateway API",
)
KARPENTER = HelmChart(
    chart="oci://public.ecr.aws/karpenter/karpenter",
    version="1.14.1",
    repository=None,
    namespace=Workloads.KARPENTER.namespace,
    why="AWS only: just-in-time spot CPU and GPU nodes that scale to zero",
)
KEDA = HelmChart(
    chart="keda",
    version="2.20.2",
    repository="https://kedacore.github.io/charts",
    namespace="keda",
    why="Event-driven pod autoscaling for inference and workers (skipped where the cloud runs it)",
)
NVIDIA_DEVICE_PLUGIN = HelmChart(
    chart="nvidia-device-plugin",
    version="0.20.0",
    repository="https://nvidia.github.io/k8s-device-plugin",
    namespace="nvidia-gpu",
    why="Advertises nvidia.com/gpu on GPU nodes (skipped where the cloud installs it)",
)
DCGM_EXPORTER = HelmChart(
    chart="dcgm-exporter",
    version="4.8.2",
    repository="https://nvidia.github.io/dcgm-exporter/helm-charts",
    namespace="nvidia-gpu",
    why="GPU utilisation, memory and power metrics for dashboards and the idle-GPU alert",
)
KUBE_PROMETHEUS_STACK = HelmChart(
    chart="kube-prometheus-stack",
    version="88.5.3",
    repository="https://prometheus-community.github.io/helm-charts",
    namespace="monitoring",
    why="Prometheus, Alertmanager and Grafana: platform dashboards and alerts",
)

PLATFORM_CHARTS: dict[str, tuple[HelmChart, ...]] = {
    "cert_manager": (CERT_MANAGER,),
    "gateway": (ENVOY_GATEWAY, AWS_LOAD_BALANCER_CONTROLLER),
    "external_secrets": (EXTERNAL_SECRETS,),
    "argocd": (ARGOCD,),
    "argo_workflows": (ARGO_WORKFLOWS,),
    "mlflow": (MLFLOW,),
    "kserve": (KSERVE, KSERVE_CRD),
    "node_autoscaler": (KARPENTER,),
    "keda": (KEDA,),
    "gpu_support": (NVIDIA_DEVICE_PLUGIN, DCGM_EXPORTER),
    "monitoring": (KUBE_PROMETHEUS_STACK,),
}
"""`components.<name>` -> its charts; a version override applies to the first (KServe's CRDs follow it)."""

# --- tenancy and day-2 operations (k8s_platform/tenancy) ----------------------------------------------

KYVERNO = HelmChart(
    chart="kyverno",
    version="3.9.0",
    repository="https://kyverno.github.io/kyverno/",
    namespace="kyverno",
    why="Admission policies: no privileged or host-namespace pods, requests/limits, non-root, allowed registries",
)
LOKI = HelmChart(
    chart="loki",
    version="18.11.0",
    # The OSS chart moved to grafana-community in March 2026; grafana.github.io now serves the GEL chart.
    repository="https://grafana-community.github.io/helm-charts",
    namespace="logging",
    why="Pod logs in Grafana when the cloud's log service is not used (optional)",
)
ALLOY = HelmChart(
    chart="alloy",
    version="1.11.1",
    repository="https://grafana.github.io/helm-charts",
    namespace="logging",
    why="Ships pod logs to Loki through the Kubernetes API: no hostPath, no privileged DaemonSet (with Loki)",
)
OPENCOST = HelmChart(
    chart="opencost",
    version="2.5.17",
    repository="https://opencost.github.io/opencost-helm-chart",
    namespace="opencost",
    why="Cost per namespace and team from the cloud's prices, shown in Grafana (optional)",
)
OPERATIONS_CHARTS: tuple[HelmChart, ...] = (KYVERNO, LOKI, ALLOY, OPENCOST)
"""Charts `k8s_platform.tenancy` installs (Kyverno always; the others when `operations.*.enabled`)."""


def component_table() -> str:
    """The README's component table, generated so the docs can never drift from the pins (a test checks)."""
    rows = ["| component | chart | version | namespace | why |", "|---|---|---|---|---|"]
    for component, charts in PLATFORM_CHARTS.items():
        for chart in charts:
            rows.append(f"| `{component}` | `{chart.source}` | `{chart.version}` | `{chart.namespace}` | {chart.why} |")
    return "\n".join(rows)
