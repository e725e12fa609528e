"""Services install in parallel; a dependency exists only where an ordering is real, and there it must exist."""

from __future__ import annotations

import json
import runpy

from offline.harness import ROOT_DIR, DeclaredResource, StackRun, run_program, stack_file_config
from tests.conftest import AWS_TEAMS, REACHABLE_ENDPOINT
from tests.k8s_platform.contracts import platform_run
from tests.k8s_platform.helpers import RELEASE, release

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


# The whole program on dev-aws with every add-on on: the edges below are read from its dependency graph.
WITH_ADD_ONS = {"mlops-platform:operations": {"loki": {"enabled": True}, "opencost": {"enabled": True}}}
_whole: dict[str, StackRun] = {}


def _whole_run() -> StackRun:
    if "run" not in _whole:
        config, secret_keys = stack_file_config("dev-aws", overrides={**REACHABLE_ENDPOINT, "teams": AWS_TEAMS})
        config.update({key: json.dumps(value) for key, value in WITH_ADD_ONS.items()})
        _whole["run"] = run_program(
            lambda: runpy.run_path(str(ROOT_DIR / "__main__.py"), run_name="__main__"),
            "dev-aws-add-ons",
            config,
            secret_keys,
        )
    return _whole["run"]


def _waits_for(run: StackRun, resource: DeclaredResource) -> set[str]:
    """Every URN `resource` waits for, transitively: waiting for a component is waiting for all it contains."""
    seen: set[str] = set()
    todo = list(resource.dependencies)
    while todo:
        urn = todo.pop()
        if urn in seen:
            continue
        seen.add(urn)
        found = [r for r in run.resources if r.urn == urn]
        if found:
            todo += found[0].dependencies
            todo += [d.urn for d in run.descendants_of(found[0])]
    return seen


def test_every_release_and_namespace_waits_for_the_system_nodes_and_the_priority_classes() -> None:
    run = _whole_run()
    (nodes,) = [r for r in run.of_type("aws:eks/nodeGroup:NodeGroup") if "system" in r.name]
    priority_classes = {r.urn for r in run.of_type("kubernetes:scheduling.k8s.io/v1:PriorityClass")}
    waiting = [*run.of_type(RELEASE), *run.of_type("kubernetes:core/v1:Namespace")]
    assert {"kyverno", "loki", "alloy", "opencost"} <= {r.name for r in waiting}
    for resource in waiting:
        waits = _waits_for(run, resource)
        assert nodes.urn in waits, resource.name
        assert priority_classes <= waits, resource.name


def test_namespaces_where_users_create_inference_services_and_workflows_go_before_their_controllers() -> None:
    run = _whole_run()
    controllers = {r.name: r.urn for r in run.of_type(RELEASE) if r.name in ("kserve", "argo-workflows")}
    assert len(controllers) == 2
    namespaces = {r.get("metadata.name"): r for r in run.of_type("kubernetes:core/v1:Namespace")}
    # Destroy runs in reverse: a namespace that waits for a controller is deleted, finalizers and all, first.
    assert controllers["kserve"] in _waits_for(run, namespaces["models"])
    for team in ("team-fraud", "team-search"):
        assert set(controllers.values()) <= _waits_for(run, namespaces[team]), team


def test_aws_load_balancer_controller_installs_no_cluster_wide_fail_closed_service_webhook() -> None:
    controller = release(platform_run("aws-karpenter"), "aws-load-balancer-controller").inputs["values"]
    assert controller["enableServiceMutatorWebhook"] is False
