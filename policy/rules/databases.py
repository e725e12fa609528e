"""Managed Postgres is private, encrypted and backed up everywhere, and deletion-protected outside dev."""

from __future__ import annotations

from .model import Enforcement, Resource, Rule, environment_of


def check_database(resource: Resource) -> list[str]:
    checker = _CHECKS.get(resource.type)
    if checker is None:
        return []
    strict = environment_of(resource) != "dev"
    return checker(resource, strict)


def _rds(resource: Resource, strict: bool) -> list[str]:
    problems = []
    if resource.props.get("publiclyAccessible") is True:
        problems.append("RDS must set publicly_accessible=False (reach it through the VPC only).")
    if resource.props.get("storageEncrypted") is not True:
        problems.append("RDS must set storage_encrypted=True.")
    if not _positive(resource.props.get("backupRetentionPeriod")):
        problems.append("RDS must set backup_retention_period to at least 1 day.")
    if strict and resource.props.get("deletionProtection") is not True:
        problems.append("RDS outside dev must set deletion_protection=True.")
    return problems


def _azure_postgres(resource: Resource, strict: bool) -> list[str]:
    # Azure Database for PostgreSQL always encrypts storage (platform-managed keys); there is no switch to check.
    problems = []
    if resource.get("network.publicNetworkAccess") != "Disabled":
        problems.append("PostgreSQL flexible server must set network.public_network_access='Disabled' (VNet only).")
    if not _positive(resource.get("backup.backupRetentionDays")):
        problems.append("PostgreSQL flexible server must set backup.backup_retention_days (7-35).")
    if strict and not resource.protect:
        # Azure has no deletion-protection flag on the server; Pulumi's protect option is the guard.
        problems.append("PostgreSQL flexible server outside dev must be declared with protect=True.")
    return problems


def _cloud_sql(resource: Resource, strict: bool) -> list[str]:
    # Cloud SQL always encrypts storage (Google-managed keys unless encryption_key_name is set).
    problems = []
    if resource.get("settings.ipConfiguration.ipv4Enabled") is not False:
        problems.append("Cloud SQL must set settings.ip_configuration.ipv4_enabled=False (private IP only).")
    if resource.get("settings.backupConfiguration.enabled") is not True:
        problems.append("Cloud SQL must set settings.backup_configuration.enabled=True.")
    if strict and not (
        resource.props.get("deletionProtection") is True and resource.get("settings.deletionProtectionEnabled") is True
    ):
        problems.append(
            "Cloud SQL outside dev must set deletion_protection=True and settings.deletion_protection_enabled=True."
        )
    return problems


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


_CHECKS = {
    "aws:rds/instance:Instance": _rds,
    "aws:rds/cluster:Cluster": _rds,
    "azure-native:dbforpostgresql:Server": _azure_postgres,
    "gcp:sql/databaseInstance:DatabaseInstance": _cloud_sql,
}

DATABASE_PRIVATE = Rule(
    name="database-private-encrypted-backed-up",
    description="Databases are private, encrypted, backed up, and deletion-protected outside dev.",
    enforcement=Enforcement.MANDATORY,
    check=check_database,
    fix="RDS: publicly_accessible=False, storage_encrypted=True, backup_retention_period>=1, deletion_protection "
    "outside dev; Azure: public_network_access='Disabled', backup_retention_days, protect outside dev; Cloud SQL: "
    "ipv4_enabled=False, backups on, deletion protection outside dev.",
)
