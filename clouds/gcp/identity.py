"""Google service accounts: a minimal one for nodes, and one per workload bound to exactly one Kubernetes
service account through Workload Identity (no JSON keys anywhere)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from clouds.contract import Workload, WorkloadIdentity
from clouds.gcp.naming import SERVICE_ACCOUNT_ID_LIMIT, bounded

GKE_SA_ANNOTATION = "iam.gke.io/gcp-service-account"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"
NODE_ROLES = ("roles/container.defaultNodeServiceAccount",)
"""What GKE's own agents on a node need (logs, metrics, resource metadata), as Google's one role for a custom
node service account; image pulls are granted on the platform's repository only."""
CLUSTER_VIEWER = "roles/container.clusterViewer"
"""`container.clusters.get`/`list`: what `gcloud container clusters get-credentials` needs; Kubernetes RBAC
decides everything inside the cluster."""


def account_id(name: str) -> str:
    """A service-account ID (at most 30 characters) from a readable name."""
    return bounded(name, SERVICE_ACCOUNT_ID_LIMIT)


def workload_identity_member(project: str, workload: Workload) -> str:
    """The principal a Kubernetes service account becomes on GKE: one namespace, one account."""
    return f"serviceAccount:{project}.svc.id.goog[{workload.namespace}/{workload.service_account}]"


def prefix_condition(bucket: str, prefixes: Sequence[str]) -> gcp.storage.BucketIAMMemberConditionArgsDict:
    """An IAM condition that limits object roles to `prefix/` of each prefix: object reads/writes by name, and
    listings only when the request asks for one of those prefixes."""
    paths = [f"{prefix.rstrip('/')}/" for prefix in prefixes]
    clauses = [
        clause
        for path in paths
        for clause in (
            f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/{path}")',
            f'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("{path}")',
        )
    ]
    return {
        "title": "only-" + "-".join(p.rstrip("/").replace("/", "-") for p in paths),
        "description": f"Objects under {', '.join(paths)} only",
        "expression": " || ".join(clauses),
    }


@dataclass(frozen=True)
class NodeServiceAccountArgs:
    project: str
    account_id: str
    depends_on: Sequence[pulumi.Resource] = ()


class NodeServiceAccount(pulumi.ComponentResource):
    """Nodes run as this instead of the Compute Engine default account (which is a project Editor)."""

    email: pulumi.Output[str]
    member: pulumi.Output[str]

    def __init__(self, name: str, args: NodeServiceAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:NodeServiceAccount", name, None, opts)
        account = gcp.serviceaccount.Account(
            f"{name}-account",
            project=args.project,
            account_id=args.account_id,
            display_name="GKE nodes of the MLOps platform",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        for role in NODE_ROLES:
            gcp.projects.IAMMember(
                f"{name}-{role.split('/')[1].replace('.', '-')}",
                project=args.project,
                role=role,
                member=account.member,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
            )
        self.email = account.email
        self.member = account.member
        self.register_outputs({"email": self.email})


@dataclass(frozen=True)
class TeamClusterAccessArgs:
    project: str
    groups: Mapping[str, str]
    """Team name -> the team's Google group e-mail."""
    depends_on: Sequence[pulumi.Resource] = ()


class TeamClusterAccess(pulumi.ComponentResource):
    """Lets each team's members fetch the cluster's credentials; their namespaces' RoleBindings do the rest."""

    def __init__(self, name: str, args: TeamClusterAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:TeamClusterAccess", name, None, opts)
        for team, group in args.groups.items():
            gcp.projects.IAMMember(
                f"{name}-{team}",
                project=args.project,
                role=CLUSTER_VIEWER,
                member=f"group:{group}",
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
            )
        self.register_outputs({})


@dataclass(frozen=True)
class BucketAccess:
    role: str
    prefixes: tuple[str, ...]
    """The role holds only for objects under these prefixes (an IAM condition)."""


@dataclass(frozen=True)
class WorkloadAccess:
    """What one workload's Google service account may touch."""

    workload: Workload
    bucket: BucketAccess | None = None
    read_platform_secrets: bool = False
    protect: bool = False
    """Teams: protected like their namespace until the team is force-removed (`team_is_protected`)."""


@dataclass(frozen=True)
class WorkloadIdentitiesArgs:
    project: str
    bucket: str
    """The artifact bucket's name (a plain string: IAM conditions embed it)."""
    secret_ids: Sequence[pulumi.Input[str]]
    """The platform's Secret Manager secrets; secret readers get access to these and nothing else."""
    access: Sequence[WorkloadAccess]
    naming: Callable[[str], str]
    depends_on: Sequence[pulumi.Resource] = ()
    """The IAM APIs and the cluster: the `<project>.svc.id.goog` pool exists once a Workload Identity cluster does."""


class WorkloadIdentities(pulumi.ComponentResource):
    identities: dict[str, WorkloadIdentity]
    """Keyed by `Workload.name`, ready for the contract."""

    def __init__(self, name: str, args: WorkloadIdentitiesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:WorkloadIdentities", name, None, opts)
        self.identities = {}
        for access in args.access:
            after = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on), protect=access.protect)
            child = pulumi.ResourceOptions(parent=self, protect=access.protect)
            workload = access.workload
            prefix = f"{name}-{workload.name}"
            account = gcp.serviceaccount.Account(
                f"{prefix}-account",
                project=args.project,
                account_id=account_id(args.naming(workload.name)),
                display_name=f"{workload.name} ({workload.namespace}/{workload.service_account})",
                opts=after,
            )
            gcp.serviceaccount.IAMMember(
                f"{prefix}-workload-identity",
                service_account_id=account.name,
                role=WORKLOAD_IDENTITY_USER,
                member=workload_identity_member(args.project, workload),
                opts=after,
            )
            if access.bucket is not None:
                gcp.storage.BucketIAMMember(
                    f"{prefix}-bucket",
                    bucket=args.bucket,
                    role=access.bucket.role,
                    member=account.member,
                    condition=prefix_condition(args.bucket, access.bucket.prefixes),
                    opts=child,
                )
            if access.read_platform_secrets:
                for index, secret_id in enumerate(args.secret_ids):
                    gcp.secretmanager.SecretIamMember(
                        f"{prefix}-secret-{index}",
                        project=args.project,
                        secret_id=secret_id,
                        role=SECRET_ACCESSOR,
                        member=account.member,
                        opts=child,
                    )
            self.identities[workload.name] = WorkloadIdentity(
                workload=workload,
                service_account_annotations={GKE_SA_ANNOTATION: account.email},
                principal=account.email,
            )
        self.register_outputs({key: identity.principal for key, identity in self.identities.items()})
