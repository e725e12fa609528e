"""KServe: CRDs, then the controller in Standard (raw Deployment) mode on the Gateway API, then serving runtimes.

Models run in the `models` namespace as the `model-server` service account, whose cloud identity lets the
storage initializer pull model files from the object store without keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import ArtifactStore, WorkloadIdentity, Workloads
from clouds.machines import Allocatable
from config.model import GPU_RUNTIME_MINIMUM_CPU_MILLICORES, GPU_RUNTIME_MINIMUM_MEMORY_MIB, GPU_TAINT
from k8s_platform.catalog import ENVOY_GATEWAY, KSERVE, KSERVE_CRD
from k8s_platform.cert_manager import GATEWAY_NAME
from k8s_platform.gateway import ModelExposure
from k8s_platform.helm import helm_release
from k8s_platform.namespace import SERVES_MODELS_LABEL, namespace, namespace_name
from k8s_platform.object_store import AWS_ENV_KEYS, credentials_secret, endpoint_host
from k8s_platform.options import children_of
from k8s_platform.placement import PlatformPods, disruption_budget

CONTROLLER = "kserve-controller-manager"
CONTROLLER_LABELS = {"control-plane": CONTROLLER}
"""The controller Deployment kserve-resources v0.20.0 renders, and its selector label."""
DEPLOYMENT_MODE = "Standard"
"""KServe 0.20's name for raw Kubernetes Deployments (`RawDeployment` is its deprecated alias); no Knative."""
RUNTIME_VERSION = KSERVE.version
S3_SECRET = "model-storage-s3"
METRICS_PORT = 8080
"""Where every runtime below serves /metrics (KServe's `prometheus.kserve.io/port`)."""
SPOT_NODE_TERMS = (
    # One term per cloud's spot label; terms are ORed, so a GPU model server may run only on spot capacity
    # wherever it is. Karpenter: `karpenter.sh/capacity-type` (karpenter.sh docs, well-known labels); AKS:
    # `kubernetes.azure.com/scalesetpriority` (learn.microsoft.com/azure/aks/spot-node-pool); GKE:
    # `cloud.google.com/gke-spot` (cloud.google.com/kubernetes-engine/docs/how-to/spot-vms), which also makes
    # node auto-provisioning create spot pools only, never an on-demand GPU pool.
    {"matchExpressions": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}]},
    {"matchExpressions": [{"key": "kubernetes.azure.com/scalesetpriority", "operator": "In", "values": ["spot"]}]},
    {"matchExpressions": [{"key": "cloud.google.com/gke-spot", "operator": "In", "values": ["true"]}]},
)


@dataclass(frozen=True)
class ServingRuntime:
    name: str
    model_format: str
    image: str
    args: tuple[str, ...]
    gpu: bool = False
    train_with: str = ""
    """The library pin the runtime's image loads pickles with (KServe v0.20.0's pyproject): train with the same,
    or a model pickled by a newer release may not load."""


_SERVE = (f"--http_port={METRICS_PORT}",)
RUNTIMES = (
    ServingRuntime(
        "mlops-sklearn",
        "sklearn",
        "kserve/sklearnserver",
        ("--model_dir=/mnt/models", *_SERVE),
        train_with="scikit-learn~=1.5.1",
    ),
    ServingRuntime(
        "mlops-xgboost",
        "xgboost",
        "kserve/xgbserver",
        ("--model_dir=/mnt/models", *_SERVE),
        train_with="xgboost~=2.1.1",
    ),
    ServingRuntime(
        "mlops-huggingface-gpu", "huggingface", "kserve/huggingfaceserver", ("--backend=vllm", *_SERVE), True
    ),
)


@dataclass(frozen=True)
class KserveArgs:
    version: str
    identity: WorkloadIdentity
    artifact_store: ArtifactStore
    exposure: ModelExposure
    """KServe's ingress domain, and whether it creates HTTPRoutes (`gateway.model_exposure`)."""
    pods: PlatformPods
    spot_tolerations: Sequence[Mapping[str, str]] = ()
    """The cloud's own spot taints: the GPU runtime runs on spot GPU nodes."""
    gpu_pod: Allocatable | None = None
    """The largest pod every GPU pool machine type fits (`clouds.machines`); None without known machines (local)."""
    requires: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """cert-manager (webhook certificates) and the Gateway API CRDs the controller watches."""


