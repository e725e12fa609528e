"""Every platform service that runs more than one replica has a PodDisruptionBudget and is spread over nodes.

Replica counts are read from the values the program sets, so turning a service's replicas up without a
budget fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from config.model import ArgoCd, Components, Environment
from offline.harness import StackRun
from tests.k8s_platform.contracts import platform_run
from tests.k8s_platform.helpers import RELEASE, custom_resources, values
from tests.k8s_platform.tenancy.scenarios import prod_run

PDB = "kubernetes:policy/v1:PodDisruptionBudget"
CHART_ADDS_BUDGET = "the chart adds a PDB whenever replicas > 1"
DECLARED = "a PodDisruptionBudget the program declares"

BUDGETS: dict[tuple[str, str], str] = {
    ("argocd", "controller.replicas"): "controller.pdb.enabled",
    ("argocd", "server.replicas"): "server.pdb.enabled",
    ("argocd", "repoServer.replicas"): "repoServer.pdb.enabled",
    ("argocd", "applicationSet.replicas"): "applicationSet.pdb.enabled",
    ("argo-workflows", "controller.replicas"): "controller.pdb.enabled",
    ("argo-workflows", "server.replicas"): "server.pdb.enabled",
    ("kube-prometheus-stack", "prometheus.prometheusSpec.replicas"): "prometheus.podDisruptionBudget.enabled",
    ("kube-prometheus-stack", "alertmanager.alertmanagerSpec.replicas"): "alertmanager.podDisruptionBudget.enabled",
    ("karpenter", "replicas"): "podDisruptionBudget.maxUnavailable",
    ("aws-load-balancer-controller", "replicaCount"): "podDisruptionBudget.maxUnavailable",
    ("mlflow", "replicaCount"): DECLARED,
    ("cert-manager", "webhook.replicaCount"): "webhook.podDisruptionBudget.enabled",
    ("external-secrets", "webhook.replicaCount"): "webhook.podDisruptionBudget.enabled",
    ("alloy", "controller.replicas"): "controller.podDisruptionBudget.enabled",
    ("kyverno", "admissionController.replicas"): CHART_ADDS_BUDGET,
    ("kyverno", "backgroundController.replicas"): CHART_ADDS_BUDGET,
    ("kyverno", "cleanupController.replicas"): CHART_ADDS_BUDGET,
    ("kyverno", "reportsController.replicas"): CHART_ADDS_BUDGET,
}
"""(release, replicas value) -> the value that gives those pods a disruption budget in that chart."""


def _replicated(node: Any, path: str = "") -> list[str]:
    """Paths of every `replicas`/`replicaCount` value above one."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            if key in ("replicas", "replicaCount") and isinstance(value, int | float) and value > 1:
                found.append(here)
            found += _replicated(value, here)
    return found


def _value(tree: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        tree = tree.get(part, {}) if isinstance(tree, dict) else {}
    return tree


HA = Components(argocd=ArgoCd(high_availability=True))
PRODUCTION: dict[str, Callable[[], StackRun]] = {
    "aws": lambda: platform_run("aws-karpenter", components=HA, environment=Environment.PROD),
    "azure": lambda: platform_run("azure-blob-keda-addon", components=HA, environment=Environment.PROD),
    "tenancy": prod_run,
}


@pytest.mark.parametrize("production", PRODUCTION)
def test_every_multi_replica_release_has_a_disruption_budget(production: str) -> None:
    run = PRODUCTION[production]()
    replicated = [(r.name, path) for r in run.of_type(RELEASE) for path in _replicated(values(run, r.name))]
    assert replicated
    for release, path in replicated:
        budget = BUDGETS.get((release, path))
        assert budget, f"{release}: {path} > 1 and no known disruption budget"
        if budget == DECLARED:
            assert [p for p in run.of_type(PDB) if p.get("metadata.name") == release], release
        elif budget != CHART_ADDS_BUDGET:
            assert _value(values(run, release), budget), f"{release}: {budget}"


def test_production_runs_every_platform_controller_that_can_be_replicated_twice() -> None:
    run = PRODUCTION["aws"]()
    assert {release for release, _ in BUDGETS} - {"alloy", "kyverno"} <= {
        r.name for r in run.of_type(RELEASE) if _replicated(values(run, r.name))
    }


def test_replicated_mlflow_is_spread_over_nodes_and_budgeted() -> None:
    run = platform_run("aws-karpenter", environment=Environment.PROD)
    mlflow = values(run, "mlflow")
    (budget,) = [p for p in run.of_type(PDB) if p.get("metadata.name") == "mlflow"]
    labels = budget.get("spec.selector.matchLabels")
    spread = mlflow["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert spread["podAffinityTerm"]["labelSelector"]["matchLabels"] == labels
    assert budget.get("spec.maxUnavailable") == 1


def test_replicated_gateway_proxies_have_a_disruption_budget() -> None:
    (proxy,) = custom_resources(platform_run("aws-karpenter", environment=Environment.PROD), "EnvoyProxy")
    kubernetes = proxy.get("spec.provider.kubernetes")
    assert kubernetes["envoyDeployment"]["replicas"] > 1
    assert kubernetes["envoyPDB"] == {"maxUnavailable": 1}


def test_dev_runs_one_replica_and_no_declared_budget() -> None:
    run = platform_run("aws-karpenter")
    assert values(run, "mlflow")["replicaCount"] == 1
    assert not run.of_type(PDB)
