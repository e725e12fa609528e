"""Each verify check on small hand-made manifests: it fails on the defect it exists for and passes without it."""

from __future__ import annotations

from typing import Any

from offline.verify import checks
from offline.verify.cluster import Cluster, NodePool, ObjectStoreGrant, Taint
from offline.verify.objects import SOURCE_ANNOTATION

SECURE = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
    "capabilities": {"drop": ["ALL"]},
}


def ns(name: str, level: str = "restricted", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"pod-security.kubernetes.io/enforce": level, **labels}},
    }


def deployment(
    name: str, namespace: str, *, labels: dict[str, str] | None = None, hook: bool = False, **pod: Any
) -> dict[str, Any]:
    pod.setdefault("containers", [{"name": "app", "securityContext": SECURE, "ports": [{"containerPort": 8080}]}])
    annotations = {"helm.sh/hook": "pre-install"} if hook else {}
    return {
        "apiVersion": "batch/v1" if hook else "apps/v1",
        "kind": "Job" if hook else "Deployment",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": {"template": {"metadata": {"labels": labels or {"app": name}}, "spec": pod}},
    }


def service(name: str, namespace: str, selector: dict[str, str], port: int, target: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": selector, "ports": [{"name": "http", "port": port, "targetPort": target}]},
    }


def policy(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"podSelector": {}, **spec},
    }


DEFAULT_DENY = {"policyTypes": ["Ingress", "Egress"]}
SYSTEM = NodePool("system", {"mlops-platform/pool": "system"}, (), ("m6i.large",), 2, 3, system=True)
CRITICAL_ONLY = NodePool("system", {}, (Taint("CriticalAddonsOnly", "true", "NoSchedule"),), ("D4",), 2, 3, True)


def cluster(*objects: dict[str, Any], pools: list[NodePool] | None = None, **kw: Any) -> Cluster:
    return Cluster("unit", "test", "1.34", list(objects), pools if pools is not None else [SYSTEM], [], **kw)


def found(check: checks.Check, c: Cluster) -> list[str]:
    return [str(f) for f in check(c)]


# --- admission -------------------------------------------------------------------------------------------------


def test_pod_security_rejects_a_root_pod_in_a_restricted_namespace() -> None:
    pod = deployment("store", "object-store", containers=[{"name": "s3"}])
    assert found(checks.check_pod_security, cluster(ns("object-store"), pod))
    assert not found(checks.check_pod_security, cluster(ns("object-store", "privileged"), pod))


def test_pod_security_reads_init_containers_and_hook_jobs() -> None:
    hook = deployment("migrate", "apps", hook=True, initContainers=[{"name": "wait"}])
    failures = found(checks.check_pod_security, cluster(ns("apps"), hook))
    assert len(failures) == 1 and "container wait" in failures[0] and "Helm hook" in failures[0]
    assert not found(checks.check_pod_security, cluster(ns("apps"), deployment("migrate", "apps", hook=True)))


def test_pod_security_baseline_rejects_host_paths_but_not_root() -> None:
    host = deployment("agent", "apps", containers=[{"name": "a"}], volumes=[{"name": "h", "hostPath": {"path": "/"}}])
    assert found(checks.check_pod_security, cluster(ns("apps", "baseline"), host))
    root = deployment("agent", "apps", containers=[{"name": "a"}])
    assert not found(checks.check_pod_security, cluster(ns("apps", "baseline"), root))


ENFORCED_NON_ROOT: dict[str, Any] = {
    "apiVersion": "kyverno.io/v1",
    "kind": "ClusterPolicy",
    "metadata": {"name": "non-root"},
    "spec": {
        "rules": [
            {
                "name": "run-as-non-root",
                "match": {
                    "any": [{"resources": {"kinds": ["Pod"], "namespaceSelector": {"matchLabels": {"tenant": "true"}}}}]
                },
                "validate": {
                    "failureAction": "Enforce",
                    "message": "non-root",
                    "pattern": {"spec": {"containers": [{"securityContext": {"runAsNonRoot": "true"}}]}},
                },
            }
        ]
    },
}


