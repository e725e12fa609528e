"""Azure identities: one user-assigned managed identity per workload, federated to its Kubernetes service
account through the cluster's OIDC issuer, with role assignments scoped to exactly what it touches."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_azure_native as azure_native

from clouds.contract import Workload, WorkloadIdentity

# Namespace for role-assignment GUIDs: the same scope, role and purpose always give the same name, so a
# second `pulumi up` (or a rebuilt state) finds the existing assignment instead of creating another.
ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("6f1d3c52-3c2e-4f41-9c1a-6b1f6c0e7a10")
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"


class BuiltInRole(StrEnum):
    """Built-in Azure role definition GUIDs (identical in every tenant)."""

    STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
    KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
    ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
    AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
    AKS_CLUSTER_USER = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
    """Azure Kubernetes Service Cluster User Role: `listClusterUserCredential`, i.e. `az aks get-credentials`."""


def role_assignment_name(scope: str, role: BuiltInRole, purpose: str) -> str:
    """The deterministic GUID of the assignment of `role` on `scope` for `purpose`."""
    return str(uuid.uuid5(ROLE_ASSIGNMENT_NAMESPACE, f"{scope.lower()}|{role.value}|{purpose}"))


def grant(
    name: str,
    *,
    purpose: str,
    role: BuiltInRole,
    principal_id: pulumi.Input[str],
    scope: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    principal_type: str = "ServicePrincipal",
    condition: str | None = None,
    opts: pulumi.ResourceOptions,
) -> azure_native.authorization.RoleAssignment:
    """Assign a built-in role on one scope. `purpose` is stored as the description and feeds the GUID."""
    return azure_native.authorization.RoleAssignment(
        name,
        role_assignment_name=pulumi.Output.from_input(scope).apply(lambda s: role_assignment_name(s, role, purpose)),
        role_definition_id=pulumi.Output.concat(
            "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role.value
        ),
        principal_id=principal_id,
        # Setting the type avoids a failed lookup when Entra ID has not yet replicated a new identity.
        principal_type=principal_type,
        scope=scope,
        description=purpose,
        condition=condition,
        condition_version="2.0" if condition else None,
        opts=opts,
    )


_BLOB = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"


def blob_prefix_condition(container: str, prefixes: Sequence[str]) -> str:
    """ABAC condition limiting a Storage Blob Data role on a container to blobs under `prefix/` of each prefix.

    Reads and writes are checked against the blob path, listings against the requested prefix, so a workload
    can neither read nor enumerate artifacts outside its prefixes (another team's, say) in the shared container.
    """
    paths = [prefix.rstrip("/") + "/" for prefix in prefixes]
    in_container = (
        f"@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals '{container}'"
    )
    under_path = " OR ".join(f"@Resource[{_BLOB}:path] StringStartsWith '{path}'" for path in paths)
    under_prefix = " OR ".join(f"@Request[{_BLOB}:prefix] StringStartsWith '{path}'" for path in paths)
    blob_ops = (
        f"!(ActionMatches{{'{_BLOB}/read'}} AND NOT SubOperationMatches{{'Blob.List'}})"
        f" AND !(ActionMatches{{'{_BLOB}/write'}})"
        f" AND !(ActionMatches{{'{_BLOB}/add/action'}})"
        f" AND !(ActionMatches{{'{_BLOB}/delete'}})"
    )
    list_op = f"!(ActionMatches{{'{_BLOB}/read'}} AND SubOperationMatches{{'Blob.List'}})"
    return (
        f"(({blob_ops}) OR ({in_container} AND ({under_path})))"
        f" AND (({list_op}) OR ({in_container} AND ({under_prefix})))"
    )


@dataclass(frozen=True)
class Grant:
    """One role a workload holds, on exactly one scope (a container, a vault, a registry)."""

    role: BuiltInRole
    scope: pulumi.Input[str]
    scope_label: str
    """Short word for the scope (`artifacts`, `vault`), used in resource names and the assignment purpose."""
    condition: str | None = None


@dataclass(frozen=True)
class WorkloadIdentitiesArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    name_prefix: str
    """Start of each identity's Azure name: `<prefix>-<workload>`."""
    oidc_issuer_url: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    grants: Mapping[Workload, Sequence[Grant]]
    tags: Mapping[str, str]
    protect: Mapping[Workload, bool] = field(default_factory=dict)
    """Per workload: protect its identity, federation and grants (teams: `team_is_protected`); others inherit."""


class WorkloadIdentities(pulumi.ComponentResource):
    """Managed identity + federated credential + scoped role assignments for each workload."""

    identities: dict[str, WorkloadIdentity]

    def __init__(self, name: str, args: WorkloadIdentitiesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:WorkloadIdentities", name, None, opts)
        self.identities = {}
        for workload, grants in args.grants.items():
            child = pulumi.ResourceOptions(parent=self, protect=args.protect.get(workload))
            identity = azure_native.managedidentity.UserAssignedIdentity(
                workload.name,
                resource_name_=f"{args.name_prefix}-{workload.name}",
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=dict(args.tags),
                opts=child,
            )
            azure_native.managedidentity.FederatedIdentityCredential(
                f"{workload.name}-federation",
                federated_identity_credential_resource_name=workload.name,
                resource_name_=identity.name,
                resource_group_name=args.resource_group_name,
                issuer=args.oidc_issuer_url,
                subject=workload.subject,
                audiences=[TOKEN_EXCHANGE_AUDIENCE],
                opts=child,
            )
            for item in grants:
                grant(
                    f"{workload.name}-{item.scope_label}",
                    purpose=f"{workload.name} {item.scope_label}",
                    role=item.role,
                    principal_id=identity.principal_id,
                    scope=item.scope,
                    subscription_id=args.subscription_id,
                    condition=item.condition,
                    opts=child,
                )
            self.identities[workload.name] = WorkloadIdentity(
                workload=workload,
                service_account_annotations={CLIENT_ID_ANNOTATION: identity.client_id},
                pod_labels={USE_LABEL: "true"},
                principal=identity.client_id,
            )
        self.register_outputs({name: i.principal for name, i in self.identities.items()})
