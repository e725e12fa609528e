"""Objects controllers create at run time, predicted from what the program declares: the one list.

Each entry names the upstream file (at the version we pin) that creates the object; only the fields the
checks read are predicted (names, labels, selectors, ports, pod placement and security context).

- Envoy proxy Deployment + Service per Gateway (Envoy Gateway v1.9.0): envoyproxy/gateway
  `internal/infrastructure/kubernetes/proxy/resource_provider.go`, `testdata/deployments/default.yaml`.
- HTTP-01 solver Pod per ACME challenge (cert-manager v1.21.1): cert-manager/cert-manager
  `pkg/issuer/acme/http/pod.go`.
- `<cluster>-rw/-ro/-r` Services (CloudNativePG 1.30.0, chart 0.29.0): cloudnative-pg/cloudnative-pg
  `pkg/specs/services.go`, `pkg/utils/labels_annotations.go`.
- `prometheus-<name>` / `alertmanager-<name>` StatefulSets (Prometheus Operator; chart 88.5.3 ships v0.93.1,
  v0.93.0 read): prometheus-operator/prometheus-operator `pkg/prometheus/server/statefulset.go`,
  `pkg/operator/config_reloader.go`.
- HTTPRoute per example InferenceService (KServe v0.20.0): kserve/kserve
  `pkg/controller/v1beta1/inferenceservice/reconcilers/ingress/httproute_reconciler.go`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from offline.verify.objects import SOURCE_ANNOTATION, Obj, kind, name, namespace

if TYPE_CHECKING:
    from offline.verify.cluster import Cluster

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
ENVOY_SOURCE = "envoyproxy/gateway@v1.9.0:internal/infrastructure/kubernetes/proxy/resource_provider.go"
SOLVER_SOURCE = "cert-manager/cert-manager@v1.21.1:pkg/issuer/acme/http/pod.go"
CNPG_SOURCE = "cloudnative-pg/cloudnative-pg@v1.30.0:pkg/specs/services.go"
KSERVE_ROUTE_SOURCE = (
    "kserve/kserve@v0.20.0:pkg/controller/v1beta1/inferenceservice/reconcilers/ingress/httproute_reconciler.go"
)
ENVOY_PROXY_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""The proxy containers' securityContext in Envoy Gateway's default Deployment (testdata/deployments/default.yaml)."""
ENVOY_CONTROLLER_NAMESPACE = "envoy-gateway-system"


def _meta(obj_name: str, ns: str, source: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "name": obj_name,
        "namespace": ns,
        "labels": labels,
        "annotations": {SOURCE_ANNOTATION: f"runtime:{source}"},
    }


def _listener_port(port: int) -> int:
    """Envoy Gateway binds privileged listener ports at port + 10000 (the proxy runs as non-root)."""
    return port + 10000 if port < 1024 else port


