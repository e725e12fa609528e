"""One data-science team's slice of the cluster: namespace, quota and limits, RBAC, workload identity, MLflow prefix.

A team's members get the `mlops-team-member` ClusterRole, bound by a RoleBinding in the team's namespace only.
That role is aggregated from labelled ClusterRoles (core workloads here, KServe and Argo Workflows below), so a
platform service can grant teams more by labelling its own ClusterRole, without touching a binding. It is
deliberately narrower than the built-in `edit`: members cannot change NetworkPolicies, quotas, limits or RBAC,
which is what keeps them inside their namespace, their budget and away from the metadata endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import (
    ArtifactStore,
    WorkloadIdentity,
    Workloads,
    team_artifact_prefix,
    team_kubernetes_group,
    team_mlflow_prefix,
    team_workflow_prefix,
)
from config.teams import Team, team_is_protected
from k8s_platform.argo_workflows import S3_CREDENTIALS_SECRET, artifact_repository
from k8s_platform.namespace import SERVES_MODELS_LABEL, namespace
from k8s_platform.object_store import credentials_secret
from k8s_platform.options import ReadyComponent
from k8s_platform.priorities import PLATFORM_CRITICAL

TENANT_LABEL = "mlops-platform/tenant"
"""`"true"` on every team namespace: network and admission policies select team namespaces by it."""
TEAM_LABEL = "mlops-platform/team"
EXPERIMENT_PREFIX_ANNOTATION = "mlops-platform/mlflow-experiment-prefix"
MLFLOW_CONFIGMAP = "mlflow"
ARTIFACT_REPOSITORIES = "artifact-repositories"
"""The ConfigMap Argo Workflows reads a namespace's default artifact repository from (the workflow's namespace
first, then the controller's default), under the key its `default-artifact-repository` annotation names."""
TEAM_REPOSITORY_KEY = "team"

TEAM_MEMBER_ROLE = "mlops-team-member"
AGGREGATE_TO_TEAM_MEMBER = "mlops-platform/aggregate-to-team-member"
WORKFLOW_EXECUTOR_ROLE = "mlops-argo-workflow-executor"

# What every team may create besides CPU, memory, GPUs, pods and storage (those come from its config).
# No LoadBalancer or NodePort Services: teams reach users through the shared gateway only.
OBJECT_COUNTS: Mapping[str, str] = {
    "count/services": "20",
    "count/configmaps": "100",
    "count/secrets": "100",
    "persistentvolumeclaims": "20",
    "services.loadbalancers": "0",
    "services.nodeports": "0",
    "count/inferenceservices.serving.kserve.io": "20",
    "count/cronworkflows.argoproj.io": "20",
}
DEFAULT_CONTAINER_REQUEST = {"cpu": "100m", "memory": "256Mi"}
DEFAULT_CONTAINER_MEMORY_LIMIT = "1Gi"

_ALL = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
_READ = ["get", "list", "watch"]


