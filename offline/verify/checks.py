"""The checks: each a small function from a `Cluster` to the failures it finds, one per defect instance.

A failure names the stack, the object and what to change. Every check reads only fields that
`objects.reduce` keeps, so it runs the same on freshly rendered charts and on the committed snapshot.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from offline.verify import facts
from offline.verify.cluster import Cluster, NodePool
from offline.verify.network import Endpoint, allowed
from offline.verify.objects import (
    Obj,
    PodTemplate,
    annotations_of,
    kind,
    labels,
    name,
    namespace,
    pod_templates,
    ref,
    selects,
    source,
)


@dataclass(frozen=True, order=True)
class Failure:
    stack: str
    check: str
    object: str
    message: str

    @property
    def key(self) -> str:
        """What the known-failures baseline stores: stable across runs (no counts, no ordering)."""
        return f"{self.stack} | {self.check} | {self.object} | {self.message}"

    def __str__(self) -> str:
        return f"{self.stack}: [{self.check}] {self.object}: {self.message}"


Check = Callable[[Cluster], Iterator[Failure]]


# --- schema -------------------------------------------------------------------------------------------------

BUILTIN_KINDS: dict[str, set[str]] = {
    "v1": {"ConfigMap", "Endpoints", "LimitRange", "Namespace", "PersistentVolume", "PersistentVolumeClaim", "Pod",
           "ResourceQuota", "Secret", "Service", "ServiceAccount"},
    "apps/v1": {"DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "ControllerRevision"},
    "batch/v1": {"CronJob", "Job"},
    "autoscaling/v2": {"HorizontalPodAutoscaler"},
    "policy/v1": {"PodDisruptionBudget"},
    "networking.k8s.io/v1": {"Ingress", "IngressClass", "NetworkPolicy"},
    "rbac.authorization.k8s.io/v1": {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"},
    "admissionregistration.k8s.io/v1": {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
                                        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"},
    "apiextensions.k8s.io/v1": {"CustomResourceDefinition"},
    "apiregistration.k8s.io/v1": {"APIService"},
    "scheduling.k8s.io/v1": {"PriorityClass"},
    "storage.k8s.io/v1": {"StorageClass", "CSIDriver"},
    "coordination.k8s.io/v1": {"Lease"},
    "discovery.k8s.io/v1": {"EndpointSlice"},
    "flowcontrol.apiserver.k8s.io/v1": {"FlowSchema", "PriorityLevelConfiguration"},
    "certificates.k8s.io/v1": {"CertificateSigningRequest"},
    "node.k8s.io/v1": {"RuntimeClass"},
}  # fmt: skip
"""GA API versions served by Kubernetes 1.34 for the kinds a platform uses (Kubernetes API reference v1.34;
beta and removed versions such as policy/v1beta1 or autoscaling/v2beta2 are deliberately absent)."""


def check_schema(cluster: Cluster) -> Iterator[Failure]:
    """Every object's apiVersion/kind is served: built into the pinned Kubernetes, or by a CRD a chart ships.
    (Field-level validation against the OpenAPI and CRD schemas is not done here.)"""
    served = {gv: set(kinds) for gv, kinds in BUILTIN_KINDS.items()}
    for crd in (o for o in cluster.objects if kind(o) == "CustomResourceDefinition"):
        spec = crd.get("spec") or {}
        for version in spec.get("versions") or []:
            version_name = version if isinstance(version, str) else version.get("name")
            served.setdefault(f"{spec.get('group')}/{version_name}", set()).add(
                (spec.get("names") or {}).get("kind", "")
            )
    for obj in cluster.objects:
        api = str(obj.get("apiVersion", ""))
        if kind(obj) not in served.get(api, set()):
            yield Failure(
                cluster.stack,
                "schema",
                ref(obj),
                f"{api} {kind(obj)} is not served by Kubernetes {cluster.kubernetes_version} "
                "or any CRD the stack installs",
            )


# --- admission ----------------------------------------------------------------------------------------------
# Pod Security Standards as of Kubernetes v1.34 (kubernetes/website content/en/docs/concepts/security/
# pod-security-standards.md; k8s.io/pod-security-admission/policy at v0.34): the checks below, by level.
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
LEVELS = {"privileged": 0, "baseline": 1, "restricted": 2}


def _baseline_violations(pod: PodTemplate) -> Iterator[str]:
    spec = pod.spec
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(host):
            yield f"{host}: true"
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            yield f"hostPath volume {volume.get('name')}"
    pod_sc = spec.get("securityContext") or {}
    if (pod_sc.get("seccompProfile") or {}).get("type") == "Unconfined":
        yield "pod seccompProfile Unconfined"
    for c in pod.containers():
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            yield f"container {c.get('name')} privileged"
        added = set((sc.get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES
        if added:
            yield f"container {c.get('name')} adds capabilities {sorted(added)}"
        if any(p.get("hostPort") for p in c.get("ports") or []):
            yield f"container {c.get('name')} uses a hostPort"
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            yield f"container {c.get('name')} seccompProfile Unconfined"


def _restricted_violations(pod: PodTemplate) -> Iterator[str]:
    spec = pod.spec
    pod_sc = spec.get("securityContext") or {}
    for volume in spec.get("volumes") or []:
        types = set(volume) - {"name"}
        if types and not types & RESTRICTED_VOLUMES:
            yield f"volume {volume.get('name')} of type {sorted(types)[0]}"
    if pod_sc.get("runAsUser") == 0:
        yield "pod runAsUser 0"
    for c in pod.containers():
        sc = c.get("securityContext") or {}
        cname = c.get("name")
        if sc.get("allowPrivilegeEscalation") is not False:
            yield f"container {cname} lacks allowPrivilegeEscalation: false"
        if not (
            sc.get("runAsNonRoot") is True
            or (pod_sc.get("runAsNonRoot") is True and sc.get("runAsNonRoot") is not False)
        ):
            yield f"container {cname} lacks runAsNonRoot: true"
        if sc.get("runAsUser") == 0:
            yield f"container {cname} runAsUser 0"
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            yield f"container {cname} lacks seccompProfile RuntimeDefault"
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            yield f"container {cname} does not drop ALL capabilities"
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            yield f"container {cname} adds capabilities beyond NET_BIND_SERVICE"


def pod_security_level(cluster: Cluster, ns: str) -> str:
    for obj in cluster.objects:
        if kind(obj) == "Namespace" and name(obj) == ns:
            return labels(obj).get("pod-security.kubernetes.io/enforce", "privileged")
    return "privileged"  # the API server's default without an AdmissionConfiguration


def check_pod_security(cluster: Cluster) -> Iterator[Failure]:
    """Every pod (workloads, Helm hooks, init containers, run-time pods) passes its namespace's enforced level."""
    for pod in pod_templates(cluster.objects):
        level = pod_security_level(cluster, pod.namespace)
        problems = list(_baseline_violations(pod)) if LEVELS[level] >= 1 else []
        if LEVELS[level] >= 2:
            problems += list(_restricted_violations(pod))
        if problems:
            yield Failure(
                cluster.stack,
                "admission",
                pod.ref,
                f"rejected by Pod Security '{level}' of namespace {pod.namespace}: {'; '.join(problems)}; "
                "set these fields in the chart values, or lower the namespace's level with a reason",
            )


