"""The cloud-agnostic platform: every in-cluster service, composed from the contract and platform settings.

Nothing here knows which cloud it runs on: it branches only on the contract's typed fields (artifact store
kind, autoscaling, ingress, secret store, identities). Services install in parallel; the only dependencies
are real orderings (CRDs before custom resources, cert-manager before webhooks that need certificates,
the Gateway API CRDs before the controllers that watch them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

from clouds.contract import (
    Flow,
    KedaSource,
    NodeAutoscalerKind,
    PlatformContract,
    SecretStoreKind,
    Workload,
    Workloads,
    toleration,
)
from clouds.machines import largest_pod_on_every
from config.model import Components, Dns, Environment, NodePools
from k8s_platform import argo_workflows, argocd, external_secrets, kserve, mlflow, monitoring
from k8s_platform.argo_workflows import ArgoWorkflows, ArgoWorkflowsArgs
from k8s_platform.argocd import ArgoCd, ArgoCdArgs
from k8s_platform.autoscaling import GpuSupport, GpuSupportArgs, Karpenter, KarpenterArgs, Keda, KedaArgs
from k8s_platform.catalog import (
    ARGO_WORKFLOWS,
    ARGOCD,
    CERT_MANAGER,
    DCGM_EXPORTER,
    ENVOY_GATEWAY,
    EXTERNAL_SECRETS,
    KARPENTER,
    KEDA,
    KSERVE,
    KUBE_PROMETHEUS_STACK,
    MLFLOW,
    NVIDIA_DEVICE_PLUGIN,
)
from k8s_platform.cert_manager import CertManager, CertManagerArgs
from k8s_platform.external_secrets import ExternalSecrets, ExternalSecretsArgs
from k8s_platform.gateway import HTTP_PROXY_PORT, INTERNAL_DOMAIN, Gateway, GatewayArgs, PublishedUi, model_exposure
from k8s_platform.helm import pinned
from k8s_platform.kserve import Kserve, KserveArgs
from k8s_platform.mlflow import Mlflow, MlflowArgs
from k8s_platform.monitoring import Monitoring, MonitoringArgs, ScrapeTarget
from k8s_platform.placement import PlatformPods
from k8s_platform.priorities import PriorityClasses
from k8s_platform.tenancy import PlatformNamespaces, PlatformServices, Prometheus

UIS = {
    "mlflow": PublishedUi("mlflow", MLFLOW.namespace, mlflow.SERVICE, mlflow.PORT),
    "argocd": PublishedUi("argocd", ARGOCD.namespace, argocd.SERVICE, argocd.PORT),
    "workflows": PublishedUi("workflows", ARGO_WORKFLOWS.namespace, argo_workflows.SERVICE, argo_workflows.PORT),
    "grafana": PublishedUi(
        "grafana", KUBE_PROMETHEUS_STACK.namespace, monitoring.GRAFANA_SERVICE, monitoring.GRAFANA_PORT
    ),
}
"""Every UI, with the Service `kubectl port-forward` reaches when it is not published."""
MANAGED_KEDA_NAMESPACE = "kube-system"
"""Where AKS runs its KEDA add-on."""


@dataclass(frozen=True)
class MlopsPlatformArgs:
    contract: PlatformContract
    components: Components
    dns: Dns
    environment: Environment
    node_pools: NodePools = field(default_factory=NodePools)
    """The stack's pools: their taints and machine types size and place the pods users start (workflow steps,
    model servers)."""


class MlopsPlatform(pulumi.ComponentResource):
    """Installs the platform services onto whatever cluster the contract describes."""

    mlflow_url: pulumi.Output[str]
    services: PlatformServices
    """What was installed, for the tenancy layer: namespaces and the flows between them, MLflow, priorities."""

    def __init__(self, name: str, args: MlopsPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        contract, enabled, dns = args.contract, args.components, args.dns
        # Every Kubernetes object goes to the contract's cluster, once the cluster can run pods.
        super().__init__(
            "mlops:platform:MlopsPlatform",
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers=[contract.kubernetes_provider])),
        )
        # Platform pods name the platform PriorityClass, which must exist before the first of them is created.
        priorities = PriorityClasses("priority-classes", pulumi.ResourceOptions(parent=self))
        ready = pulumi.ResourceOptions(parent=self, depends_on=[*contract.cluster_ready, priorities])

        def ready_with(*workloads: Workload, also: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
            """`ready`, plus what these workloads' cloud identities need (EKS: role policies, Pod Identity
            associations). Creation waits for them; `destroy` removes the workload first, so a controller never
            loses its permissions while it still cleans up the cloud resources it made (nodes, load balancers)."""
            needs = [r for w in workloads for r in contract.identity_for(w).ready]
            return pulumi.ResourceOptions.merge(ready, pulumi.ResourceOptions(depends_on=[*needs, *also]))

        pods = PlatformPods(
            contract.platform_placement,
            high_availability=args.environment != Environment.DEV,
            workload_tolerations=(
                *contract.autoscaling.spot_tolerations,
                *(toleration(t) for t in args.node_pools.cpu_spot.taints),
            ),
        )
        published = dns.publishes_uis
        layout = _Layout()

        def host(ui: str) -> str:
            return UIS[ui].host(dns.domain if published and dns.domain else INTERNAL_DOMAIN)

        def public_host(ui: str) -> str | None:
            return host(ui) if published else None

        secrets = None
        if enabled.external_secrets.enabled:
            secrets = ExternalSecrets(
                "external-secrets",
                ExternalSecretsArgs(
                    version=pinned(EXTERNAL_SECRETS, enabled.external_secrets),
                    identity=contract.identity_for(Workloads.EXTERNAL_SECRETS),
                    secret_store=contract.secret_store,
                    pods=pods,
                ),
                ready_with(Workloads.EXTERNAL_SECRETS),
            )
            layout.add(EXTERNAL_SECRETS.namespace)
            if contract.secret_store.kind == SecretStoreKind.KUBERNETES:
                layout.add(external_secrets.SEED_NAMESPACE)

        gateway = None
        if enabled.gateway.enabled:
            gateway = Gateway(
                "gateway",
                GatewayArgs(
                    component=enabled.gateway,
                    ingress=contract.ingress,
                    dns=dns,
                    uis=[ui for key, ui in UIS.items() if _ui_enabled(key, enabled)],
                    load_balancer_identity=contract.identity_for(Workloads.AWS_LOAD_BALANCER_CONTROLLER),
                    secrets=secrets,
                    pods=pods,
                    model_api=enabled.kserve.public_api if enabled.kserve.enabled else None,
                ),
                # The gateway's load balancer is made and removed by the LBC with this identity.
                ready_with(Workloads.AWS_LOAD_BALANCER_CONTROLLER),
            )
            layout.add(ENVOY_GATEWAY.namespace)
        gateway_api = [gateway.release] if gateway else []

        cert_manager = None
        if enabled.cert_manager.enabled:
            cert_manager = CertManager(
                "cert-manager",
                CertManagerArgs(
                    version=pinned(CERT_MANAGER, enabled.cert_manager),
                    identity=contract.identity_for(Workloads.CERT_MANAGER),
                    dns=dns,
                    pods=pods,
                    gateway_api_crds=gateway_api,
                ),
                ready_with(Workloads.CERT_MANAGER),
            )
            layout.add(CERT_MANAGER.namespace)
            if dns.domain and dns.acme_email:
                # Before asking Let's Encrypt, cert-manager fetches its own HTTP-01 token via the public address.
                layout.external_egress[CERT_MANAGER.namespace] = (80,)
                if gateway is not None:
                    # Where the load balancer publishes an IP (AKS, GKE), kube-proxy short-circuits traffic to it
                    # straight to the Envoy pods, on the container port behind listener 80.
                    layout.flows.append(Flow(CERT_MANAGER.namespace, ENVOY_GATEWAY.namespace, (HTTP_PROXY_PORT,)))

        if enabled.argocd.enabled:
            ArgoCd(
                "argocd",
                ArgoCdArgs(settings=enabled.argocd, host=host("argocd"), secrets=secrets, pods=pods),
                ready,
            )
            layout.add(ARGOCD.namespace, routed=True)
            if any(argocd.over_ssh(repo) for repo in enabled.argocd.repositories):
                layout.external_egress[ARGOCD.namespace] = (22,)  # Git over SSH

        namespace_controllers: list[pulumi.Resource] = []
        if enabled.argo_workflows.enabled:
            pipelines = ArgoWorkflows(
                "argo-workflows",
                ArgoWorkflowsArgs(
                    component=enabled.argo_workflows,
                    artifact_store=contract.artifact_store,
                    identity=contract.identity_for(Workloads.ARGO_WORKFLOWS),
                    server_identity=contract.identity_for(Workloads.ARGO_SERVER),
                    public_host=public_host("workflows"),
                    sso=dns.sso,
                    secrets=secrets,
                    pods=pods,
                ),
                ready_with(Workloads.ARGO_WORKFLOWS, Workloads.ARGO_SERVER),
            )
            namespace_controllers.append(pipelines.release)
            layout.add(ARGO_WORKFLOWS.namespace, routed=True)
            if enabled.mlflow.enabled:
                # Pipelines log runs and models to MLflow.
                layout.flows.append(Flow(ARGO_WORKFLOWS.namespace, MLFLOW.namespace, (mlflow.CONTAINER_PORT,)))

        self.mlflow_url = pulumi.Output.from_input(mlflow.in_cluster_url())
        if enabled.mlflow.enabled:
            tracking = Mlflow(
                "mlflow",
                MlflowArgs(
                    version=pinned(MLFLOW, enabled.mlflow),
                    database=contract.database,
                    artifact_store=contract.artifact_store,
                    identity=contract.identity_for(Workloads.MLFLOW),
                    public_host=public_host("mlflow"),
                    pods=pods,
                ),
                ready_with(Workloads.MLFLOW),
            )
            self.mlflow_url = tracking.url
            layout.add(MLFLOW.namespace, routed=True)

        if enabled.kserve.enabled:
            serving = Kserve(
                "kserve",
                KserveArgs(
                    version=pinned(KSERVE, enabled.kserve),
                    identity=contract.identity_for(Workloads.KSERVE_INFERENCE),
                    artifact_store=contract.artifact_store,
                    exposure=model_exposure(dns, enabled.kserve.public_api),
                    pods=pods,
                    spot_tolerations=contract.autoscaling.spot_tolerations,
                    gpu_pod=largest_pod_on_every(contract.cloud, args.node_pools.gpu_spot.machine_types),
                    requires=[*([cert_manager.release] if cert_manager else []), *gateway_api],
                ),
                ready_with(Workloads.KSERVE_INFERENCE),
            )
            namespace_controllers.append(serving.release)
            layout.add(KSERVE.namespace)
            layout.add(Workloads.KSERVE_INFERENCE.namespace, routed=True)

        autoscaling = contract.autoscaling
        if enabled.node_autoscaler.enabled and autoscaling.nodes == NodeAutoscalerKind.KARPENTER:
            assert autoscaling.karpenter, "a contract with Karpenter nodes must carry KarpenterInputs"
            Karpenter(
                "karpenter",
                KarpenterArgs(
                    version=pinned(KARPENTER, enabled.node_autoscaler),
                    inputs=autoscaling.karpenter,
                    identity=contract.identity_for(Workloads.KARPENTER),
                    pods=pods,
                ),
                ready_with(Workloads.KARPENTER, also=autoscaling.karpenter.node_access),
            )
            layout.add(KARPENTER.namespace)
        if enabled.keda.enabled and autoscaling.keda == KedaSource.HELM:
            Keda("keda", KedaArgs(version=pinned(KEDA, enabled.keda), pods=pods), ready)
            layout.add(KEDA.namespace)
        gpu_support = enabled.gpu_support.enabled and not autoscaling.gpu_device_plugin_managed
        if gpu_support:
            GpuSupport(
                "gpu",
                GpuSupportArgs(
                    device_plugin_version=pinned(NVIDIA_DEVICE_PLUGIN, enabled.gpu_support),
                    spot_tolerations=autoscaling.spot_tolerations,
                ),
                ready,
            )
            layout.add(NVIDIA_DEVICE_PLUGIN.namespace)

        keda_namespace = {KedaSource.HELM: KEDA.namespace, KedaSource.MANAGED_ADDON: MANAGED_KEDA_NAMESPACE}.get(
            autoscaling.keda
        )
        if enabled.monitoring.enabled and enabled.keda.enabled and keda_namespace:
            # Prometheus-triggered ScaledObjects: KEDA's operator queries Prometheus.
            layout.flows.append(Flow(keda_namespace, KUBE_PROMETHEUS_STACK.namespace, (monitoring.PROMETHEUS_PORT,)))
        if enabled.monitoring.enabled:
            Monitoring(
                "monitoring",
                MonitoringArgs(
                    component=enabled.monitoring,
                    targets=_scrape_targets(
                        args, karpenter=autoscaling.nodes == NodeAutoscalerKind.KARPENTER, gpu=gpu_support
                    ),
                    secrets=secrets,
                    pods=pods,
                    control_plane_metrics=contract.control_plane_metrics,
                ),
                ready,
            )
            layout.add(KUBE_PROMETHEUS_STACK.namespace, routed=True)

        self.services = PlatformServices(
            namespaces=PlatformNamespaces(
                names=layout.names,
                gateway=ENVOY_GATEWAY.namespace,
                monitoring=KUBE_PROMETHEUS_STACK.namespace,
                routed=layout.routed,
                mlflow=MLFLOW.namespace,
                mlflow_port=mlflow.CONTAINER_PORT,
                flows=layout.flows,
                external_egress=layout.external_egress,
            ),
            mlflow_tracking_uri=mlflow.in_cluster_url(),
            pods=pods,
            priority_classes=priorities,
            prometheus=Prometheus(operator_crds=enabled.monitoring.enabled),
            namespace_controllers=namespace_controllers,
        )
        self.register_outputs({"mlflowUrl": self.mlflow_url})


@dataclass
class _Layout:
    """The namespaces the enabled components created, and the traffic between them beyond the defaults."""

    names: list[str] = field(default_factory=list)
    routed: list[str] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    external_egress: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def add(self, namespace: str, *, routed: bool = False) -> None:
        """`routed`: a UI or inference service the shared gateway sends traffic to."""
        self.names.append(namespace)
        if routed:
            self.routed.append(namespace)


def _ui_enabled(ui: str, components: Components) -> bool:
    return {
        "mlflow": components.mlflow,
        "argocd": components.argocd,
        "workflows": components.argo_workflows,
        "grafana": components.monitoring,
    }[ui].enabled


def _labels(key: str, value: str) -> dict[str, dict[str, str]]:
    return {"matchLabels": {key: value}}


def _scrape_targets(args: MlopsPlatformArgs, *, karpenter: bool, gpu: bool) -> list[ScrapeTarget]:
    """A scrape target for each enabled service that exposes metrics."""
    on = args.components
    candidates = [
        (
            on.mlflow.enabled,
            # From the metrics sidecar: the server's own /metrics needs a login and rejects the pod address.
            ScrapeTarget(
                "mlflow",
                MLFLOW.namespace,
                _labels("app.kubernetes.io/name", "mlflow"),
                mlflow.METRICS_PORT_NAME,
                pods=True,
            ),
        ),
        (
            on.kserve.enabled,
            ScrapeTarget(
                "kserve-models",
                Workloads.KSERVE_INFERENCE.namespace,
                {"matchExpressions": [{"key": "serving.kserve.io/inferenceservice", "operator": "Exists"}]},
                kserve.METRICS_PORT,
                pods=True,
            ),
        ),
        (
            on.argo_workflows.enabled,
            ScrapeTarget(
                "argo-workflows",
                ARGO_WORKFLOWS.namespace,
                _labels("app.kubernetes.io/component", "workflow-controller"),
                "metrics",
            ),
        ),
        (
            on.node_autoscaler.enabled and karpenter,
            ScrapeTarget(
                "karpenter", KARPENTER.namespace, _labels("app.kubernetes.io/name", "karpenter"), "http-metrics"
            ),
        ),
        (
            on.gpu_support.enabled and gpu,
            ScrapeTarget(
                "dcgm-exporter", DCGM_EXPORTER.namespace, _labels("app.kubernetes.io/name", "dcgm-exporter"), "metrics"
            ),
        ),
        (
            on.gateway.enabled,
            ScrapeTarget(
                "envoy-proxies",
                ENVOY_GATEWAY.namespace,
                _labels("app.kubernetes.io/component", "proxy"),
                "metrics",
                path="/stats/prometheus",
                pods=True,
            ),
        ),
    ]
    return [target for wanted, target in candidates if wanted]
