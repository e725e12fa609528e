"""clouds/azure/storage.py: the artifact account and container."""

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