def _kyverno_match(pattern: Any, value: Any) -> bool:
    """Kyverno's validate.pattern, the subset our policies use: `=(key)` optional anchors, `?*` and `*`
    wildcards, `a | b` alternatives, lists matched element-wise (kyverno.io docs, validate patterns, v1.19)."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        for key, sub in pattern.items():
            optional = key.startswith("=(") and key.endswith(")")
            bare = key[2:-1] if optional else key
            if bare not in value:
                if optional:
                    continue
                return False
            if not _kyverno_match(sub, value[bare]):
                return False
        return True
    if isinstance(pattern, list):
        if not isinstance(value, list):
            return False
        return all(_kyverno_match(pattern[0], item) for item in value) if pattern else True
    text = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
    alternatives = [p.strip() for p in str(pattern).split("|")]
    for alt in alternatives:
        if alt == "?*" and text != "":
            return True
        if fnmatch.fnmatchcase(text, alt):
            return True
    return False


def check_kyverno_enforce(cluster: Cluster) -> Iterator[Failure]:
    """Every pod passes the program's own Kyverno ClusterPolicies whose rules are in Enforce mode."""
    ns_labels = {
        name(o): {**labels(o), "kubernetes.io/metadata.name": name(o)}
        for o in cluster.objects
        if kind(o) == "Namespace"
    }
    for policy in (o for o in cluster.objects if kind(o) == "ClusterPolicy" and source(o).startswith("program")):
        spec = policy.get("spec") or {}
        for rule in spec.get("rules") or []:
            validate = rule.get("validate") or {}
            action = validate.get("failureAction") or spec.get("validationFailureAction") or "Audit"
            if action.lower() != "enforce" or not ("pattern" in validate or "anyPattern" in validate):
                continue
            for pod in pod_templates(cluster.objects):
                if not _rule_applies(rule, pod, ns_labels.get(pod.namespace, {})):
                    continue
                patterns = [validate["pattern"]] if "pattern" in validate else validate["anyPattern"]
                document = {"metadata": {"labels": dict(pod.labels)}, "spec": dict(pod.spec)}
                if not any(_kyverno_match(p, document) for p in patterns):
                    yield Failure(
                        cluster.stack,
                        "admission",
                        pod.ref,
                        f"rejected by Kyverno {name(policy)}/{rule.get('name')} (Enforce): "
                        f"{validate.get('message', '')}",
                    )


def _rule_applies(rule: Mapping[str, Any], pod: PodTemplate, ns_labels: Mapping[str, str]) -> bool:
    def matches(block: Mapping[str, Any] | None) -> bool:
        for entry in (block or {}).get("any") or (block or {}).get("all") or []:
            resources = entry.get("resources") or {}
            if resources.get("kinds") and "Pod" not in resources["kinds"]:
                continue
            if "namespaceSelector" in resources and not selects(resources["namespaceSelector"], ns_labels):
                continue
            if resources.get("namespaces") and pod.namespace not in resources["namespaces"]:
                continue
            return True
        return False

    return matches(rule.get("match")) and not matches(rule.get("exclude"))


