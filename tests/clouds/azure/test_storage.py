"""clouds/azure/storage.py: the artifact account and container."""

from clouds.azure.storage import network_rules
from offline.harness import StackRun

ACCOUNT = "azure-native:storage:StorageAccount"


def test_artifact_account_accepts_identities_only(azure: StackRun) -> None:
    account = azure.one(ACCOUNT, "account").inputs
    assert account["allowSharedKeyAccess"] is False
    assert account["defaultToOAuthAuthentication"] is True


def test_artifacts_are_never_public(azure: StackRun) -> None:
    assert azure.one(ACCOUNT, "account").inputs["allowBlobPublicAccess"] is False
    assert azure.one("azure-native:storage:BlobContainer").inputs["publicAccess"] == "None"


def test_artifact_account_requires_tls_1_2_and_double_encryption(azure: StackRun) -> None:
    account = azure.one(ACCOUNT, "account").inputs
    assert (account["kind"], account["minimumTlsVersion"]) == ("StorageV2", "TLS1_2")
    assert account["encryption"]["requireInfrastructureEncryption"] is True


def test_artifacts_are_versioned_and_soft_deleted(azure: StackRun) -> None:
    blobs = azure.one("azure-native:storage:BlobServiceProperties").inputs
    assert blobs["isVersioningEnabled"] is True
    assert blobs["deleteRetentionPolicy"] == {"enabled": True, "days": 7}
    assert blobs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 7}


def test_old_versions_expire_after_the_configured_days(azure: StackRun) -> None:
    (rule,) = azure.one("azure-native:storage:ManagementPolicy").inputs["policy"]["rules"]
    assert rule["definition"]["actions"]["version"]["delete"] == {"daysAfterCreationGreaterThan": 30}


def test_artifact_account_and_container_are_protected(azure: StackRun) -> None:
    assert azure.one(ACCOUNT, "account").protect
    assert azure.one("azure-native:storage:BlobContainer").protect


def test_artifact_root_is_a_wasbs_uri_on_the_container(azure: StackRun) -> None:
    account = azure.one(ACCOUNT, "account").inputs["accountName"]
    assert azure.outputs["artifactStoreUri"] == f"wasbs://mlflow-artifacts@{account}.blob.core.windows.net/mlflow"


def test_every_storage_account_denies_networks_it_does_not_name(azure: StackRun, prod_azure: StackRun) -> None:
    accounts = azure.of_type(ACCOUNT) + prod_azure.of_type(ACCOUNT)
    assert len(accounts) == 3  # artifacts in dev; artifacts and flow logs in prod
    assert all(account.inputs["networkRuleSet"]["defaultAction"] == "Deny" for account in accounts)


def test_artifacts_are_reached_only_from_the_node_subnet(azure: StackRun) -> None:
    rules = azure.one(ACCOUNT, "account").inputs["networkRuleSet"]
    (rule,) = rules["virtualNetworkRules"]
    assert rule["virtualNetworkResourceId"].endswith("/virtualNetworks/mlops-dev-net-vnet/subnets/aks-nodes")
    assert (rules["bypass"], rules["ipRules"]) == ("None", [])


def test_network_watcher_may_write_flow_logs_through_the_firewall(prod_azure: StackRun) -> None:
    rules = prod_azure.one(ACCOUNT, "flow-logs").inputs["networkRuleSet"]
    assert (rules["bypass"], rules["virtualNetworkRules"]) == ("AzureServices", [])


def test_storage_ip_rules_name_single_addresses_without_a_prefix_length() -> None:
    rules = network_rules(ip_ranges=["198.51.100.7/32", "198.51.100.0/24"])["ip_rules"]
    assert [r["i_p_address_or_range"] for r in rules] == ["198.51.100.7", "198.51.100.0/24"]
