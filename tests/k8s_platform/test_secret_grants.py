"""External Secrets' cloud identity may read exactly the keys the program's ExternalSecrets ask it to sync.

Each cloud's dev stack is run with published UIs (the SSO client secret) and a private ArgoCD repository (its
token), then every ExternalSecret's remote key is looked up in External Secrets' grants on that cloud.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase

from offline.harness import StackRun
from tests.conftest import stack_run
from tests.k8s_platform.helpers import REPO_TOKEN_KEY, SSO_KEY, custom_resources, published_run


def _remote_keys(run: StackRun) -> set[str]:
    keys = {ref["remoteRef"]["key"] for es in custom_resources(run, "ExternalSecret") for ref in es.get("spec.data")}
    assert keys, "the stack syncs no secret at all"
    return keys


def test_external_secrets_sync_the_sso_client_secret_and_the_repository_token() -> None:
    assert {SSO_KEY, REPO_TOKEN_KEY} <= _remote_keys(published_run("dev-aws"))


def test_aws_external_secrets_role_reads_every_key_its_external_secrets_name() -> None:
    run = published_run("dev-aws")
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "identity-external-secrets").inputs["policy"])
    (reads,) = [s for s in policy["Statement"] if "secretsmanager:GetSecretValue" in s["Action"]]
    # Generated secrets are granted by their ARN, deployer-provided ones by name: both end in a 6-character suffix.
    granted = [re.sub(r"-[A-Za-z0-9]{6}$", "-??????", arn) for arn in reads["Resource"]]
    for key in _remote_keys(run):
        arn = f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{key}-Ab12Cd"
        assert any(fnmatchcase(arn, pattern) for pattern in granted), key


def test_aws_external_secrets_role_reads_nothing_beyond_the_synced_and_generated_secrets() -> None:
    run = published_run("dev-aws")
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "identity-external-secrets").inputs["policy"])
    (reads,) = [s for s in policy["Statement"] if "secretsmanager:GetSecretValue" in s["Action"]]
    for arn in reads["Resource"]:
        assert not arn.endswith(":secret:*") and "*" not in arn.split(":secret:")[1], arn


def test_gcp_external_secrets_account_reads_every_key_its_external_secrets_name() -> None:
    run = published_run("dev-gcp")
    granted = {
        member.inputs["secretId"].rsplit("/", 1)[-1]
        for member in run.of_type("gcp:secretmanager/secretIamMember:SecretIamMember")
        if member.name.startswith("workload-identities-external-secrets-")
    }
    assert _remote_keys(run) <= granted


def test_azure_external_secrets_identity_reads_the_stacks_own_vault_where_every_key_lives() -> None:
    run = published_run("dev-azure")
    (vault,) = run.of_type("azure-native:keyvault:Vault")
    (grant,) = [
        a for a in run.of_type("azure-native:authorization:RoleAssignment") if a.name == "external-secrets-vault"
    ]
    # Key Vault Secrets User on the platform's own vault: the deployer adds its secrets to that vault.
    assert grant.inputs["roleDefinitionId"].endswith("4633458b-17de-408a-b874-0445c86b69e6")
    assert grant.inputs["scope"].endswith(f"/vaults/{vault.inputs['vaultName']}")
    store = next(s for s in custom_resources(run, "ClusterSecretStore"))
    assert store.get("spec.provider.azurekv.vaultUrl")


def test_local_store_grants_external_secrets_every_secret_of_its_seed_namespace() -> None:
    run = stack_run("dev-local")
    (role,) = [r for r in run.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role") if r.name == "secret-reader"]
    assert role.get("metadata.namespace") == "platform-secrets"
    assert role.get("rules") == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]