class Kserve(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: KserveArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:Kserve", name, None, opts)
        child = children_of(self, opts)
        ns = namespace_name(namespace(KSERVE.namespace, child))

        crds = helm_release("kserve-crd", KSERVE_CRD, {}, child, version=args.version, namespace=ns)
        self.release = helm_release(
            "kserve",
            KSERVE,
            {
                "kserve": {
                    "controller": {
                        "deploymentMode": DEPLOYMENT_MODE,
                        # One controller replica (the chart has no replica or priority value for it).
                        "tolerations": args.pods.tolerations(),
                        "affinity": args.pods.affinity(),
                        "gateway": {
                            "domain": args.exposure.domain,
                            "urlScheme": args.exposure.url_scheme,
                            "disableIngressCreation": not args.exposure.routes,
                            "ingressGateway": {
                                "enableGatewayApi": True,
                                "kserveGateway": f"{ENVOY_GATEWAY.namespace}/{GATEWAY_NAME}",
                                "createGateway": False,
                            },
                        },
                    }
                }
            },
            pulumi.ResourceOptions(parent=self, depends_on=[crds, *args.requires]),
            version=args.version,
            namespace=ns,
        )
        self._controller_availability(args, ns)
        # The controller's webhook validates serving runtimes, so they wait for the controller, not just the CRDs.
        ready = list(child.depends_on or [])  # type: ignore[arg-type]
        after_controller = pulumi.ResourceOptions(parent=self, depends_on=[*ready, self.release])
        # Models' namespace comes after the controller, so `pulumi destroy` deletes it (and the controller
        # processes its InferenceServices' finalizers) before the controller goes.
        self.model_namespace = namespace_name(
            namespace(
                Workloads.KSERVE_INFERENCE.namespace, after_controller, "baseline", labels={SERVES_MODELS_LABEL: "true"}
            )
        )
        self._model_service_account(args, after_controller)
        for runtime in RUNTIMES:
            k8s.apiextensions.CustomResource(
                f"runtime-{runtime.name}",
                api_version="serving.kserve.io/v1alpha1",
                kind="ClusterServingRuntime",
                metadata={"name": runtime.name},
                spec=runtime_spec(
                    runtime,
                    args.version,
                    args.spot_tolerations,
                    gpu_pod=args.gpu_pod,
                    cpu_tolerations=args.pods.workload_pod_tolerations(),
                ),
                opts=after_controller,
            )
        self.register_outputs({"deploymentMode": DEPLOYMENT_MODE})

    def _controller_availability(self, args: KserveArgs, ns: pulumi.Input[str]) -> None:
        """The controller serves fail-closed webhooks for every InferenceService and serving runtime: while it is
        down no model pod can be created. The chart (v0.20.0) has no replica or priority value for it, so a
        server-side patch sets them on the Deployment it renders; outside dev two replicas under a budget."""
        after_release = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        spec: dict[str, Any] = {"template": {"spec": {"priorityClassName": args.pods.priority_class}}}
        if args.pods.high_availability:
            spec["replicas"] = args.pods.HA_REPLICAS
        k8s.apps.v1.DeploymentPatch(
            "kserve-controller-availability",
            metadata=k8s.meta.v1.ObjectMetaPatchArgs(name=CONTROLLER, namespace=ns),
            spec=cast(Any, spec),  # a partial spec: the SDK types it as its TypedDict
            opts=after_release,
        )
        if args.pods.high_availability:
            disruption_budget(CONTROLLER, ns, CONTROLLER_LABELS, after_release)

    def _model_service_account(self, args: KserveArgs, child: pulumi.ResourceOptions) -> None:
        workload = Workloads.KSERVE_INFERENCE
        store = args.artifact_store
        # In-cluster S3 only: KServe reads keys and endpoint from a Secret attached to the service account.
        keys = credentials_secret(
            "model-storage-s3",
            S3_SECRET,
            self.model_namespace,
            store,
            AWS_ENV_KEYS,
            child,
            annotations={"serving.kserve.io/s3-endpoint": endpoint_host(store), "serving.kserve.io/s3-usehttps": "0"},
        )
        secrets = [k8s.core.v1.ObjectReferenceArgs(name=S3_SECRET)] if keys is not None else []
        k8s.core.v1.ServiceAccount(
            "model-server",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=workload.service_account,
                namespace=self.model_namespace,
                annotations=dict(args.identity.service_account_annotations),
            ),
            secrets=secrets or None,
            opts=child,
        )


def gpu_runtime_resources(gpu_pod: Allocatable | None) -> dict[str, Any]:
    """The GPU runtime fills one GPU node: requests are what every GPU pool machine leaves to one pod (rounded
    down), with the memory limit equal to the request so the model server is never the node's first OOM victim.
    Config refuses pools whose machines leave less than the minimum; without machine facts (local) the runtime
    asks for that minimum."""
    cpu = gpu_pod.cpu_millicores // 100 * 100 if gpu_pod else GPU_RUNTIME_MINIMUM_CPU_MILLICORES
    memory = gpu_pod.memory_mib // 256 * 256 if gpu_pod else GPU_RUNTIME_MINIMUM_MEMORY_MIB
    return {
        "requests": {"cpu": f"{cpu}m", "memory": f"{memory}Mi", "nvidia.com/gpu": "1"},
        "limits": {"memory": f"{memory}Mi", "nvidia.com/gpu": "1"},
    }


def runtime_spec(
    runtime: ServingRuntime,
    version: str,
    spot_tolerations: Sequence[Mapping[str, str]] = (),
    *,
    gpu_pod: Allocatable | None = None,
    cpu_tolerations: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """A ClusterServingRuntime; GPU runtimes request a GPU, fit the GPU pool's machines, tolerate its taints and
    run only on spot nodes; CPU runtimes tolerate the CPU spot pool (on AKS every pool is tainted)."""
    resources: dict[str, Any] = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}}
    if runtime.gpu:
        resources = gpu_runtime_resources(gpu_pod)
    spec: dict[str, Any] = {
        "annotations": {"prometheus.kserve.io/port": str(METRICS_PORT), "prometheus.kserve.io/path": "/metrics"},
        "supportedModelFormats": [{"name": runtime.model_format, "version": "1", "autoSelect": True, "priority": 2}],
        "protocolVersions": ["v1", "v2"],
        "containers": [
            {
                "name": "kserve-container",
                "image": f"{runtime.image}:{version}{'-gpu' if runtime.gpu else ''}",
                "args": ["--model_name={{.Name}}", *runtime.args],
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "runAsNonRoot": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "resources": resources,
            }
        ],
    }
    if runtime.gpu:
        spec["tolerations"] = [
            {"key": GPU_TAINT.key, "operator": "Exists", "effect": GPU_TAINT.effect.value},
            *(dict(t) for t in spot_tolerations),
        ]
        spec["affinity"] = {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": SPOT_NODE_TERMS}}
        }
    elif cpu_tolerations:
        spec["tolerations"] = [dict(t) for t in cpu_tolerations]
    return spec