def envoy_proxies(objects: list[Obj]) -> list[Obj]:
    out: list[Obj] = []
    proxies = {(namespace(o), name(o)): o for o in objects if kind(o) == "EnvoyProxy"}
    classes = {name(o): o for o in objects if kind(o) == "GatewayClass"}
    for gw in (o for o in objects if kind(o) == "Gateway"):
        gw_class = classes.get((gw.get("spec") or {}).get("gatewayClassName", ""))
        if gw_class is None:
            continue
        params = (gw_class.get("spec") or {}).get("parametersRef") or {}
        proxy = proxies.get((params.get("namespace", ""), params.get("name", ""))) or {}
        k8s_spec = ((proxy.get("spec") or {}).get("provider") or {}).get("kubernetes") or {}
        deployment = k8s_spec.get("envoyDeployment") or {}
        pod = deployment.get("pod") or {}
        labels = {
            "app.kubernetes.io/name": "envoy",
            "app.kubernetes.io/component": "proxy",
            "app.kubernetes.io/managed-by": "envoy-gateway",
            "gateway.envoyproxy.io/owning-gateway-name": name(gw),
            "gateway.envoyproxy.io/owning-gateway-namespace": namespace(gw),
        }
        proxy_name = f"envoy-{namespace(gw)}-{name(gw)}"
        listeners = (gw.get("spec") or {}).get("listeners") or []
        container = {
            "name": "envoy",
            "securityContext": ENVOY_PROXY_SECURITY,
            "ports": [{"containerPort": _listener_port(int(li["port"]))} for li in listeners]
            + [{"containerPort": 19001, "name": "metrics"}, {"containerPort": 19003, "name": "readiness"}],
            "resources": ((deployment.get("container") or {}).get("resources"))
            or {"requests": {"cpu": "100m", "memory": "512Mi"}},
        }
        pod_spec = {
            "containers": [container, {"name": "shutdown-manager", "securityContext": ENVOY_PROXY_SECURITY}],
            "serviceAccountName": proxy_name,
            **{k: pod[k] for k in ("tolerations", "affinity", "nodeSelector", "priorityClassName") if k in pod},
        }
        pod_labels = {**labels, **(pod.get("labels") or {})}
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": _meta(proxy_name, ENVOY_CONTROLLER_NAMESPACE, ENVOY_SOURCE, labels),
                "spec": {
                    "replicas": deployment.get("replicas", 1),
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec},
                },
            }
        )
        service = k8s_spec.get("envoyService") or {}
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": _meta(proxy_name, ENVOY_CONTROLLER_NAMESPACE, ENVOY_SOURCE, labels),
                "spec": {
                    "type": service.get("type", "LoadBalancer"),
                    "selector": labels,
                    "ports": [
                        {"name": li["name"], "port": int(li["port"]), "targetPort": _listener_port(int(li["port"]))}
                        for li in listeners
                    ],
                },
            }
        )
    return out


def http01_solvers(objects: list[Obj]) -> list[Obj]:
    """One solver pod per HTTP-01 challenge, in the namespace of the Certificate: for gateway-shim, the Gateway's."""
    out: list[Obj] = []
    issuers = {name(o): o for o in objects if kind(o) == "ClusterIssuer"}
    for gw in (o for o in objects if kind(o) == "Gateway"):
        issuer = issuers.get(
            ((gw.get("metadata") or {}).get("annotations") or {}).get("cert-manager.io/cluster-issuer", "")
        )
        acme = ((issuer or {}).get("spec") or {}).get("acme") or {}
        for solver in acme.get("solvers") or []:
            http01 = solver.get("http01")
            if not http01:
                continue
            options: dict[str, Any] = next(iter(http01.values()), {}) or {}
            template = options.get("podTemplate") or {}
            t_spec = template.get("spec") or {}
            pod_spec: dict[str, Any] = {
                "automountServiceAccountToken": False,
                "nodeSelector": {"kubernetes.io/os": "linux", **(t_spec.get("nodeSelector") or {})},
                "tolerations": list(t_spec.get("tolerations") or []),
                "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {
                        "name": "acmesolver",
                        "ports": [{"name": "http", "containerPort": 8089}],
                        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}},
                        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                    }
                ],
                **{k: t_spec[k] for k in ("affinity", "priorityClassName", "serviceAccountName") if k in t_spec},
            }
            labels = {
                "acme.cert-manager.io/http01-solver": "true",
                **((template.get("metadata") or {}).get("labels") or {}),
            }
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": _meta("cm-acme-http-solver", namespace(gw), SOLVER_SOURCE, labels),
                    "spec": pod_spec,
                }
            )
    return out


def cnpg_services(objects: list[Obj]) -> list[Obj]:
    out: list[Obj] = []
    for cluster in (
        o for o in objects if kind(o) == "Cluster" and str(o.get("apiVersion", "")).startswith("postgresql.cnpg.io")
    ):
        cname, ns = name(cluster), namespace(cluster)
        labels = {"cnpg.io/cluster": cname}
        for suffix, role in (
            ("rw", {"cnpg.io/instanceRole": "primary"}),
            ("ro", {"cnpg.io/instanceRole": "replica"}),
            ("r", {"cnpg.io/podRole": "instance"}),
        ):
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": _meta(f"{cname}-{suffix}", ns, CNPG_SOURCE, labels),
                    "spec": {
                        "type": "ClusterIP",
                        "selector": {**labels, **role},
                        "ports": [{"name": "postgres", "port": 5432, "targetPort": 5432}],
                    },
                }
            )
    return out


