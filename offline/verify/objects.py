"""Kubernetes objects as plain dicts: identity, pod templates, and the reduced form the snapshot keeps.

Every check reads objects only through these helpers, so an object rendered by Helm, declared by the program
or predicted for a controller looks the same to it, and the snapshot needs to keep only what they read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

HOOK_ANNOTATION = "helm.sh/hook"
SOURCE_ANNOTATION = "verify.mlops-platform/source"
"""Where an object comes from (`release:<name>`, `program`, `runtime:<upstream file>`); set by the collectors."""

CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "APIService",
    "PriorityClass",
    "StorageClass",
    "ClusterPolicy",
    "ClusterIssuer",
    "ClusterSecretStore",
    "GatewayClass",
    "ClusterServingRuntime",
    "NodePool",
    "EC2NodeClass",
    "PersistentVolume",
    "IngressClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
}


def kind(obj: Mapping[str, Any]) -> str:
    return str(obj.get("kind", ""))


def name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def namespace(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def source(obj: Mapping[str, Any]) -> str:
    return annotations_of(obj).get(SOURCE_ANNOTATION, "program")


def ref(obj: Mapping[str, Any]) -> str:
    """`Kind ns/name` (or `Kind name` when cluster-scoped): how failures name an object."""
    ns = namespace(obj)
    return f"{kind(obj)} {ns}/{name(obj)}" if ns else f"{kind(obj)} {name(obj)}"


def is_hook(obj: Mapping[str, Any]) -> bool:
    return HOOK_ANNOTATION in annotations_of(obj)


@dataclass(frozen=True)
class PodTemplate:
    """One pod as it will be created: from a workload's template, a CronJob's job template or a bare Pod."""

    owner: Mapping[str, Any]
    namespace: str
    labels: Mapping[str, str]
    spec: Mapping[str, Any]
    replicas: int

    @property
    def ref(self) -> str:
        hook = " (Helm hook)" if is_hook(self.owner) else ""
        return ref(self.owner) + hook

    def containers(self, *, init: bool = True) -> Iterator[Mapping[str, Any]]:
        if init:
            yield from self.spec.get("initContainers") or []
        yield from self.spec.get("containers") or []
        if init:
            yield from self.spec.get("ephemeralContainers") or []


WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}


def pod_template(obj: Mapping[str, Any]) -> PodTemplate | None:
    """The pod an object creates, or None for objects that create none."""
    k = kind(obj)
    if k not in WORKLOAD_KINDS:
        return None
    spec = obj.get("spec") or {}
    replicas = 1
    if k == "Pod":
        meta, pod_spec = obj.get("metadata") or {}, spec
    elif k == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        meta, pod_spec = template.get("metadata") or {}, template.get("spec") or {}
    else:
        template = spec.get("template") or {}
        meta, pod_spec = template.get("metadata") or {}, template.get("spec") or {}
        if k in ("Deployment", "StatefulSet", "ReplicaSet"):
            replicas = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    return PodTemplate(obj, namespace(obj), dict(meta.get("labels") or {}), pod_spec, replicas)


def pod_templates(objects: list[Obj]) -> Iterator[PodTemplate]:
    for obj in objects:
        pod = pod_template(obj)
        if pod is not None:
            yield pod


def selects(selector: Mapping[str, Any] | None, target: Mapping[str, str]) -> bool:
    """A label selector (`matchLabels` / `matchExpressions`, or a plain map as Services use) against labels.
    None selects nothing; an empty selector selects everything."""
    if selector is None:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return all(target.get(k) == v for k, v in selector.items())
    if any(target.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in target
        if op == "In" and not (present and target[key] in values):
            return False
        if op == "NotIn" and present and target[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


# --- the reduced form kept in the committed snapshot ---------------------------------------------------------

_POD_SPEC_FIELDS = (
    "serviceAccountName",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "securityContext",
    "nodeSelector",
    "affinity",
    "tolerations",
    "priorityClassName",
    "volumes",
    "dnsPolicy",
    "imagePullSecrets",
)
_CONTAINER_FIELDS = ("name", "image", "securityContext", "resources", "ports", "env", "envFrom", "volumeMounts")


def _reduce_container(container: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: container[k] for k in _CONTAINER_FIELDS if k in container}
    # Only the names of what an env var reads are checked (references); literal values are chart text.
    if "env" in out:
        out["env"] = [{k: v for k, v in e.items() if k in ("name", "valueFrom")} for e in out["env"] or []]
    if "volumeMounts" in out:
        out["volumeMounts"] = [
            {"name": m.get("name"), "mountPath": m.get("mountPath")} for m in out["volumeMounts"] or []
        ]
    return out


def _reduce_volume(volume: Mapping[str, Any]) -> dict[str, Any]:
    kept = {"name": volume.get("name")}
    for key in ("secret", "configMap", "hostPath", "projected", "persistentVolumeClaim", "emptyDir", "csi"):
        if key in volume:
            kept[key] = {"present": True} if key in ("emptyDir", "csi") else volume[key]
    return kept


def _reduce_pod_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: spec[k] for k in _POD_SPEC_FIELDS if k in spec}
    if "volumes" in out:
        out["volumes"] = [_reduce_volume(v) for v in out["volumes"] or []]
    for key in ("initContainers", "containers"):
        if key in spec:
            out[key] = [_reduce_container(c) for c in spec[key] or []]
    return out


def _reduce_template(template: Mapping[str, Any]) -> dict[str, Any]:
    meta = template.get("metadata") or {}
    return {
        "metadata": {k: meta[k] for k in ("labels",) if k in meta},
        "spec": _reduce_pod_spec(template.get("spec") or {}),
    }


OPERATOR_POD_FIELDS = (
    "replicas",
    "tolerations",
    "affinity",
    "nodeSelector",
    "securityContext",
    "resources",
    "podMetadata",
    "priorityClassName",
    "serviceAccountName",
)
"""The pod fields of a Prometheus or Alertmanager resource, which the operator copies into its StatefulSet."""

_SPEC_FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "Service": ("type", "selector", "ports", "clusterIP"),
    "NetworkPolicy": ("podSelector", "policyTypes", "ingress", "egress"),
    "ServiceMonitor": ("selector", "namespaceSelector", "endpoints"),
    "PodMonitor": ("selector", "namespaceSelector", "podMetricsEndpoints"),
    "PodDisruptionBudget": ("selector", "minAvailable", "maxUnavailable"),
    "HTTPRoute": ("parentRefs", "hostnames", "rules"),
    "GRPCRoute": ("parentRefs", "hostnames", "rules"),
    "Gateway": ("gatewayClassName", "listeners"),
    "ClusterPolicy": ("validationFailureAction", "rules", "background"),
    "Policy": ("validationFailureAction", "rules"),
    "APIService": ("service", "group", "version"),
    # The operator turns these into StatefulSets at run time (offline.verify.runtime): their pod fields.
    "Prometheus": OPERATOR_POD_FIELDS,
    "Alertmanager": OPERATOR_POD_FIELDS,
}


def reduce(obj: Mapping[str, Any]) -> Obj:
    """The fields the checks read, and nothing else: no chart text, no literal configuration."""
    meta = obj.get("metadata") or {}
    out: Obj = {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": {k: meta[k] for k in ("name", "namespace", "labels", "annotations") if meta.get(k)},
    }
    if "annotations" in out["metadata"]:
        # Hooks and where the object came from are read; other annotations are configuration text.
        kept = {k: v for k, v in out["metadata"]["annotations"].items() if k.startswith(("helm.sh/hook", "verify."))}
        out["metadata"]["annotations"] = kept
        if not kept:
            del out["metadata"]["annotations"]
    k = kind(obj)
    spec = obj.get("spec") or {}
    if k in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        out["spec"] = {key: spec[key] for key in ("replicas", "selector") if key in spec}
        out["spec"]["template"] = _reduce_template(spec.get("template") or {})
    elif k == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        out["spec"] = {"jobTemplate": {"spec": {"template": _reduce_template(job.get("template") or {})}}}
    elif k == "Pod":
        out["spec"] = _reduce_pod_spec(spec)
    elif k in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        out["webhooks"] = [
            {
                "name": w.get("name"),
                "failurePolicy": w.get("failurePolicy", "Fail"),
                "clientConfig": {"service": (w.get("clientConfig") or {}).get("service")},
                "namespaceSelector": w.get("namespaceSelector"),
            }
            for w in obj.get("webhooks") or []
        ]
    elif k == "CustomResourceDefinition":
        out["spec"] = {
            "group": spec.get("group"),
            "names": {"kind": (spec.get("names") or {}).get("kind")},
            "versions": [v.get("name") for v in spec.get("versions") or []],
            "conversion": {"webhook": ((spec.get("conversion") or {}).get("webhook") or {}).get("clientConfig")},
        }
    elif k in ("RoleBinding", "ClusterRoleBinding"):
        out["roleRef"] = obj.get("roleRef")
        out["subjects"] = obj.get("subjects")
    elif k == "ConfigMap":
        kept = {key: _config_fact(name(obj), key, value) for key, value in (obj.get("data") or {}).items()}
        kept = {key: value for key, value in kept.items() if value is not None}
        if kept:
            out["data"] = kept
    elif k in _SPEC_FIELDS_BY_KIND:
        out["spec"] = {key: spec[key] for key in _SPEC_FIELDS_BY_KIND[k] if key in spec}
    return out


_REPOSITORY_FIELDS = ("bucket", "keyFormat", "blobNameFormat", "container")


def _config_fact(_name: str, key: str, value: Any) -> str | None:
    """The facts the checks read from a ConfigMap value, as JSON: KServe's gateway and domain (`ingress`),
    Argo's artifact repository (`config`); None for every other value."""
    import json

    import yaml

    if key not in ("ingress", "config") or not isinstance(value, str):
        return None
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return None
    if not isinstance(parsed, dict):
        return None
    if key == "ingress":
        facts = {f: parsed[f] for f in ("kserveIngressGateway", "ingressDomain") if f in parsed}
    else:
        repository = parsed.get("artifactRepository")
        if not isinstance(repository, dict):
            return None
        facts = {
            "artifactRepository": {
                backend: {k: v for k, v in block.items() if k in _REPOSITORY_FIELDS}
                for backend, block in repository.items()
                if isinstance(block, dict)
            }
        }
    return json.dumps(facts, sort_keys=True) if facts else None