def team_member_cluster_roles() -> dict[str, dict]:
    """The aggregated team-member role and its parts, as `name -> ClusterRole body` (for one place to test)."""
    aggregated = {"labels": {AGGREGATE_TO_TEAM_MEMBER: "true"}}
    return {
        TEAM_MEMBER_ROLE: {
            "aggregation_rule": {"cluster_role_selectors": [{"match_labels": {AGGREGATE_TO_TEAM_MEMBER: "true"}}]},
        },
        f"{TEAM_MEMBER_ROLE}-workloads": {
            "metadata": aggregated,
            "rules": [
                {
                    "api_groups": [""],
                    "resources": ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"],
                    "verbs": _ALL,
                },
                {"api_groups": [""], "resources": ["pods/log", "pods/status"], "verbs": _READ},
                {"api_groups": [""], "resources": ["pods/portforward", "pods/exec"], "verbs": ["create", "get"]},
                {
                    "api_groups": [""],
                    "resources": ["events", "serviceaccounts", "resourcequotas", "limitranges", "endpoints"],
                    "verbs": _READ,
                },
                {"api_groups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": _ALL},
                {"api_groups": ["apps"], "resources": ["replicasets", "deployments/scale"], "verbs": _READ},
                {"api_groups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": _ALL},
                {"api_groups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": _ALL},
                {"api_groups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": _ALL},
                {"api_groups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": _READ},
            ],
        },
        f"{TEAM_MEMBER_ROLE}-ml": {
            # Also aggregated into the built-in edit/admin, so platform admins manage these kinds everywhere.
            "metadata": {
                "labels": {
                    AGGREGATE_TO_TEAM_MEMBER: "true",
                    "rbac.authorization.k8s.io/aggregate-to-edit": "true",
                    "rbac.authorization.k8s.io/aggregate-to-admin": "true",
                }
            },
            "rules": [
                {
                    "api_groups": ["serving.kserve.io"],
                    "resources": ["inferenceservices", "inferencegraphs", "servingruntimes"],
                    "verbs": _ALL,
                },
                {"api_groups": ["serving.kserve.io"], "resources": ["inferenceservices/status"], "verbs": _READ},
                {
                    "api_groups": ["argoproj.io"],
                    "resources": ["workflows", "workflowtemplates", "cronworkflows"],
                    "verbs": _ALL,
                },
                {"api_groups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": _READ},
            ],
        },
        # Argo's executor reports step results through these; bound to the team's workload account only.
        WORKFLOW_EXECUTOR_ROLE: {
            "rules": [
                {"api_groups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]}
            ]
        },
    }


class TeamRoles(ReadyComponent):
    """The cluster-wide role definitions every team's RoleBindings point at. Defines, never grants."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:TeamRoles", name, opts)
        child = self.child()
        for role_name, body in team_member_cluster_roles().items():
            k8s.rbac.v1.ClusterRole(
                role_name,
                metadata={"name": role_name, **body.get("metadata", {})},
                aggregation_rule=body.get("aggregation_rule"),
                rules=body.get("rules"),
                opts=child,
            )
        self.register_outputs({})


@dataclass(frozen=True)
class TeamArgs:
    team: Team
    identity: WorkloadIdentity
    """The contract's binding for `Workloads.team(name)`: annotations for the workload service account."""
    mlflow_tracking_uri: pulumi.Input[str]
    protect: bool
    artifact_store: ArtifactStore | None = None
    """The contract's store: the team's Argo artifact repository and MLflow artifact location live in it, under
    the team's own prefix."""


class TeamTenancy(ReadyComponent):
    """A team's namespace and everything scoped to it; nothing it creates reaches beyond that namespace."""

    namespace: pulumi.Output[str]
    service_account: str

    def __init__(self, name: str, args: TeamArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        team = args.team
        # Protection is inherited by every child, so removing the team's entry fails before anything is deleted.
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=team_is_protected(team, args.protect)))
        super().__init__("mlops:platform:Team", name, opts)
        workload = Workloads.team(team.name)
        ns_name = workload.namespace
        experiment_prefix = f"{team.name}/"
        labels = {TENANT_LABEL: "true", TEAM_LABEL: team.name}

        # The namespace waits for the controllers of what members create in it (KServe, Argo Workflows), so on
        # `pulumi destroy` it is deleted, and its InferenceServices' and Workflows' finalizers run, before them.
        ns = namespace(
            ns_name,
            self.child(),
            # Teams serve their own models: the gateway's model listener admits their InferenceServices' routes.
            labels={**labels, SERVES_MODELS_LABEL: "true"},
            annotations={EXPERIMENT_PREFIX_ANNOTATION: experiment_prefix},
        )
        in_ns = self.child(ns)

        def meta(object_name: str) -> Any:
            return {"name": object_name, "namespace": ns_name, "labels": labels}

        quota = team.quota
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=meta("team-quota"),
            spec={
                "hard": {
                    "requests.cpu": quota.cpu,
                    "requests.memory": quota.memory,
                    "limits.memory": quota.memory,
                    "requests.nvidia.com/gpu": str(quota.gpus),
                    "pods": str(quota.pods),
                    "requests.storage": quota.storage,
                    **OBJECT_COUNTS,
                }
            },
            opts=in_ns,
        )
        # Team pods may not borrow the platform's priority: a zero quota scoped to that PriorityClass.
        k8s.core.v1.ResourceQuota(
            f"{name}-no-platform-priority",
            metadata=meta("no-platform-priority"),
            spec={
                "hard": {"pods": "0"},
                "scope_selector": {
                    "match_expressions": [
                        {"scope_name": "PriorityClass", "operator": "In", "values": [PLATFORM_CRITICAL]}
                    ]
                },
            },
            opts=in_ns,
        )
        # Defaults make pods without requests countable against the quota; no default CPU limit (throttling).
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=meta("team-limits"),
            spec={
                "limits": [
                    {
                        "type": "Container",
                        "default_request": DEFAULT_CONTAINER_REQUEST,
                        "default": {"memory": DEFAULT_CONTAINER_MEMORY_LIMIT},
                        "max": {"memory": quota.memory},
                    },
                    {"type": "PersistentVolumeClaim", "max": {"storage": quota.storage}},
                ]
            },
            opts=in_ns,
        )

        k8s.rbac.v1.RoleBinding(
            f"{name}-members",
            metadata=meta("team-members"),
            role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": TEAM_MEMBER_ROLE},
            subjects=[{"kind": "Group", "name": team_kubernetes_group(team), "api_group": "rbac.authorization.k8s.io"}],
            opts=in_ns,
        )

        identity = args.identity
        self.service_account = workload.service_account
        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-workload",
            metadata={
                **meta(workload.service_account),
                "annotations": dict(identity.service_account_annotations),
            },
            opts=in_ns,
        )
        k8s.rbac.v1.RoleBinding(
            f"{name}-workflow-executor",
            metadata=meta("workflow-executor"),
            role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": WORKFLOW_EXECUTOR_ROLE},
            subjects=[{"kind": "ServiceAccount", "name": workload.service_account, "namespace": ns_name}],
            opts=self.child(ns, service_account),
        )
        store = args.artifact_store
        artifact_location: dict[str, pulumi.Input[str]] = {}
        if store is not None:
            self._artifact_repository(name, team, store, in_ns)
            artifact_location = {"MLFLOW_ARTIFACT_LOCATION": store.uri_for(team_mlflow_prefix(team.name))}
        # What a team's code reads to find MLflow, name its experiments and label its pods for its identity.
        k8s.core.v1.ConfigMap(
            f"{name}-mlflow",
            metadata=meta(MLFLOW_CONFIGMAP),
            data={
                "MLFLOW_TRACKING_URI": args.mlflow_tracking_uri,
                "MLFLOW_EXPERIMENT_PREFIX": experiment_prefix,
                # Experiments created with this location get their runs' artifacts uploaded by the team's own
                # identity under its own prefix, where its InferenceServices can read them.
                **artifact_location,
                "ARTIFACT_PREFIX": team_artifact_prefix(team.name),
                "SERVICE_ACCOUNT": workload.service_account,
                "POD_LABELS": ",".join(f"{k}={v}" for k, v in sorted(identity.pod_labels.items())),
            },
            opts=in_ns,
        )

        self.namespace = ns.metadata.name
        self.register_outputs({"namespace": self.namespace, "serviceAccount": self.service_account})

    @staticmethod
    def _artifact_repository(name: str, team: Team, store: ArtifactStore, opts: pulumi.ResourceOptions) -> None:
        """The team's pipelines keep step artifacts and logs under the team's prefix, the only one its identity may
        write, instead of the platform repository's `workflows/` prefix."""
        ns_name = Workloads.team(team.name).namespace
        key_format = f"{team_workflow_prefix(team.name)}/{{{{workflow.name}}}}/{{{{pod.name}}}}"
        # In-cluster S3 (local) is reached with keys, not identities: the repository names this Secret.
        credentials_secret(
            f"{name}-artifact-store-s3", S3_CREDENTIALS_SECRET, ns_name, store, ("accessKey", "secretKey"), opts
        )
        repository = {"archiveLogs": True, **artifact_repository(store, key_format, through_helm=False)}
        k8s.core.v1.ConfigMap(
            f"{name}-artifact-repositories",
            metadata={
                "name": ARTIFACT_REPOSITORIES,
                "namespace": ns_name,
                "annotations": {"workflows.argoproj.io/default-artifact-repository": TEAM_REPOSITORY_KEY},
            },
            # JSON is YAML: the controller parses the value as a YAML ArtifactRepository.
            data={TEAM_REPOSITORY_KEY: pulumi.Output.from_input(repository).apply(json.dumps)},
            opts=opts,
        )