def kserve_routes(objects: list[Obj], examples: Path = EXAMPLES) -> list[Obj]:
    """The HTTPRoute KServe makes for each example InferenceService: on the configured gateway, with no
    sectionName (so on every listener whose hostname admits it), host `<name>-<namespace>.<domain>`."""
    config = next((o for o in objects if kind(o) == "ConfigMap" and name(o) == "inferenceservice-config"), None)
    ingress: dict[str, Any] = {}
    if config is not None:
        ingress = yaml.safe_load(((config.get("data") or {}).get("ingress")) or "{}") or {}
    gateway = str(ingress.get("kserveIngressGateway") or "")
    domain = str(ingress.get("ingressDomain") or "example.com")
    if "/" not in gateway:
        return []
    gw_ns, gw_name = gateway.split("/", 1)
    out: list[Obj] = []
    for path in sorted(examples.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict) or doc.get("kind") != "InferenceService":
                continue
            isvc, ns = name(doc), namespace(doc) or "default"
            out.append(
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "HTTPRoute",
                    "metadata": _meta(isvc, ns, KSERVE_ROUTE_SOURCE, {"serving.kserve.io/inferenceservice": isvc}),
                    "spec": {
                        "parentRefs": [
                            {
                                "group": "gateway.networking.k8s.io",
                                "kind": "Gateway",
                                "name": gw_name,
                                "namespace": gw_ns,
                            }
                        ],
                        "hostnames": [f"{isvc}-{ns}.{domain}"],
                        "rules": [{"backendRefs": [{"name": f"{isvc}-predictor", "namespace": ns, "port": 80}]}],
                    },
                }
            )
    return out


OPERATOR_SOURCE = "prometheus-operator/prometheus-operator@v0.93.0:pkg/prometheus/server/statefulset.go"
OPERATOR_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}
"""What the operator sets on its Prometheus, Alertmanager and config-reloader containers."""
OPERATED = {"Prometheus": ("prometheus", 9090), "Alertmanager": ("alertmanager", 9093)}


def operated_statefulsets(objects: list[Obj]) -> list[Obj]:
    out: list[Obj] = []
    for obj in objects:
        if kind(obj) not in OPERATED or not str(obj.get("apiVersion", "")).startswith("monitoring.coreos.com"):
            continue
        app, port = OPERATED[kind(obj)]
        spec = obj.get("spec") or {}
        labels = {
            "app.kubernetes.io/name": app,
            "app.kubernetes.io/instance": name(obj),
            "app.kubernetes.io/managed-by": "prometheus-operator",
            app: name(obj),
            **((spec.get("podMetadata") or {}).get("labels") or {}),
        }
        containers = [
            {
                "name": app,
                "securityContext": OPERATOR_CONTAINER_SECURITY,
                "ports": [{"name": "web", "containerPort": port}],
                **({"resources": spec["resources"]} if "resources" in spec else {}),
            },
            {"name": "config-reloader", "securityContext": OPERATOR_CONTAINER_SECURITY},
        ]
        pod_spec = {
            "containers": containers,
            "initContainers": [{"name": "init-config-reloader", "securityContext": OPERATOR_CONTAINER_SECURITY}],
            **{
                k: spec[k]
                for k in (
                    "tolerations",
                    "affinity",
                    "nodeSelector",
                    "securityContext",
                    "priorityClassName",
                    "serviceAccountName",
                )
                if k in spec
            },
        }
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": _meta(f"{app}-{name(obj)}", namespace(obj), OPERATOR_SOURCE, labels),
                "spec": {
                    "replicas": spec.get("replicas", 1),
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec},
                },
            }
        )
    return out


def runtime_objects(cluster: Cluster) -> list[Obj]:
    objects = cluster.objects
    return (
        envoy_proxies(objects)
        + http01_solvers(objects)
        + cnpg_services(objects)
        + kserve_routes(objects)
        + operated_statefulsets(objects)
    )
