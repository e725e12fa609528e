"""clouds/azure/identity.py: one managed identity per workload, federated and scoped to what it touches."""

import re

import pytest

from clouds.azure.identity import BuiltInRole, role_assignment_name
from clouds.contract import WORKFLOW_ARTIFACT_PREFIX, Workloads
from offline.harness import StackRun
from tests.clouds.azure.conftest import foundation_run

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential"
WORKLOADS = [Workloads.MLFLOW, Workloads.KSERVE_INFERENCE, Workloads.ARGO_WORKFLOWS, Workloads.EXTERNAL_SECRETS]
TEAMS = [Workloads.team("vision"), Workloads.team("nlp")]


def _role(assignment) -> BuiltInRole:  # type: ignore[no-untyped-def]
    return BuiltInRole(assignment.inputs["roleDefinitionId"].rsplit("/", 1)[1])


@pytest.mark.parametrize("workload", WORKLOADS + TEAMS, ids=lambda w: w.name)
def test_each_workload_identity_trusts_only_its_service_account(azure: StackRun, workload) -> None:  # type: ignore[no-untyped-def]
    credential = azure.one(CREDENTIAL, f"{workload.name}-federation").inputs
    assert credential["subject"] == f"system:serviceaccount:{workload.namespace}:{workload.service_account}"
    assert credential["audiences"] == ["api://AzureADTokenExchange"]
    assert credential["issuer"] == azure.outputs["oidcIssuerUrl"]


def test_cert_manager_gets_no_identity_without_an_azure_dns_role(azure: StackRun) -> None:
    assert not [c for c in azure.of_type(CREDENTIAL) if c.name.startswith(Workloads.CERT_MANAGER.name)]


def test_blob_roles_are_scoped_to_the_container_not_the_account(azure: StackRun) -> None:
    blob_roles = [r for r in azure.of_type(ROLE_ASSIGNMENT) if _role(r).name.startswith("STORAGE_BLOB")]
    assert len(blob_roles) == 6  # mlflow, kserve (reader), argo, the argo server (reader), two teams
    assert all(r.inputs["scope"].endswith("/blobServices/default/containers/mlflow-artifacts") for r in blob_roles)


def test_model_servers_only_read_artifacts(azure: StackRun) -> None:
    assert _role(azure.one(ROLE_ASSIGNMENT, "kserve-inference-artifacts")) == BuiltInRole.STORAGE_BLOB_DATA_READER


def test_external_secrets_reads_secrets_of_the_platform_vault_only(azure: StackRun) -> None:
    grant = azure.one(ROLE_ASSIGNMENT, "external-secrets-vault")
    assert _role(grant) == BuiltInRole.KEY_VAULT_SECRETS_USER
    assert "/Microsoft.KeyVault/vaults/" in grant.inputs["scope"]


@pytest.mark.parametrize("team", ["vision", "nlp"])
def test_team_identity_is_confined_to_its_artifact_prefix(azure: StackRun, team: str) -> None:
    grant = azure.one(ROLE_ASSIGNMENT, f"team-{team}-artifacts").inputs
    assert grant["conditionVersion"] == "2.0"
    assert f"blobs:path] StringStartsWith 'teams/{team}/'" in grant["condition"]
    assert f"blobs:prefix] StringStartsWith 'teams/{team}/'" in grant["condition"]


def test_role_assignment_names_derive_from_scope_role_and_purpose(azure: StackRun) -> None:
    for assignment in azure.of_type(ROLE_ASSIGNMENT):
        expected = role_assignment_name(assignment.inputs["scope"], _role(assignment), assignment.inputs["description"])
        assert assignment.inputs["roleAssignmentName"] == expected, assignment.name


def test_role_assignment_names_are_the_same_on_every_run(azure: StackRun) -> None:
    again = foundation_run().run
    first = {r.name: r.inputs["roleAssignmentName"] for r in azure.of_type(ROLE_ASSIGNMENT)}
    second = {r.name: r.inputs["roleAssignmentName"] for r in again.of_type(ROLE_ASSIGNMENT)}
    assert first == second
    assert len(set(first.values())) == len(first)


def test_team_identities_are_protected_like_their_namespaces(azure: StackRun) -> None:
    for team in ("vision", "nlp"):
        assert azure.one("azure-native:managedidentity:UserAssignedIdentity", f"team-{team}").protect, team
        assert azure.one("azure-native:managedidentity:FederatedIdentityCredential", f"team-{team}-federation").protect


def test_platform_identities_are_not_protected(azure: StackRun) -> None:
    assert not azure.one("azure-native:managedidentity:UserAssignedIdentity", "mlflow").protect


def test_every_blob_role_is_narrowed_to_the_workloads_prefixes(azure: StackRun) -> None:
    expected = {
        "mlflow-artifacts": {"mlflow/", "teams/"},  # team runs upload under their teams' prefixes
        "kserve-inference-artifacts": {"mlflow/"},
        "argo-workflows-artifacts": {f"{WORKFLOW_ARTIFACT_PREFIX}/", "mlflow/"},
        "argo-server-artifacts": {f"{WORKFLOW_ARTIFACT_PREFIX}/", "teams/"},
        "team-vision-artifacts": {"teams/vision/"},
        "team-nlp-artifacts": {"teams/nlp/"},
    }
    for name, paths in expected.items():
        condition = azure.one(ROLE_ASSIGNMENT, name).inputs["condition"]
        assert set(re.findall(r"blobs:path\] StringStartsWith '([^']*)'", condition)) == paths, name
        assert set(re.findall(r"blobs:prefix\] StringStartsWith '([^']*)'", condition)) == paths, name
