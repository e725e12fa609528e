"""Cloud SQL for PostgreSQL: private IP only, TLS, backups with PITR, protected, generated password."""

from __future__ import annotations

from offline.harness import DeclaredResource
from offline.mocks.random import fake_password
from tests.conftest import stack_run

INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"


def instance() -> DeclaredResource:
    return stack_run("dev-gcp").one(INSTANCE)


def test_database_has_a_private_ip_only_and_requires_tls() -> None:
    ip = instance().inputs["settings"]["ipConfiguration"]
    assert ip["ipv4Enabled"] is False
    assert ip["privateNetwork"] == "projects/acme-mlops-dev/global/networks/mlops-dev-vpc"
    assert ip["sslMode"] == "ENCRYPTED_ONLY"


def test_database_waits_for_the_private_services_peering() -> None:
    run = stack_run("dev-gcp")
    assert run.depends_on(instance(), run.one("gcp:servicenetworking/connection:Connection"))


def test_backups_with_point_in_time_recovery_keep_the_configured_days() -> None:
    backups = instance().inputs["settings"]["backupConfiguration"]
    assert backups["enabled"] is True
    assert backups["pointInTimeRecoveryEnabled"] is True
    assert backups["backupRetentionSettings"] == {"retainedBackups": 7, "retentionUnit": "COUNT"}
    assert backups["transactionLogRetentionDays"] == 7


def test_database_is_protected_in_pulumi_and_in_gcp() -> None:
    resource = instance()
    assert resource.protect
    assert resource.inputs["deletionProtection"] is True
    assert resource.inputs["settings"]["deletionProtectionEnabled"] is True
    assert stack_run("dev-gcp").one("gcp:sql/database:Database").protect


def test_engine_edition_tier_and_availability_follow_config() -> None:
    inputs = instance().inputs
    assert inputs["databaseVersion"] == "POSTGRES_17"
    assert inputs["settings"]["edition"] == "ENTERPRISE"
    assert inputs["settings"]["tier"] == "db-custom-1-3840"
    assert inputs["settings"]["availabilityType"] == "ZONAL"


def test_mlflow_user_gets_the_generated_password_which_is_also_in_secret_manager() -> None:
    run = stack_run("dev-gcp")
    password = fake_password("postgres-password")
    assert run.one("gcp:sql/user:User").inputs["password"] == password
    assert (
        run.one("gcp:secretmanager/secretVersion:SecretVersion", "secrets-database-password").inputs["secretData"]
        == password
    )


def test_database_password_never_appears_in_plain_outputs() -> None:
    run = stack_run("dev-gcp")
    password = fake_password("postgres-password")
    plain = {k: v for k, v in run.outputs.items() if k not in run.secret_outputs}
    assert password not in repr(plain)


def test_dev_database_is_deleted_without_a_final_backup() -> None:
    assert "finalBackupConfig" not in instance().inputs["settings"]
