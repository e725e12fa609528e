"""Platform pods run on the system pool, at platform priority, and that priority exists before they do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from k8s_platform.priorities import PLATFORM_CRITICAL
from offline.harness import DeclaredResource, StackRun
from tests.conftest import stack_run
from tests.k8s_platform.contracts import AKS_SPOT_TOLERATION, AKS_SYSTEM_POOL, EKS_SYSTEM_POOL, platform_run
from tests.k8s_platform.helpers import RELEASE, custom_resources, values

NODE_DAEMONS = {"nvidia-device-plugin", "dcgm-exporter"}
"""GPU-node DaemonSets: they belong on GPU nodes, not on the system pool."""
NO_PODS = {"kserve-crd"}
CHART_PRIORITY_KEPT = {"karpenter", "aws-load-balancer-controller"}
"""Their charts default to system-cluster-critical, which already outranks the platform class."""
NO_PRIORITY_VALUE = {"kserve"}
"""kserve-resources v0.20.0 has no priorityClassName value for its controller."""
USER_WORK = {"workflowDefaults"}
"""Values for pods users start (workflow steps): they run on the CPU spot pool, not the system pool."""


def _controllers(run: StackRun) -> list[DeclaredResource]:
    return [r for r in run.of_type(RELEASE) if r.name not in NODE_DAEMONS | NO_PODS]


def _all_under(node: Any, key: str) -> list[Any]:
    """Every value stored under `key`, anywhere in a nested values tree."""
    found: list[Any] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in USER_WORK:
                continue
            found += [v] if k == key else []
            found += _all_under(v, key)
    elif isinstance(node, list):
        for item in node:
            found += _all_under(item, key)
    return found


def test_every_platform_pod_tolerates_the_aks_system_pool_taint() -> None:
    run = platform_run("azure-blob-keda-addon")
    (system_toleration,) = AKS_SYSTEM_POOL.tolerations
    releases = _controllers(run)
    assert len(releases) > 6
    for release in releases:
        tolerations = _all_under(values(run, release.name), "tolerations")
        assert tolerations, release.name
        for listed in tolerations:
            assert system_toleration in listed, release.name


def test_gateway_proxies_tolerate_the_aks_system_pool_taint() -> None:
    (proxy,) = custom_resources(platform_run("azure-blob-keda-addon"), "EnvoyProxy")
    tolerations = proxy.get("spec.provider.kubernetes.envoyDeployment.pod.tolerations")
    assert AKS_SYSTEM_POOL.tolerations[0] in tolerations


@pytest.mark.parametrize(
    "flavour,placement", [("aws-karpenter", EKS_SYSTEM_POOL), ("azure-blob-keda-addon", AKS_SYSTEM_POOL)]
)
def test_every_platform_controller_prefers_the_system_pool(flavour, placement) -> None:
    run = platform_run(flavour)
    ((label, value),) = placement.preferred_node_labels.items()
    for release in _controllers(run):
        if release.name == "karpenter":
            continue  # the chart's own affinity keeps it off nodes Karpenter manages, i.e. on the system pool
        rendered = json.dumps(values(run, release.name))
        assert f'"key": "{label}", "operator": "In", "values": ["{value}"]' in rendered, release.name


def test_the_local_stack_pins_platform_pods_to_no_pool() -> None:
    mlflow = values(stack_run("dev-local"), "mlflow")
    assert mlflow["tolerations"] == [] and "nodeAffinity" not in mlflow["affinity"]


def test_platform_pods_run_at_the_platform_priority() -> None:
    run = platform_run("aws-karpenter")
    for release in _controllers(run):
        if release.name in CHART_PRIORITY_KEPT | NO_PRIORITY_VALUE:
            continue
        assert PLATFORM_CRITICAL in _all_under(values(run, release.name), "priorityClassName"), release.name


def _waits_for(run: StackRun, resource: DeclaredResource) -> set[str]:
    """Names of everything `resource` waits for, directly or through what it waits for."""
    seen: set[str] = set()
    stack = list(resource.dependencies)
    while stack:
        urn = stack.pop()
        if urn in seen:
            continue
        seen.add(urn)
        stack += run.by_urn(urn).dependencies
    return {run.by_urn(urn).name for urn in seen}


def test_the_platform_priority_class_exists_before_any_platform_release() -> None:
    run = platform_run("aws-karpenter")
    run.one("kubernetes:scheduling.k8s.io/v1:PriorityClass", PLATFORM_CRITICAL)
    for release in run.of_type(RELEASE):
        assert PLATFORM_CRITICAL in _waits_for(run, release), release.name


HOOK_JOB_TOLERATIONS = {
    # Where each chart's Helm hook Jobs read their tolerations, at the pinned versions:
    # argo-workflows 1.0.18 templates/crds-install-job.yaml (pre-install/pre-upgrade CRD Job);
    # kube-prometheus-stack 88.5.3 templates/prometheus-operator/admission-webhooks/job-patch/*.yaml;
    # cert-manager v1.21.1 templates/startupapicheck-job.yaml (post-install).
    "argo-workflows": ("crds", "upgradeJob", "tolerations"),
    "kube-prometheus-stack": ("prometheusOperator", "admissionWebhooks", "patch", "tolerations"),
    "cert-manager": ("startupapicheck", "tolerations"),
}


def _at(tree: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        tree = (tree or {}).get(key)
    return tree


@pytest.mark.parametrize("release", sorted(HOOK_JOB_TOLERATIONS))
def test_helm_hook_jobs_tolerate_the_aks_system_pool_taint(release: str) -> None:
    tolerations = _at(values(platform_run("azure-blob-keda-addon"), release), HOOK_JOB_TOLERATIONS[release])
    assert AKS_SYSTEM_POOL.tolerations[0] in (tolerations or [])


def test_acme_solver_pods_tolerate_the_aks_system_pool_taint() -> None:
    issuers = [
        i for i in custom_resources(platform_run("azure-blob-keda-addon"), "ClusterIssuer") if i.get("spec.acme")
    ]
    assert issuers
    for issuer in issuers:
        solver = issuer.get("spec.acme.solvers.0.http01.gatewayHTTPRoute")
        assert AKS_SYSTEM_POOL.tolerations[0] in solver["podTemplate"]["spec"]["tolerations"]


def test_workflow_pods_tolerate_the_clouds_spot_taint() -> None:
    defaults = values(platform_run("azure-blob-keda-addon"), "argo-workflows")["controller"]["workflowDefaults"]
    assert AKS_SPOT_TOLERATION in defaults["spec"]["tolerations"]


def test_cpu_serving_runtimes_tolerate_the_clouds_spot_taint() -> None:
    runtimes = custom_resources(platform_run("azure-blob-keda-addon"), "ClusterServingRuntime")
    cpu = [r for r in runtimes if "gpu" not in r.get("metadata.name")]
    assert cpu
    for runtime in cpu:
        assert AKS_SPOT_TOLERATION in runtime.get("spec.tolerations")
