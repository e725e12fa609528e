"""Secret Manager secrets and Cloud KMS keys: generated credentials, protected keys."""

from __future__ import annotations

from offline.harness import SECRET_MASK
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
