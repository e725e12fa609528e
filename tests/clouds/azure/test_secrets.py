"""clouds/azure/secrets.py: Key Vault and the platform secrets stored in it."""

from clouds.contract import PlatformSecrets
from offline.harness import StackRun

VAULT = "azure-native:keyvault:Vault"


def test_key_vault_uses_rbac_with_soft_delete_and_purge_protection(azure: StackRun) -> None:
    properties = azure.one(VAULT).inputs["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert (properties["enableSoftDelete"], properties["enablePurgeProtection"]) == (True, True)


def test_key_vault_is_protected(azure: StackRun) -> None:
    assert azure.one(VAULT).protect


def test_platform_and_database_secrets_are_stored_in_the_vault(azure: StackRun) -> None:
    stored = {s.inputs["secretName"] for s in azure.of_type("azure-native:keyvault:Secret")}
    assert stored == {"mlflow-database-password", *PlatformSecrets.all()}


def test_secret_values_are_pulumi_secrets(azure: StackRun) -> None:
    secrets = azure.of_type("azure-native:keyvault:Secret")
    assert len(secrets) == 3  # the database password and the two generated admin passwords
    assert all(s.masked_inputs["properties"]["value"] == "[secret]" for s in secrets)


def test_admin_groups_may_manage_vault_secrets(azure: StackRun) -> None:
    (officer,) = [
        r for r in azure.of_type("azure-native:authorization:RoleAssignment") if r.name.startswith("secrets-officer")
    ]
    assert officer.inputs["principalId"] == "3f2c8f6a-1b7e-4d2c-9a51-7c0e4b8d2f11"
    assert officer.inputs["principalType"] == "Group"
    assert "/Microsoft.KeyVault/vaults/" in officer.inputs["scope"]


def test_vault_denies_every_network_but_the_node_subnet(azure: StackRun) -> None:
    acls = azure.one("azure-native:keyvault:Vault").inputs["properties"]["networkAcls"]
    assert acls["defaultAction"] == "Deny"
    (rule,) = acls["virtualNetworkRules"]
    assert rule["id"].endswith("/virtualNetworks/mlops-dev-net-vnet/subnets/aks-nodes")
    assert acls["bypass"] == "AzureServices"  # ARM writes the secrets this program declares
