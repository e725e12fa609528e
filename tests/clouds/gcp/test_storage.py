"""The artifact bucket: private, versioned, cleaned up, protected."""

from __future__ import annotations

from offline.harness import DeclaredResource, StackRun
from tests.conftest import stack_run


def bucket() -> DeclaredResource:
    return stack_run("dev-gcp").one("gcp:storage/bucket:Bucket")


def test_bucket_is_never_public() -> None:
    inputs = bucket().inputs
    assert inputs["publicAccessPrevention"] == "enforced"
    assert inputs["uniformBucketLevelAccess"] is True


def test_bucket_keeps_versions_and_expires_noncurrent_ones() -> None:
    inputs = bucket().inputs
    assert inputs["versioning"] == {"enabled": True}
    rules = {rule["action"]["type"]: rule["condition"] for rule in inputs["lifecycleRules"]}
    assert rules["Delete"] == {"daysSinceNoncurrentTime": 30}
    assert rules["AbortIncompleteMultipartUpload"] == {"age": 7}


def test_bucket_is_protected_and_never_force_destroyed() -> None:
    resource = bucket()
    assert resource.protect
    assert resource.inputs["forceDestroy"] is False


def test_bucket_name_is_derived_from_project_and_stack() -> None:
    assert bucket().inputs["name"] == "acme-mlops-dev-mlops-dev-artifacts"


def test_mlflow_artifact_root_is_the_bucket_prefix() -> None:
    assert stack_run("dev-gcp").outputs["artifactStoreUri"] == "gs://acme-mlops-dev-mlops-dev-artifacts/mlflow"


def test_access_logging_turns_on_cloud_storage_data_access_audit_logs(gcp_variant: StackRun) -> None:
    audit = gcp_variant.one("gcp:projects/iAMAuditConfig:IAMAuditConfig")
    assert audit.inputs["service"] == "storage.googleapis.com"
    assert audit.inputs["auditLogConfigs"] == [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]


def test_without_access_logging_no_audit_configuration_is_declared() -> None:
    assert not stack_run("dev-gcp").of_type("gcp:projects/iAMAuditConfig:IAMAuditConfig")
