"""Each configured team gets exactly its namespace, quota, RBAC and identity, and nothing beyond its namespace."""

from __future__ import annotations

from collections import Counter

from clouds.contract import Workloads, team_kubernetes_group
from config.teams import Team
from k8s_platform.priorities import PLATFORM_CRITICAL
from k8s_platform.tenancy.teams import (
    AGGREGATE_TO_TEAM_MEMBER,
    EXPERIMENT_PREFIX_ANNOTATION,
    TEAM_MEMBER_ROLE,
    team_member_cluster_roles,
)
from tests.k8s_platform.tenancy.scenarios import TEAMS, dev_run, team_role_arn

NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "*"}


def _team_objects(team: str):
    run = dev_run()
    return run.children_of(run.one("mlops:platform:Team", f"team-{team}"))


def test_each_team_gets_exactly_its_namespace_quota_limits_rbac_and_service_account():
    for team in TEAMS:
        kinds = Counter(r.type.rsplit(":", 1)[1] for r in _team_objects(team.name))
        assert kinds == {
            "Namespace": 1,
            "ResourceQuota": 2,
            "LimitRange": 1,
            "RoleBinding": 2,
            "ServiceAccount": 1,
            "ConfigMap": 2,  # `mlflow` and the team's Argo `artifact-repositories`
        }, team.name


def test_every_team_object_lives_in_the_team_namespace():
    for team in TEAMS:
        namespaced = [r for r in _team_objects(team.name) if r.type != NAMESPACE]
        assert {r.get("metadata.namespace") for r in namespaced} == {Workloads.team(team.name).namespace}


def test_team_workload_account_carries_its_own_cloud_identity():
    for team in TEAMS:
        (account,) = [r for r in _team_objects(team.name) if r.type == SERVICE_ACCOUNT]
        assert account.get("metadata.name") == Workloads.team(team.name).service_account
        assert account.get("metadata.annotations") == {"eks.amazonaws.com/role-arn": team_role_arn(team.name)}


def test_teams_get_no_cluster_wide_binding():
    assert dev_run().of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding") == []


def test_team_bindings_name_only_the_team_group_and_its_own_workload_account():
    for team in TEAMS:
        namespace = Workloads.team(team.name).namespace
        subjects = [s for r in _team_objects(team.name) if r.type == ROLE_BINDING for s in r.get("subjects")]
        assert sorted((s["kind"], s["name"], s.get("namespace", namespace)) for s in subjects) == sorted(
            [("Group", team_kubernetes_group(team), namespace), ("ServiceAccount", "team-workload", namespace)]
        )


def test_team_members_cannot_change_network_policies_quotas_limits_or_rbac():
    guarded = {"networkpolicies", "resourcequotas", "limitranges", "roles", "rolebindings", "namespaces"}
    for role in team_member_cluster_roles().values():
        for rule in role.get("rules", []):
            if guarded & set(rule["resources"]):
                assert not WRITE_VERBS & set(rule["verbs"]), rule


def test_team_members_may_run_inference_services_and_workflows():
    roles = dev_run().of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
    granted = {
        (resource, verb)
        for role in roles
        if role.get(f"metadata.labels.{AGGREGATE_TO_TEAM_MEMBER}") == "true"
        for rule in role.get("rules")
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert {("inferenceservices", "create"), ("workflows", "create"), ("workflowtemplates", "create")} <= granted


def test_team_member_role_is_aggregated_from_labelled_roles():
    role = dev_run().one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", TEAM_MEMBER_ROLE)
    assert role.get("aggregationRule.clusterRoleSelectors") == [{"matchLabels": {AGGREGATE_TO_TEAM_MEMBER: "true"}}]


def test_quota_comes_from_the_team_config():
    hard = dev_run().one(QUOTA, "team-vision-quota").get("spec.hard")
    assert {k: hard[k] for k in ("requests.cpu", "requests.memory", "requests.nvidia.com/gpu", "pods")} == {
        "requests.cpu": "32",
        "requests.memory": "128Gi",
        "requests.nvidia.com/gpu": "4",
        "pods": "80",
    }
    assert hard["requests.storage"] == "500Gi"
    assert hard["services.loadbalancers"] == "0"


def test_team_pods_cannot_borrow_the_platform_priority():
    spec = dev_run().one(QUOTA, "team-nlp-no-platform-priority").get("spec")
    assert spec["hard"] == {"pods": "0"}
    assert spec["scopeSelector"]["matchExpressions"] == [
        {"scopeName": "PriorityClass", "operator": "In", "values": [PLATFORM_CRITICAL]}
    ]


def test_team_namespace_enforces_restricted_pod_security():
    for team in TEAMS:
        labels = dev_run().one(NAMESPACE, Workloads.team(team.name).namespace).get("metadata.labels")
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_team_namespace_announces_its_mlflow_experiment_prefix():
    run = dev_run()
    assert run.one(NAMESPACE, "team-vision").get(f"metadata.annotations.{EXPERIMENT_PREFIX_ANNOTATION}") == "vision/"
    assert (
        run.one("kubernetes:core/v1:ConfigMap", "team-vision-mlflow").get("data.MLFLOW_EXPERIMENT_PREFIX") == "vision/"
    )


def test_team_resources_are_protected_unless_the_team_is_force_removed():
    protected = {team.name: team.force_remove is False for team in TEAMS}
    for team in TEAMS:
        assert {r.protect for r in _team_objects(team.name)} == {protected[team.name]}, team.name


def test_iam_role_is_mapped_to_a_kubernetes_group_other_groups_pass_through():
    assert (
        team_kubernetes_group(Team(name="cvis", identity_group="arn:aws:iam::123456789012:role/cv"))
        == "mlops-team-cvis"
    )
    assert team_kubernetes_group(Team(name="cvis", identity_group="cv@example.com")) == "cv@example.com"