def test_kyverno_enforce_rejects_pods_its_pattern_does_not_match_in_matching_namespaces() -> None:
    root = deployment("job", "team-a", containers=[{"name": "c"}])
    assert found(checks.check_kyverno_enforce, cluster(ns("team-a", tenant="true"), ENFORCED_NON_ROOT, root))
    assert not found(checks.check_kyverno_enforce, cluster(ns("team-a"), ENFORCED_NON_ROOT, root))
    good = deployment("job", "team-a")
    assert not found(checks.check_kyverno_enforce, cluster(ns("team-a", tenant="true"), ENFORCED_NON_ROOT, good))


def test_kyverno_audit_rules_never_reject() -> None:
    audit = {**ENFORCED_NON_ROOT, "spec": {"rules": [dict(ENFORCED_NON_ROOT["spec"]["rules"][0])]}}
    audit["spec"]["rules"][0]["validate"] = {**audit["spec"]["rules"][0]["validate"], "failureAction": "Audit"}
    root = deployment("job", "team-a", containers=[{"name": "c"}])
    assert not found(checks.check_kyverno_enforce, cluster(ns("team-a", tenant="true"), audit, root))


# --- scheduling --------------------------------------------------------------------------------------------------


def test_scheduling_fails_a_hook_job_that_tolerates_no_pool_taint() -> None:
    job = deployment("certgen", "gw", hook=True)
    failures = found(checks.check_scheduling, cluster(job, pools=[CRITICAL_ONLY]))
    assert len(failures) == 1 and "CriticalAddonsOnly" in failures[0]
    tolerant = deployment("certgen", "gw", hook=True, tolerations=[{"key": "CriticalAddonsOnly", "operator": "Exists"}])
    assert not found(checks.check_scheduling, cluster(tolerant, pools=[CRITICAL_ONLY]))


def test_scheduling_fails_a_node_selector_no_pool_carries() -> None:
    gpu = deployment("plugin", "gpu", nodeSelector={"nvidia.com/gpu.present": "true"})
    assert found(checks.check_scheduling, cluster(gpu))
    gpu_pool = NodePool("gpu", {"nvidia.com/gpu.present": "true"}, (), ("g5.xlarge",), 0, 2)
    assert not found(checks.check_scheduling, cluster(gpu, pools=[SYSTEM, gpu_pool]))


def test_scheduling_fails_more_replicas_with_required_anti_affinity_than_nodes() -> None:
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname"}]
        }
    }
    many = deployment("ha", "apps", affinity=anti)
    many["spec"]["replicas"] = 4
    assert found(checks.check_scheduling, cluster(many))
    many["spec"]["replicas"] = 3
    assert not found(checks.check_scheduling, cluster(many))


# --- reachability ------------------------------------------------------------------------------------------------

KUBE_DNS_ONLY = policy(
    "allow-dns",
    "apps",
    policyTypes=["Egress"],
    egress=[
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"port": 53, "protocol": "UDP"}],
        }
    ],
)


def test_dns_to_kube_dns_passes_where_no_node_local_cache_runs() -> None:
    objects = (ns("apps"), deployment("app", "apps"), policy("deny", "apps", **DEFAULT_DENY), KUBE_DNS_ONLY)
    assert not found(checks.check_dns, cluster(*objects))
    assert found(checks.check_dns, cluster(*objects[:3]))


def test_dns_to_a_node_local_cache_needs_an_ip_block() -> None:
    objects = [ns("apps"), deployment("app", "apps"), policy("deny", "apps", **DEFAULT_DENY), KUBE_DNS_ONLY]
    failures = found(checks.check_dns, cluster(*objects, node_local_dns="169.254.20.10"))
    assert len(failures) == 1 and "169.254.20.10" in failures[0]
    cache = policy(
        "allow-node-local-dns",
        "apps",
        policyTypes=["Egress"],
        egress=[{"to": [{"ipBlock": {"cidr": "169.254.20.10/32"}}], "ports": [{"port": 53, "protocol": "UDP"}]}],
    )
    assert not found(checks.check_dns, cluster(*objects, cache, node_local_dns="169.254.20.10"))


WEBHOOK = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingWebhookConfiguration",
    "metadata": {"name": "hooks"},
    "webhooks": [
        {"name": "v.example", "clientConfig": {"service": {"namespace": "ctl", "name": "webhook", "port": 443}}}
    ],
}


