"""Per stack file: every namespace is default-deny and each configured team gets its namespace and identity."""

from __future__ import annotations

import json

import pytest

from clouds.contract import Workloads
from config import PROJECT, StackConfig, parse_stack_config
from offline.harness import StackRun, stack_file_config
from tests.conftest import REACHABLE_ENDPOINT, stack_run

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _config(run: StackRun) -> StackConfig:
    raw, _ = stack_file_config(run.stack, overrides=REACHABLE_ENDPOINT)
    prefix = f"{PROJECT}:"
    values = {}
    for key, value in raw.items():
        if key.startswith(prefix):
            try:
                values[key[len(prefix) :]] = json.loads(value)
            except ValueError:
                values[key[len(prefix) :]] = value
    return parse_stack_config(values, run.stack)


def _wired(run: StackRun) -> StackRun:
    if not run.of_type("mlops:platform:Tenancy"):
        pytest.skip(f"{run.stack}: Tenancy is not composed into __main__.py yet")
    return run


def test_every_namespace_in_the_stack_has_a_default_deny_policy(any_stack: StackRun):
    run = _wired(any_stack)
    namespaces = {ns.get("metadata.name") for ns in run.of_type("kubernetes:core/v1:Namespace")}
    denied = {p.get("metadata.namespace") for p in run.of_type(POLICY) if p.get("metadata.name") == "default-deny"}
    assert namespaces - denied == set()


def test_each_configured_team_gets_its_namespace_and_its_own_identity(any_stack: StackRun):
    run = _wired(any_stack)
    contract_teams = [team.name for team in _config(run).teams]
    declared = {r.name.removeprefix("team-") for r in run.of_type("mlops:platform:Team")}
    assert declared == set(contract_teams)
    for name in contract_teams:
        workload = Workloads.team(name)
        (account,) = [
            r
            for r in run.of_type("kubernetes:core/v1:ServiceAccount")
            if r.get("metadata.namespace") == workload.namespace and r.get("metadata.name") == workload.service_account
        ]
        assert account.protect or any(t.force_remove for t in _config(run).teams if t.name == name)


def test_no_team_gets_a_cluster_role_binding(any_stack: StackRun):
    run = _wired(any_stack)
    team_groups = {t.identity_group for t in _config(run).teams}
    for binding in run.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"):
        assert not {s["name"] for s in binding.get("subjects", [])} & team_groups, binding.name


def test_policies_exist_only_for_namespaces_the_stack_creates(any_stack: StackRun):
    run = _wired(any_stack)
    namespaces = {ns.get("metadata.name") for ns in run.of_type("kubernetes:core/v1:Namespace")}
    assert {p.get("metadata.namespace") for p in run.of_type(POLICY)} <= namespaces


def test_local_database_and_object_store_accept_only_their_clients():
    run = _wired(stack_run("dev-local"))
    ingress = {
        (p.get("metadata.namespace"), p.get("metadata.name")): p.get("spec.ingress.0.ports")
        for p in run.of_type(POLICY)
        if p.get("metadata.namespace") in ("database", "object-store")
        and p.get("metadata.name").startswith("allow-from-")
    }
    assert ingress[("database", "allow-from-mlflow")] == [{"protocol": "TCP", "port": 5432}]
    assert {name for ns, name in ingress if ns == "object-store"} == {
        "allow-from-mlflow",
        "allow-from-argo",
        "allow-from-models",
        "allow-from-monitoring",
    }
    assert ("database", "allow-from-argo") not in ingress


def test_pipelines_may_reach_mlflow():
    run = _wired(stack_run("dev-local"))
    egress = [
        p
        for p in run.of_type(POLICY)
        if (p.get("metadata.namespace"), p.get("metadata.name")) == ("argo", "allow-to-mlflow")
    ]
    assert egress and egress[0].get("spec.egress.0.ports") == [{"protocol": "TCP", "port": 5000}]


def test_azure_team_pods_learn_the_workload_identity_label_they_need():
    run = _wired(stack_run("dev-azure"))
    config_map = run.one("kubernetes:core/v1:ConfigMap", "team-vision-mlflow")
    assert config_map.get("data.POD_LABELS") == "azure.workload.identity/use=true"
