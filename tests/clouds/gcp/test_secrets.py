"""Secret Manager secrets and Cloud KMS keys: generated credentials, protected keys."""

from __future__ import annotations

from offline.harness import SECRET_MASK, StackRun
from tests.conftest import stack_run

VERSION = "gcp:secretmanager/secretVersion:SecretVersion"


def test_platform_credentials_are_secret_manager_secrets() -> None:
    secret_ids = {s.inputs["secretId"] for s in stack_run("dev-gcp").of_type("gcp:secretmanager/secret:Secret")}
    assert secret_ids == {
        "mlops-dev-database-password",
        "mlops-dev-grafana-admin-password",
        "mlops-dev-argocd-admin-password",
    }


def test_secret_values_are_pulumi_secrets() -> None:
    versions = stack_run("dev-gcp").of_type(VERSION)
    assert versions
    assert all(version.masked_inputs["secretData"] == SECRET_MASK for version in versions)


def test_kms_keys_are_protected_and_rotated() -> None:
    run = stack_run("dev-gcp")
    assert run.one("gcp:kms/keyRing:KeyRing").protect
    key = run.one("gcp:kms/cryptoKey:CryptoKey", "keys-gke-secrets")
    assert key.protect
    assert key.inputs["rotationPeriod"] == f"{90 * 86400}s"


def test_secrets_are_replicated_by_google_without_data_residency() -> None:
    secrets = stack_run("dev-gcp").of_type("gcp:secretmanager/secret:Secret")
    assert secrets and all(secret.inputs["replication"] == {"auto": {}} for secret in secrets)


def test_with_data_residency_secrets_stay_in_the_region(gcp_variant: StackRun) -> None:
    secrets = gcp_variant.of_type("gcp:secretmanager/secret:Secret")
    expected = {"userManaged": {"replicas": [{"location": "europe-west4"}]}}
    assert secrets and all(secret.inputs["replication"] == expected for secret in secrets)