def test_webhooks_on_ports_the_private_cluster_firewall_closes_fail() -> None:
    objects = (deployment("ctl", "ctl"), service("webhook", "ctl", {"app": "ctl"}, 443, 8080), WEBHOOK)
    failures = found(checks.check_webhooks, cluster(*objects, control_plane_ports=frozenset({443, 10250})))
    assert len(failures) == 1 and "8080" in failures[0]
    assert not found(checks.check_webhooks, cluster(*objects, control_plane_ports=frozenset({443, 10250, 8080})))
    assert not found(checks.check_webhooks, cluster(*objects))  # no firewall between control plane and nodes


def test_webhooks_need_ingress_from_outside_the_pod_network() -> None:
    objects = [
        deployment("ctl", "ctl"),
        service("webhook", "ctl", {"app": "ctl"}, 443, 8080),
        WEBHOOK,
        policy("deny", "ctl", **DEFAULT_DENY),
    ]
    assert found(checks.check_webhooks, cluster(*objects))
    opened = policy("allow-webhooks", "ctl", policyTypes=["Ingress"], ingress=[{"ports": [{"port": 8080}]}])
    assert not found(checks.check_webhooks, cluster(*objects, opened))


def test_route_backends_must_exist_and_be_reachable_from_the_gateway() -> None:
    proxy = deployment(
        "envoy",
        "gw",
        labels={"app.kubernetes.io/component": "proxy", "gateway.envoyproxy.io/owning-gateway-name": "platform"},
    )
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "ui", "namespace": "apps"},
        "spec": {"rules": [{"backendRefs": [{"name": "ui", "port": 80}]}]},
    }
    assert found(checks.check_route_backends, cluster(proxy, route))
    backend = (deployment("ui", "apps"), service("ui", "apps", {"app": "ui"}, 80, 8080))
    assert not found(checks.check_route_backends, cluster(proxy, route, *backend))
    denied = policy("deny", "apps", **DEFAULT_DENY)
    assert found(checks.check_route_backends, cluster(ns("gw"), proxy, route, *backend, denied))


# --- references --------------------------------------------------------------------------------------------------


def test_secret_references_fail_for_a_secret_the_program_names_but_nobody_creates() -> None:
    reader = deployment("app", "apps", volumes=[{"name": "creds", "secret": {"secretName": "db-credentials"}}])
    reader["metadata"]["annotations"] = {SOURCE_ANNOTATION: "program:app"}
    assert found(checks.check_secret_references, cluster(reader))
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-credentials", "namespace": "apps"}}
    assert not found(checks.check_secret_references, cluster(reader, secret))


def test_identity_bindings_need_the_service_account() -> None:
    grant = ObjectStoreGrant("mlflow", "mlflow", ("mlflow",), True)
    assert found(checks.check_identity_bindings, cluster(grants=[grant]))
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "mlflow", "namespace": "mlflow"}}
    assert not found(checks.check_identity_bindings, cluster(account, grants=[grant]))


# --- exposure ----------------------------------------------------------------------------------------------------


def gateway(listeners: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    gw = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "platform", "namespace": "gw"},
        "spec": {"gatewayClassName": "envoy", "listeners": listeners},
    }
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "envoy-gw-platform",
            "namespace": "gw",
            "labels": {"gateway.envoyproxy.io/owning-gateway-name": "platform"},
        },
        "spec": {"type": "LoadBalancer"},
    }
    return gw, svc


MODEL_ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "iris", "namespace": "models"},
    "spec": {"parentRefs": [{"name": "platform", "namespace": "gw"}], "hostnames": ["iris-models.mlops.internal"]},
}
HTTP_ALL = {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}
HTTPS_UI = {
    "name": "https-ui",
    "port": 443,
    "hostname": "ui.example.com",
    "allowedRoutes": {"namespaces": {"from": "All"}},
}


def test_exposure_fails_a_route_on_a_public_listener_without_authentication() -> None:
    failures = found(checks.check_exposure, cluster(*gateway([HTTP_ALL, HTTPS_UI]), MODEL_ROUTE))
    assert len(failures) == 1 and ":http" in failures[0]


def test_exposure_passes_when_a_security_policy_covers_the_listener_or_the_listener_is_internal() -> None:
    gw, svc = gateway([HTTP_ALL])
    sso = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "SecurityPolicy",
        "metadata": {"name": "sso", "namespace": "gw"},
        "spec": {"targetRefs": [{"kind": "Gateway", "name": "platform", "sectionName": "http"}], "oidc": {}},
    }
    assert not found(checks.check_exposure, cluster(gw, svc, MODEL_ROUTE, sso))
    internal = {**svc, "spec": {"type": "ClusterIP"}}
    assert not found(checks.check_exposure, cluster(gw, internal, MODEL_ROUTE))


