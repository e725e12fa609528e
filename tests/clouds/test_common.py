"""The pieces every foundation shares: exec kubeconfigs, platform placement on the system pool and the table of
who may touch what."""

from __future__ import annotations

import json

from clouds.common import exec_kubeconfig, system_pool_placement
from clouds.contract import Access, Workloads, workload_access
from config.model import Component, Components, SystemNodePool, Taint, TaintEffect
from config.teams import Team

AKS_CRITICAL_ADDONS = {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}


def test_exec_kubeconfig_selects_its_only_cluster_and_stores_no_credential() -> None:
    document = json.loads(exec_kubeconfig("c1", "https://10.0.0.1", "Q0E=", "aws", args=["eks", "get-token"]))
    (context,) = document["contexts"]
    (user,) = document["users"]
    assert document["current-context"] == context["name"]
    assert context["context"] == {"cluster": document["clusters"][0]["name"], "user": user["name"]}
    assert user["user"] == {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws", "args": ["eks", "get-token"]}
    }


def test_platform_controllers_tolerate_configured_and_cloud_added_system_taints() -> None:
    pool = SystemNodePool(taints=[Taint(key="dedicated", value="platform", effect=TaintEffect.NO_EXECUTE)])
    placement = system_pool_placement(pool, {"pool": "system"}, cloud_tolerations=[AKS_CRITICAL_ADDONS])
    assert placement.tolerations == [
        AKS_CRITICAL_ADDONS,
        {"key": "dedicated", "operator": "Equal", "value": "platform", "effect": "NoExecute"},
    ]
    assert placement.preferred_node_labels == {"pool": "system"}


def test_an_untainted_system_pool_needs_no_toleration() -> None:
    assert system_pool_placement(SystemNodePool(), {"pool": "system"}).tolerations == []


def test_pipelines_reach_their_own_prefix_and_mlflows_and_nothing_else() -> None:
    access = workload_access("mlflow", Components(), [])
    assert access[Workloads.ARGO_WORKFLOWS] == Access(("workflows", "mlflow"), writes_artifacts=True)
    assert access[Workloads.KSERVE_INFERENCE] == Access(("mlflow",), writes_artifacts=False)


def test_a_team_touches_only_its_own_prefix_and_no_secrets() -> None:
    access = workload_access("mlflow", Components(), [Team(name="vision", identity_group="g")])
    assert access[Workloads.team("vision")] == Access(("teams/vision",), writes_artifacts=True)


def test_a_workload_the_stack_does_not_install_gets_no_access() -> None:
    components = Components(kserve=Component(enabled=False), external_secrets=Component(enabled=False))
    access = workload_access("mlflow", components, [])
    assert Workloads.KSERVE_INFERENCE not in access
    assert not any(a.reads_platform_secrets for a in access.values())
