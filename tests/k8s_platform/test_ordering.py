"""Services install in parallel; a dependency exists only where an ordering is real, and there it must exist."""

from __future__ import annotations

from offline.harness import DeclaredResource, StackRun
from tests.k8s_platform.contracts import platform_run
from tests.k8s_platform.helpers import RELEASE

CRD_OWNER = {
    "cert-manager.io": "cert-manager",
    "external-secrets.io": "external-secrets",
    "gateway.networking.k8s.io": "envoy-gateway",
    "gateway.envoyproxy.io": "envoy-gateway",
    "karpenter.sh": "karpenter",
    "karpenter.k8s.aws": "karpenter",
    "serving.kserve.io": "kserve",
    "monitoring.coreos.com": "kube-prometheus-stack",
}
"""API group -> the release whose chart installs its CRDs (KServe runtimes also need the controller's webhook)."""

RELEASE_ORDER = {
    ("cert-manager", "envoy-gateway"),  # cert-manager's Gateway API support needs the Gateway API CRDs
    ("kserve", "kserve-crd"),
    ("kserve", "cert-manager"),  # the controller's webhook certificate
    ("kserve", "envoy-gateway"),  # the controller watches HTTPRoutes
}


def _run() -> StackRun:
    return platform_run("aws-karpenter")  # the flavour that installs every component


def _dependencies(run: StackRun, resource: DeclaredResource) -> list[DeclaredResource]:
    return [run.by_urn(urn) for urn in resource.dependencies]


def _custom_resources(run: StackRun) -> list[DeclaredResource]:
    return [
        r
        for r in run.resources
        if "apiVersion" in r.inputs
        and "/" in r.inputs["apiVersion"]
        and r.inputs["apiVersion"].split("/")[0] in CRD_OWNER
    ]


def test_helm_releases_wait_for_each_other_only_where_ordering_is_real() -> None:
    run = _run()
    edges = {(r.name, d.name) for r in run.of_type(RELEASE) for d in _dependencies(run, r) if d.type == RELEASE}
    assert edges == RELEASE_ORDER


def test_custom_resources_wait_for_the_release_that_installs_their_crd() -> None:
    run = _run()
    resources = _custom_resources(run)
    assert len(resources) > 15
    for r in resources:
        owner = CRD_OWNER[r.inputs["apiVersion"].split("/")[0]]
        if r.inputs["kind"] == "ExternalSecret":
            owner = "external-secrets"  # through the ClusterSecretStore
            assert any(d.inputs.get("kind") == "ClusterSecretStore" for d in _dependencies(run, r)), r.name
            continue
        assert owner in {d.name for d in _dependencies(run, r) if d.type == RELEASE}, r.name


def test_custom_resources_wait_for_no_other_release() -> None:
    run = _run()
    for r in _custom_resources(run):
        owner = CRD_OWNER[r.inputs["apiVersion"].split("/")[0]]
        waits_for = {d.name for d in _dependencies(run, r) if d.type == RELEASE}
        allowed = {owner, "argocd"} if r.name == "admin-password" else {owner}  # merges into argocd-secret
        if r.inputs["kind"] in ("EnvoyProxy", "Gateway"):
            allowed.add("aws-load-balancer-controller")  # their Service is the LBC's NLB: deleted while it runs
        assert waits_for <= allowed, r.name


def test_every_namespace_waits_for_the_cluster_to_be_ready() -> None:
    run = _run()
    (ready,) = [r for r in run.resources if r.name == "system-node-group"]
    namespaces = run.of_type("kubernetes:core/v1:Namespace")
    assert namespaces
    for ns in namespaces:
        assert ready.urn in ns.dependencies, ns.name


def test_every_kubernetes_object_goes_to_the_contracts_cluster() -> None:
    run = _run()
    (platform,) = run.of_type("mlops:platform:MlopsPlatform")
    objects = [r for r in run.descendants_of(platform) if r.custom and r.type.startswith("kubernetes:")]
    assert objects
    assert {r.provider.split("::")[-2].split("$")[-1] if r.provider else "" for r in objects} == {"cluster"}