def test_exposure_lets_a_route_that_only_redirects_to_https_stand_on_a_public_listener() -> None:
    redirect = {
        **MODEL_ROUTE,
        "metadata": {"name": "http-to-https", "namespace": "models"},
        "spec": {
            **MODEL_ROUTE["spec"],
            "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}],
        },
    }
    assert not found(checks.check_exposure, cluster(*gateway([HTTP_ALL]), redirect))
    with_backend = {
        **redirect,
        "spec": {**redirect["spec"], "rules": [{**redirect["spec"]["rules"][0], "backendRefs": [{"name": "x"}]}]},
    }
    assert found(checks.check_exposure, cluster(*gateway([HTTP_ALL]), with_backend))


def test_public_listeners_admitting_every_namespace_fail() -> None:
    assert found(checks.check_listener_namespaces, cluster(*gateway([HTTP_ALL])))
    selected = {
        **HTTP_ALL,
        "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchLabels": {"routed": "true"}}}},
    }
    assert not found(checks.check_listener_namespaces, cluster(*gateway([selected])))


# --- identity paths ----------------------------------------------------------------------------------------------


def argo_config(key_format: str) -> dict[str, Any]:
    import json

    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argo-workflows-workflow-controller-configmap", "namespace": "argo"},
        "data": {"config": json.dumps({"artifactRepository": {"s3": {"bucket": "b", "keyFormat": key_format}}})},
    }


def test_identity_paths_fail_when_a_team_pipeline_writes_outside_the_team_prefix() -> None:
    grants = [
        ObjectStoreGrant("argo", "workflow-runner", ("workflows",), True),
        ObjectStoreGrant("team-a", "team-workload", ("teams/a",), True),
    ]
    shared = argo_config("workflows/{{workflow.namespace}}/{{workflow.name}}")
    failures = found(
        checks.check_identity_paths, cluster(shared, grants=grants, workflow_namespaces=("argo", "team-a"))
    )
    assert len(failures) == 1 and "team-a" in failures[0]
    assert not found(checks.check_identity_paths, cluster(shared, grants=grants, workflow_namespaces=("argo",)))


def test_identity_paths_read_a_namespaces_own_artifact_repository_and_only_its_writing_identities() -> None:
    import json

    grants = [
        ObjectStoreGrant("argo", "workflow-runner", ("workflows",), True),
        ObjectStoreGrant("argo", "argo-server", ("workflows", "teams"), False),
        ObjectStoreGrant("team-a", "team-workload", ("teams/a",), True),
    ]
    shared = argo_config("workflows/{{workflow.namespace}}/{{workflow.name}}")
    own = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "artifact-repositories",
            "namespace": "team-a",
            "annotations": {"workflows.argoproj.io/default-artifact-repository": "team"},
        },
        "data": {"team": json.dumps({"s3": {"keyFormat": "teams/a/workflows/{{workflow.name}}"}})},
    }
    namespaces = ("argo", "team-a")
    assert not found(checks.check_identity_paths, cluster(shared, own, grants=grants, workflow_namespaces=namespaces))
    read_only = [g for g in grants if g.service_account != "workflow-runner"]
    assert found(checks.check_identity_paths, cluster(shared, own, grants=read_only, workflow_namespaces=("argo",)))


# --- schema --------------------------------------------------------------------------------------------------


def test_schema_fails_kinds_neither_kubernetes_nor_a_shipped_crd_serves() -> None:
    pdb = {"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "p", "namespace": "a"}}
    assert found(checks.check_schema, cluster(pdb))
    assert not found(checks.check_schema, cluster({**pdb, "apiVersion": "policy/v1"}))
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "namespace": "a"},
    }
    assert found(checks.check_schema, cluster(route))
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "httproutes.gateway.networking.k8s.io"},
        "spec": {"group": "gateway.networking.k8s.io", "names": {"kind": "HTTPRoute"}, "versions": ["v1"]},
    }
    assert not found(checks.check_schema, cluster(route, crd))