# --- scheduling ---------------------------------------------------------------------------------------------


def _tolerates(tolerations: list[Mapping[str, Any]], taint: Any) -> bool:
    for t in tolerations or []:
        if t.get("effect") and t["effect"] != taint.effect:
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t["key"] == taint.key):
            return True
        if t.get("key") == taint.key and str(t.get("value", "")) == taint.value:
            return True
    return False


def _node_affinity_terms(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    required = (
        ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
    ) or {}
    return list(required.get("nodeSelectorTerms") or [])


def _pool_labels(pool: NodePool) -> dict[str, str]:
    return {**pool.labels, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}


def _label_mismatch(pod: PodTemplate, pool: NodePool) -> str | None:
    node_labels = _pool_labels(pool)
    selector = pod.spec.get("nodeSelector") or {}
    if any(node_labels.get(k) != v for k, v in selector.items()):
        return f"nodeSelector {selector}"
    terms = _node_affinity_terms(pod.spec)
    if terms and not any(selects({"matchExpressions": t.get("matchExpressions") or []}, node_labels) for t in terms):
        return "required node affinity"
    return None


def _untolerated(pod: PodTemplate, pool: NodePool) -> str | None:
    hard = [t for t in pool.taints if t.effect in ("NoSchedule", "NoExecute")]
    untolerated = [t for t in hard if not _tolerates(list(pod.spec.get("tolerations") or []), t)]
    if untolerated:
        return f"taint {untolerated[0].key}={untolerated[0].value}:{untolerated[0].effect}"
    return None


def fits(pod: PodTemplate, pool: NodePool) -> str | None:
    """None if the pod may land on the pool; else why not."""
    return _untolerated(pod, pool) or _label_mismatch(pod, pool)


def check_scheduling(cluster: Cluster) -> Iterator[Failure]:
    """Every pod has a pool whose taints it tolerates and whose labels satisfy its selectors/affinity."""
    if not cluster.pools:
        return
    for pod in pod_templates(cluster.objects):
        reasons = {pool.name: fits(pod, pool) for pool in cluster.pools}
        if kind(pod.owner) == "DaemonSet" and all(_label_mismatch(pod, pool) for pool in cluster.pools):
            continue  # a DaemonSet for nodes no pool has (e.g. MPS-capable GPUs) runs no pod: nothing to schedule
        if all(reasons.values()):
            why = "; ".join(f"{p}: {r}" for p, r in sorted(reasons.items()))
            yield Failure(
                cluster.stack,
                "scheduling",
                pod.ref,
                f"no node pool admits it ({why}); give it the platform tolerations/placement in the chart values",
            )
            continue
        if kind(pod.owner) in ("Deployment", "StatefulSet") and pod.replicas > 1:
            anti = ((pod.spec.get("affinity") or {}).get("podAntiAffinity") or {}).get(
                "requiredDuringSchedulingIgnoredDuringExecution"
            )
            if anti and any(t.get("topologyKey") == "kubernetes.io/hostname" for t in anti):
                room = sum(p.max_size for p in cluster.pools if reasons[p.name] is None)
                if room < pod.replicas:
                    yield Failure(
                        cluster.stack,
                        "scheduling",
                        pod.ref,
                        f"{pod.replicas} replicas with required per-node anti-affinity "
                        f"but its pools hold at most {room} nodes",
                    )


# Quantities as Kubernetes spells them (k8s.io/apimachinery resource.Quantity): decimal and binary suffixes.
_SUFFIXES = {
    "m": 1e-3,
    "": 1,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def quantity(value: Any) -> float:
    text = str(value).strip()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            return float(text[: -len(suffix)]) * _SUFFIXES[suffix]
    return float(text)


def pod_requests(pod: PodTemplate) -> tuple[int, int]:
    """(CPU millicores, memory MiB) the scheduler reserves: the larger of the biggest init container and the
    sum of the app containers (native sidecars ignored)."""

    def of(container: Mapping[str, Any]) -> tuple[float, float]:
        requests = (container.get("resources") or {}).get("requests") or {}
        return quantity(requests.get("cpu", 0)), quantity(requests.get("memory", 0))

    apps = [of(c) for c in pod.spec.get("containers") or []]
    inits = [of(c) for c in pod.spec.get("initContainers") or []]
    cpu = max([sum(a[0] for a in apps), *(i[0] for i in inits)])
    memory = max([sum(a[1] for a in apps), *(i[1] for i in inits)])
    return round(cpu * 1000), round(memory / 2**20)


def _allocatable(cluster: Cluster, pool: NodePool) -> tuple[int, int] | None:
    """The pool's largest machine's allocatable (CPU millicores, memory MiB), None when its type is unknown."""
    from clouds import machines

    found = []
    for machine_name in pool.machine_types:
        machine: machines.MachineType | None
        if cluster.cloud == "local":
            node = facts.LOCAL["node"]
            machine = machines.local_node(node["vcpu"], node["memory_gib"])
        else:
            machine = machines.machine_type(cluster.cloud, machine_name)
        if machine is not None:
            a = machines.allocatable(machine)
            found.append((a.cpu_millicores, a.memory_mib))
    return max(found) if found else None


def check_requests_fit(cluster: Cluster) -> Iterator[Failure]:
    """Every pod's requests fit one node of some pool it may land on (allocatable after the cloud's reservations)."""
    for pod in pod_templates(cluster.objects):
        cpu, memory = pod_requests(pod)
        sizes = [a for p in cluster.pools if fits(pod, p) is None and (a := _allocatable(cluster, p))]
        if sizes and not any(cpu <= c and memory <= m for c, m in sizes):
            yield Failure(
                cluster.stack,
                "scheduling",
                pod.ref,
                f"requests {cpu}m CPU / {memory}Mi exceed every admitting node's allocatable "
                f"({', '.join(f'{c}m/{m}Mi' for c, m in sizes)}); lower the requests or use a larger machine type",
            )


def check_system_pool_capacity(cluster: Cluster) -> Iterator[Failure]:
    """What only the system pool admits fits it at its minimum size (DaemonSets count on every node)."""
    for pool in (p for p in cluster.pools if p.system):
        size = _allocatable(cluster, pool)
        if size is None or pool.min_size < 1:
            continue
        cpu_total, memory_total = size[0] * pool.min_size, size[1] * pool.min_size
        cpu_used = memory_used = 0
        for pod in pod_templates(cluster.objects):
            if source(pod.owner).startswith("runtime:") and kind(pod.owner) == "Pod":
                continue  # transient (ACME solvers)
            if fits(pod, pool) is not None or (
                kind(pod.owner) != "DaemonSet"
                and any(fits(pod, other) is None for other in cluster.pools if other is not pool)
            ):
                continue
            if kind(pod.owner) == "Job" or is_hook_owner(pod):
                continue  # runs to completion, one at a time
            cpu, memory = pod_requests(pod)
            count = pool.min_size if kind(pod.owner) == "DaemonSet" else pod.replicas
            cpu_used += cpu * count
            memory_used += memory * count
        if cpu_used > cpu_total or memory_used > memory_total:
            yield Failure(
                cluster.stack,
                "scheduling",
                f"node pool {pool.name}",
                f"pods only it admits request {cpu_used}m CPU / {memory_used}Mi but {pool.min_size} node(s) of "
                f"{pool.machine_types[0]} allocate {cpu_total}m / {memory_total}Mi; raise minSize or the machine type",
            )


def is_hook_owner(pod: PodTemplate) -> bool:
    return "helm.sh/hook" in annotations_of(pod.owner)


# --- reachability ---------------------------------------------------------------------------------------------

API_SERVER = Endpoint(None, address="172.16.0.2")
"""The control plane as pods see it: an address outside the pod network (GKE: inside the master CIDR)."""


def _pod_endpoint(pod: PodTemplate) -> Endpoint:
    ports = {
        p["name"]: int(p["containerPort"])
        for c in pod.containers(init=False)
        for p in c.get("ports") or []
        if p.get("name") and p.get("containerPort")
    }
    address = "10.0.0.10" if pod.spec.get("hostNetwork") else None
    return Endpoint(pod.namespace, dict(pod.labels), address, ports)


def _namespaces_with_pods(cluster: Cluster) -> dict[str, PodTemplate]:
    out: dict[str, PodTemplate] = {}
    for pod in pod_templates(cluster.objects):
        out.setdefault(pod.namespace, pod)
    return out


def check_dns(cluster: Cluster) -> Iterator[Failure]:
    """Every namespace's pods can resolve names: kube-dns, and the node-local cache where the cloud runs one."""
    kube_dns = Endpoint("kube-system", {"k8s-app": "kube-dns"})
    for ns, pod in sorted(_namespaces_with_pods(cluster).items()):
        src = _pod_endpoint(pod)
        target = kube_dns
        if cluster.node_local_dns:
            cache = facts.GKE["node_local_dns"]
            target = Endpoint(cache["namespace"], dict(cache["pod_labels"]), cluster.node_local_dns)
        ok, why = allowed(cluster.objects, src, target, 53, "UDP")
        if not ok:
            where = (
                f"the node-local DNS cache {cluster.node_local_dns} (host network: only an ipBlock matches it)"
                if cluster.node_local_dns
                else "kube-dns"
            )
            yield Failure(
                cluster.stack,
                "reachability",
                f"Namespace {ns}",
                f"DNS to {where} blocked by {why}; allow UDP/TCP 53 to it",
            )


def _service_pods(cluster: Cluster, ns: str, svc_name: str) -> tuple[Obj | None, list[PodTemplate]]:
    svc = next(
        (o for o in cluster.objects if kind(o) == "Service" and namespace(o) == ns and name(o) == svc_name), None
    )
    if svc is None:
        return None, []
    selector = (svc.get("spec") or {}).get("selector")
    if not selector:
        return svc, []
    return svc, [p for p in pod_templates(cluster.objects) if p.namespace == ns and selects(selector, p.labels)]


def _target_port(svc: Obj, port: int | None, pod: PodTemplate) -> int | None:
    ports = (svc.get("spec") or {}).get("ports") or []
    chosen = next((p for p in ports if port is None or int(p.get("port", 0)) == port), ports[0] if ports else None)
    if chosen is None:
        return None
    target = chosen.get("targetPort", chosen.get("port"))
    if isinstance(target, str) and not target.isdigit():
        return _pod_endpoint(pod).named_ports.get(target)
    return int(target)


def _webhook_services(cluster: Cluster) -> Iterator[tuple[Obj, str, str, int | None]]:
    for obj in cluster.objects:
        k = kind(obj)
        if k in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
            for hook in obj.get("webhooks") or []:
                svc = (hook.get("clientConfig") or {}).get("service")
                if svc:
                    yield obj, svc.get("namespace", ""), svc.get("name", ""), svc.get("port", 443)
        elif k == "APIService":
            svc = (obj.get("spec") or {}).get("service")
            if svc:
                yield obj, svc.get("namespace", ""), svc.get("name", ""), svc.get("port", 443)
        elif k == "CustomResourceDefinition":
            svc = (
                ((((obj.get("spec") or {}).get("conversion") or {}).get("webhook") or {}) or {}).get("service")
                or (((obj.get("spec") or {}).get("conversion") or {}).get("webhook") or {}).get("clientConfig", {})
                or {}
            )
            svc = svc.get("service") if isinstance(svc, dict) and "service" in svc else None
            if svc:
                yield obj, svc.get("namespace", ""), svc.get("name", ""), svc.get("port", 443)


def check_webhooks(cluster: Cluster) -> Iterator[Failure]:
    """The API server reaches every webhook and APIService backend: cloud firewall and NetworkPolicies."""
    seen: set[tuple[str, str, int]] = set()
    for obj, ns, svc_name, port in _webhook_services(cluster):
        svc, pods = _service_pods(cluster, ns, svc_name)
        for pod in pods:
            target = _target_port(svc or {}, port, pod)
            if target is None or (ns, svc_name, target) in seen:
                continue
            seen.add((ns, svc_name, target))
            if (
                cluster.control_plane_ports is not None
                and target not in cluster.control_plane_ports
                and not pod.spec.get("hostNetwork")
            ):
                yield Failure(
                    cluster.stack,
                    "reachability",
                    f"{ref(obj)} -> Service {ns}/{svc_name}",
                    f"pod port {target} is closed to the control plane by the private-cluster firewall "
                    f"(open: {sorted(cluster.control_plane_ports)}); add a gcp:compute/firewall:Firewall "
                    f"from the master CIDR for TCP {target}, or move the webhook to 443/10250",
                )
            ok, why = allowed(cluster.objects, API_SERVER, _pod_endpoint(pod), target)
            if not ok:
                yield Failure(
                    cluster.stack,
                    "reachability",
                    f"{ref(obj)} -> Service {ns}/{svc_name}",
                    f"API server to port {target} blocked by {why}",
                )


def check_monitor_targets(cluster: Cluster) -> Iterator[Failure]:
    """Prometheus reaches the pods behind every ServiceMonitor/PodMonitor endpoint."""
    prometheus = next(
        (p for p in pod_templates(cluster.objects) if p.labels.get("app.kubernetes.io/name") == "prometheus"), None
    )
    if prometheus is None:
        return
    src = _pod_endpoint(prometheus)
    for mon in (o for o in cluster.objects if kind(o) in ("ServiceMonitor", "PodMonitor")):
        spec = mon.get("spec") or {}
        names = ((spec.get("namespaceSelector") or {}).get("matchNames")) or [namespace(mon)]
        for ns in names:
            targets: list[tuple[Obj | None, PodTemplate]]
            if kind(mon) == "ServiceMonitor":
                services = [
                    o
                    for o in cluster.objects
                    if kind(o) == "Service" and namespace(o) == ns and selects(spec.get("selector") or {}, labels(o))
                ]
                targets = [(s, p) for s in services for p in _service_pods(cluster, ns, name(s))[1]]
                ports = [e.get("port") or e.get("targetPort") for e in spec.get("endpoints") or []]
            else:
                targets = [
                    (None, p)
                    for p in pod_templates(cluster.objects)
                    if p.namespace == ns and selects(spec.get("selector") or {}, p.labels)
                ]
                ports = [e.get("port") or e.get("portNumber") for e in spec.get("podMetricsEndpoints") or []]
            for svc, pod in targets:
                dst = _pod_endpoint(pod)
                for port in ports:
                    number = _resolve_port(svc, port, dst)
                    if number is None:
                        continue
                    ok, why = allowed(cluster.objects, src, dst, number)
                    if not ok:
                        yield Failure(
                            cluster.stack,
                            "reachability",
                            f"{ref(mon)} -> {pod.ref}",
                            f"Prometheus to port {number} blocked by {why}",
                        )


def _resolve_port(svc: Obj | None, port: Any, dst: Endpoint) -> int | None:
    if port is None:
        return None
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    if svc is not None:
        for p in (svc.get("spec") or {}).get("ports") or []:
            if p.get("name") == port:
                target = p.get("targetPort", p.get("port"))
                if isinstance(target, str) and not target.isdigit():
                    return dst.named_ports.get(target)
                return int(target)
    return dst.named_ports.get(port)


def _gateway_pods(cluster: Cluster) -> list[PodTemplate]:
    return [
        p
        for p in pod_templates(cluster.objects)
        if p.labels.get("app.kubernetes.io/component") == "proxy"
        and "gateway.envoyproxy.io/owning-gateway-name" in p.labels
    ]


def check_route_backends(cluster: Cluster) -> Iterator[Failure]:
    """The gateway's proxy reaches every route backend, and every backend Service and port exists."""
    proxies = _gateway_pods(cluster)
    for route in (o for o in cluster.objects if kind(o) in ("HTTPRoute", "GRPCRoute")):
        for rule in (route.get("spec") or {}).get("rules") or []:
            for backend in rule.get("backendRefs") or []:
                ns = backend.get("namespace") or namespace(route)
                svc, pods = _service_pods(cluster, ns, backend.get("name", ""))
                if svc is None:
                    if source(route).startswith("runtime:"):
                        continue  # KServe creates the predictor Service with the route
                    yield Failure(
                        cluster.stack,
                        "references",
                        ref(route),
                        f"backend Service {ns}/{backend.get('name')} does not exist",
                    )
                    continue
                svc_ports = [int(p.get("port", 0)) for p in (svc.get("spec") or {}).get("ports") or []]
                if backend.get("port") is not None and int(backend["port"]) not in svc_ports:
                    yield Failure(
                        cluster.stack,
                        "references",
                        ref(route),
                        f"Service {ns}/{name(svc)} has no port {backend['port']} (has {svc_ports})",
                    )
                    continue
                for proxy in proxies:
                    for pod in pods:
                        target = _target_port(svc, backend.get("port"), pod)
                        if target is None:
                            continue
                        ok, why = allowed(cluster.objects, _pod_endpoint(proxy), _pod_endpoint(pod), target)
                        if not ok:
                            yield Failure(
                                cluster.stack,
                                "reachability",
                                f"{ref(route)} -> {pod.ref}",
                                f"gateway to port {target} blocked by {why}",
                            )


# --- references ------------------------------------------------------------------------------------------------


def _created_secrets(cluster: Cluster) -> set[tuple[str, str]]:
    out = {(namespace(o), name(o)) for o in cluster.objects if kind(o) == "Secret"}
    for o in cluster.objects:
        spec = o.get("spec") or {}
        if kind(o) == "ExternalSecret":
            out.add((namespace(o), (spec.get("target") or {}).get("name") or name(o)))
        elif kind(o) == "Certificate":
            out.add((namespace(o), spec.get("secretName", "")))
        elif kind(o) == "Gateway" and "cert-manager.io/cluster-issuer" in annotations_of(o):
            for listener in spec.get("listeners") or []:
                for cert in (listener.get("tls") or {}).get("certificateRefs") or []:
                    out.add((namespace(o), cert.get("name", "")))
    return out


def _secret_refs(pod: PodTemplate) -> Iterator[str]:
    for volume in pod.spec.get("volumes") or []:
        secret = volume.get("secret")
        if secret and not secret.get("optional"):
            yield secret.get("secretName", "")
    for c in pod.containers():
        for env in c.get("env") or []:
            key_ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if key_ref and not key_ref.get("optional"):
                yield key_ref.get("name", "")
        for env_from in c.get("envFrom") or []:
            secret_ref = env_from.get("secretRef")
            if secret_ref and not secret_ref.get("optional"):
                yield secret_ref.get("name", "")


def check_secret_references(cluster: Cluster) -> Iterator[Failure]:
    """Every Secret a pod reads by a name the program chose (in its values or objects) is created by someone.
    Names a chart picks itself are the chart's (its controller creates them at run time)."""
    created = _created_secrets(cluster)
    chosen = json.dumps([r.values for r in cluster.releases]) + json.dumps(
        [o for o in cluster.objects if source(o).startswith("program")]
    )
    for pod in pod_templates(cluster.objects):
        for secret in sorted(set(_secret_refs(pod))):
            if (pod.namespace, secret) in created or f'"{secret}"' not in chosen:
                continue
            yield Failure(
                cluster.stack, "references", pod.ref, f"reads Secret {pod.namespace}/{secret}, which nothing creates"
            )


def check_identity_bindings(cluster: Cluster) -> Iterator[Failure]:
    """Every service account bound to a cloud identity exists in its namespace."""
    accounts = {(namespace(o), name(o)) for o in cluster.objects if kind(o) == "ServiceAccount"}
    for grant in cluster.grants:
        if (grant.namespace, grant.service_account) not in accounts:
            yield Failure(
                cluster.stack,
                "references",
                f"ServiceAccount {grant.namespace}/{grant.service_account}",
                "is bound to a cloud identity but no chart or program object creates it",
            )


# --- exposure ----------------------------------------------------------------------------------------------------


def _listener_admits(
    listener: Mapping[str, Any], route: Obj, gw: Obj, ns_labels: Mapping[str, Mapping[str, str]]
) -> bool:
    allowed_from = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("from", "Same")
    if allowed_from == "Same" and namespace(route) != namespace(gw):
        return False
    if allowed_from == "Selector":
        selector = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("selector") or {}
        if not selects(selector, ns_labels.get(namespace(route), {})):
            return False
    host = listener.get("hostname")
    hostnames = (route.get("spec") or {}).get("hostnames") or []
    if host and hostnames:
        return any(h == host or (host.startswith("*.") and h.endswith(host[1:])) for h in hostnames)
    return True


def attached_listeners(cluster: Cluster, route: Obj) -> Iterator[tuple[Obj, Mapping[str, Any]]]:
    from offline.verify.network import namespace_labels

    ns_labels = namespace_labels(cluster.objects)
    gateways = {(namespace(o), name(o)): o for o in cluster.objects if kind(o) == "Gateway"}
    for parent in (route.get("spec") or {}).get("parentRefs") or []:
        gw = gateways.get((parent.get("namespace") or namespace(route), parent.get("name", "")))
        if gw is None:
            continue
        for listener in (gw.get("spec") or {}).get("listeners") or []:
            if parent.get("sectionName") and parent["sectionName"] != listener.get("name"):
                continue
            if _listener_admits(listener, route, gw, ns_labels):
                yield gw, listener


def _outside_reachable(cluster: Cluster, gw: Obj) -> bool:
    for svc in cluster.objects:
        if kind(svc) == "Service" and labels(svc).get("gateway.envoyproxy.io/owning-gateway-name") == name(gw):
            return (svc.get("spec") or {}).get("type") in ("LoadBalancer", "NodePort")
    return False


def _authenticated(cluster: Cluster, gw: Obj, listener: Mapping[str, Any], route: Obj) -> bool:
    for policy in (o for o in cluster.objects if kind(o) == "SecurityPolicy"):
        spec = policy.get("spec") or {}
        if not any(k in spec for k in ("oidc", "jwt", "basicAuth", "extAuth", "apiKeyAuth")):
            continue
        for target in spec.get("targetRefs") or []:
            if (
                target.get("kind") == "Gateway"
                and target.get("name") == name(gw)
                and namespace(policy) == namespace(gw)
                and (not target.get("sectionName") or target["sectionName"] == listener.get("name"))
            ):
                return True
            if (
                target.get("kind") == route.get("kind")
                and target.get("name") == name(route)
                and namespace(policy) == namespace(route)
            ):
                return True
    return False


def _redirect_only(route: Obj) -> bool:
    """Every rule answers with a RequestRedirect filter and names no backend."""
    rules = (route.get("spec") or {}).get("rules") or []
    return bool(rules) and all(
        not rule.get("backendRefs") and any(f.get("type") == "RequestRedirect" for f in rule.get("filters") or [])
        for rule in rules
    )


def check_exposure(cluster: Cluster) -> Iterator[Failure]:
    """Every route on a listener reachable from outside is behind authentication."""
    for route in (o for o in cluster.objects if kind(o) in ("HTTPRoute", "GRPCRoute")):
        if labels(route).get("acme.cert-manager.io/http01-solver") == "true":
            continue  # ACME challenges must be answered without authentication
        if _redirect_only(route):
            continue  # a route that only redirects (HTTP to HTTPS) reaches no backend
        for gw, listener in attached_listeners(cluster, route):
            if _outside_reachable(cluster, gw) and not _authenticated(cluster, gw, listener, route):
                yield Failure(
                    cluster.stack,
                    "exposure",
                    ref(route),
                    f"attaches to outside-reachable listener {namespace(gw)}/{name(gw)}:{listener.get('name')} "
                    f"(port {int(listener.get('port') or 0)}) with no authentication; give the listener a "
                    "hostname/allowedRoutes that excludes it, or cover it with a SecurityPolicy",
                )


def check_listener_namespaces(cluster: Cluster) -> Iterator[Failure]:
    """Listeners reachable from outside admit routes only from the namespaces meant to attach (not `All`)."""
    for gw in (o for o in cluster.objects if kind(o) == "Gateway"):
        if not _outside_reachable(cluster, gw):
            continue
        for listener in (gw.get("spec") or {}).get("listeners") or []:
            if ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("from") == "All":
                yield Failure(
                    cluster.stack,
                    "exposure",
                    f"{ref(gw)}:{listener.get('name')}",
                    "admits routes from every namespace; use allowedRoutes.namespaces.from: Selector "
                    "for the namespaces meant to attach",
                )


# --- identity paths -----------------------------------------------------------------------------------------------


def _covered(path: str, prefixes: tuple[str, ...]) -> bool:
    clean = path.strip("/") + "/"
    return any(clean.startswith(p.strip("/") + "/") for p in prefixes)


def _repository_key_format(repository: Mapping[str, Any]) -> str | None:
    for backend in ("s3", "gcs", "azure"):
        block = repository.get(backend) or {}
        key = block.get("keyFormat") or block.get("blobNameFormat")
        if key:
            # The chart renders gcs/azure through `tpl`: a quoted Go-template literal stands for its text.
            return str(key).replace('{{ "', "").replace('" }}', "")
    return None


def _artifact_key_format(cluster: Cluster) -> str | None:
    """Argo's default artifact key format, from the controller's ConfigMap (`config.artifactRepository`)."""
    import yaml

    for obj in cluster.objects:
        raw = (obj.get("data") or {}).get("config") if kind(obj) == "ConfigMap" else None
        if not raw:
            continue
        key = _repository_key_format((yaml.safe_load(raw) or {}).get("artifactRepository") or {})
        if key:
            return key
    return None


NAMESPACE_REPOSITORIES = "artifact-repositories"
REPOSITORY_ANNOTATION = "workflows.argoproj.io/default-artifact-repository"
"""Argo Workflows v3 reads a workflow's default artifact repository from the ConfigMap `artifact-repositories` of
the workflow's own namespace, under the key this annotation names, before the controller's default
(argoproj/argo-workflows, docs/artifact-repository-ref.md)."""


def _namespace_key_formats(cluster: Cluster) -> dict[str, str]:
    import yaml

    formats = {}
    for obj in cluster.objects:
        if kind(obj) != "ConfigMap" or name(obj) != NAMESPACE_REPOSITORIES:
            continue
        key = ((obj.get("metadata") or {}).get("annotations") or {}).get(REPOSITORY_ANNOTATION)
        raw = (obj.get("data") or {}).get(key or "")
        if isinstance(raw, str):
            found = _repository_key_format(yaml.safe_load(raw) or {})
            if found:
                formats[namespace(obj)] = found
    return formats


def check_identity_paths(cluster: Cluster) -> Iterator[Failure]:
    """Every object-store path a workload writes lies inside what its cloud identity may touch."""
    if not cluster.grants:
        return
    by_account = {(g.namespace, g.service_account): g for g in cluster.grants}
    default_format = _artifact_key_format(cluster)
    own_formats = _namespace_key_formats(cluster)
    for ns in cluster.workflow_namespaces:
        key_format = own_formats.get(ns, default_format)
        if not key_format:
            continue
        path = key_format.replace("{{workflow.namespace}}", ns).split("{{", 1)[0]
        # Workflows run as the namespace's writing identity (the pipeline runner, a team's workload account);
        # read-only identities in the same namespace (the Argo UI server) do not write artifacts.
        writers = [g for g in cluster.grants if g.namespace == ns and g.writes]
        if not any(_covered(path, g.prefixes) for g in writers):
            who = ", ".join(f"{ns}/{g.service_account} {list(g.prefixes)}" for g in writers) or "no identity"
            yield Failure(
                cluster.stack,
                "identity-paths",
                f"Argo Workflows artifacts of namespace {ns}",
                f"written under {path} (keyFormat {key_format}) but the namespace's writers may write only: {who}; "
                "give the namespace an artifact repository under its own prefix",
            )
    for obj in cluster.objects:
        if kind(obj) == "ConfigMap" and "ARTIFACT_PREFIX" in (obj.get("data") or {}):
            data = obj.get("data") or {}
            grant = by_account.get((namespace(obj), data.get("SERVICE_ACCOUNT", "")))
            if grant is None or not _covered(data["ARTIFACT_PREFIX"], grant.prefixes):
                yield Failure(
                    cluster.stack,
                    "identity-paths",
                    ref(obj),
                    f"tells the team to write under {data['ARTIFACT_PREFIX']} "
                    f"but its identity may touch {list(grant.prefixes) if grant else []}",
                )


CONTROLLER_POLICIES = {
    "capacity-karpenter": "karpenter-controller-1.14.1",
    "identity-aws-load-balancer-controller": "aws-load-balancer-controller-v3.5.0",
}
"""Our inline role policy (logical name) -> the controller's reference policy at the pinned version."""


def check_controller_iam(cluster: Cluster) -> Iterator[Failure]:
    """AWS controllers' roles allow every action their reference policy at the pinned version allows (a
    missing one fails at run time), and nothing beyond it (wildcards included)."""
    for policy_name, fixture in CONTROLLER_POLICIES.items():
        ours = cluster.iam_actions.get(policy_name)
        if ours is None:
            continue
        reference = facts.reference_iam_actions(fixture)
        missing = sorted(reference - ours)
        extra = sorted(
            a
            for a in ours - reference
            if a.endswith("*") or a.split(":", 1)[0] not in {r.split(":", 1)[0] for r in reference}
        )
        if missing:
            yield Failure(
                cluster.stack,
                "identity",
                f"aws:iam/rolePolicy {policy_name}",
                f"lacks {', '.join(missing)} that {fixture} allows; add them",
            )
        if extra:
            yield Failure(
                cluster.stack,
                "identity",
                f"aws:iam/rolePolicy {policy_name}",
                f"allows {', '.join(extra)} beyond {fixture}; remove them",
            )


CHECKS: tuple[Check, ...] = (
    check_schema,
    check_pod_security,
    check_kyverno_enforce,
    check_scheduling,
    check_requests_fit,
    check_system_pool_capacity,
    check_dns,
    check_webhooks,
    check_monitor_targets,
    check_route_backends,
    check_secret_references,
    check_identity_bindings,
    check_exposure,
    check_listener_namespaces,
    check_identity_paths,
    check_controller_iam,
)


def run_checks(cluster: Cluster, checks: tuple[Check, ...] = CHECKS) -> list[Failure]:
    return sorted({f for check in checks for f in check(cluster)})
