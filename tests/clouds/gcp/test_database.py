"""Cloud SQL for PostgreSQL: private IP only, TLS, backups with PITR, protected, generated password."""

from __future__ import annotations

from offline.harness import DeclaredResource, StackRun
from offline.mocks.gcp import SQL_CA_CERTIFICATE
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


def test_dev_database_keeps_daily_backups_without_point_in_time_recovery() -> None:
    backups = instance().inputs["settings"]["backupConfiguration"]
    assert backups["enabled"] is True
    assert backups["pointInTimeRecoveryEnabled"] is False
    assert backups["backupRetentionSettings"] == {"retainedBackups": 7, "retentionUnit": "COUNT"}
    assert "transactionLogRetentionDays" not in backups


def test_point_in_time_recovery_keeps_more_backups_than_days_of_transaction_logs(gcp_variant: StackRun) -> None:
    backups = gcp_variant.one(INSTANCE).inputs["settings"]["backupConfiguration"]
    assert backups["pointInTimeRecoveryEnabled"] is True
    assert backups["transactionLogRetentionDays"] == 7
    assert backups["backupRetentionSettings"]["retainedBackups"] > backups["transactionLogRetentionDays"]


def test_database_logs_connections_lock_waits_and_checkpoints() -> None:
    flags = {flag["name"]: flag["value"] for flag in instance().inputs["settings"]["databaseFlags"]}
    assert flags == {
        "log_connections": "on",
        "log_disconnections": "on",
        "log_lock_waits": "on",
        "log_checkpoints": "on",
    }


def test_mlflow_verifies_the_server_certificate_against_the_instance_ca() -> None:
    run = stack_run("dev-gcp")
    ca = run.one("kubernetes:core/v1:ConfigMap", "database-ca")
    assert ca.inputs["data"] == {"ca.crt": SQL_CA_CERTIFICATE}
    values = run.one("kubernetes:helm.sh/v3:Release", "mlflow").inputs["values"]
    assert values["extraEnvVars"]["PGSSLMODE"] == "verify-ca"
    assert values["extraEnvVars"]["PGSSLROOTCERT"] == "/etc/mlflow/database-ca/ca.crt"
    assert {"name": "database-ca", "configMap": {"name": "mlflow-database-ca"}} in values["extraVolumes"]
    (init,) = values["initContainers"]
    assert {"name": "PGSSLMODE", "value": "verify-ca"} in init["env"]
    assert init["volumeMounts"] == values["extraVolumeMounts"]


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
    assert inputs["settings"]["tier"] == "db-g1-small"
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