def test_a_daemonset_for_nodes_no_pool_has_is_not_a_scheduling_failure_but_an_untolerated_one_is() -> None:
    mps = deployment("mps", "gpu", nodeSelector={"nvidia.com/mps.capable": "true"})
    mps["kind"] = "DaemonSet"
    assert not found(checks.check_scheduling, cluster(mps))
    workers = deployment("nfd-worker", "gpu")
    workers["kind"] = "DaemonSet"
    assert found(checks.check_scheduling, cluster(workers, pools=[CRITICAL_ONLY]))


def test_requests_larger_than_any_admitting_node_fail() -> None:
    big = deployment(
        "trainer", "apps", containers=[{"name": "c", "resources": {"requests": {"cpu": "8", "memory": "4Gi"}}}]
    )
    pool = NodePool("system", {}, (), ("m6i.large",), 2, 3, system=True)
    aws = Cluster("unit", "aws", "1.34", [big], [pool], [])
    assert found(checks.check_requests_fit, aws)
    small = deployment(
        "trainer", "apps", containers=[{"name": "c", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]
    )
    assert not found(checks.check_requests_fit, Cluster("unit", "aws", "1.34", [small], [pool], []))


def test_what_only_the_system_pool_admits_must_fit_it_at_min_size() -> None:
    pool = NodePool("system", {}, (), ("m6i.large",), 1, 3, system=True)
    pods = deployment(
        "ctl", "apps", containers=[{"name": "c", "resources": {"requests": {"cpu": "800m", "memory": "1Gi"}}}]
    )
    pods["spec"]["replicas"] = 3
    assert found(checks.check_system_pool_capacity, Cluster("unit", "aws", "1.34", [pods], [pool], []))
    roomy = NodePool("system", {}, (), ("m6i.large",), 2, 3, system=True)
    assert not found(checks.check_system_pool_capacity, Cluster("unit", "aws", "1.34", [pods], [roomy], []))


def test_controller_iam_must_cover_the_reference_policy_and_nothing_broader() -> None:
    from offline.verify import facts

    reference = facts.reference_iam_actions("karpenter-controller-1.14.1")
    complete = cluster(iam_actions={"capacity-karpenter": set(reference)})
    assert not found(checks.check_controller_iam, complete)
    missing = cluster(iam_actions={"capacity-karpenter": set(reference) - {"ec2:CreateFleet"}})
    assert "ec2:CreateFleet" in found(checks.check_controller_iam, missing)[0]
    broad = cluster(iam_actions={"capacity-karpenter": {*reference, "ec2:*"}})
    assert "ec2:*" in found(checks.check_controller_iam, broad)[0]


def test_a_gpu_daemonset_must_tolerate_the_gpu_pool_but_not_the_system_pool() -> None:
    gpu_pool = NodePool(
        "gpu", {"gpu": "true"}, (Taint("nvidia.com/gpu", "present", "NoSchedule"),), ("g5.xlarge",), 0, 2
    )
    exporter = deployment("dcgm", "gpu", nodeSelector={"gpu": "true"})
    exporter["kind"] = "DaemonSet"
    assert found(checks.check_scheduling, cluster(exporter, pools=[CRITICAL_ONLY, gpu_pool]))
    exporter["spec"]["template"]["spec"]["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists"}]
    assert not found(checks.check_scheduling, cluster(exporter, pools=[CRITICAL_ONLY, gpu_pool]))


# --- snapshot staleness --------------------------------------------------------------------------------------


def test_a_values_change_makes_the_snapshot_stale_and_says_how_to_refresh_it() -> None:
    from offline.verify import snapshot
    from offline.verify.render import ReleaseInput

    release = ReleaseInput("mlflow", "mlflow", "1.11.5", "mlflow", None, {"replicaCount": 2})
    snap = snapshot.ReleaseSnapshot("mlflow", "mlflow", "1.11.5", release.values_hash, [], [])
    assert not snapshot.stale("unit", [release], {"mlflow": snap})
    changed = ReleaseInput("mlflow", "mlflow", "1.11.5", "mlflow", None, {"replicaCount": 3})
    problems = snapshot.stale("unit", [changed], {"mlflow": snap})
    assert len(problems) == 1 and "re-run `make verify`" in problems[0]


def test_values_hash_reads_integral_floats_as_helm_does() -> None:
    from offline.verify.render import values_hash

    assert values_hash({"replicas": 2.0}) == values_hash({"replicas": 2})
    assert values_hash({"replicas": 2}) != values_hash({"replicas": 3})
