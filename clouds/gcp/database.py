"""Cloud SQL for PostgreSQL behind MLflow: private IP only, TLS required and verified, backups with optional
point-in-time recovery."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from clouds.contract import Database
from config.model import Database as DatabaseSettings

POSTGRES_PORT = 5432
# Enterprise keeps at most 7 days of transaction logs for point-in-time recovery, Enterprise Plus 35.
MAX_LOG_RETENTION_DAYS = {"ENTERPRISE": 7, "ENTERPRISE_PLUS": 35}
FINAL_BACKUP_DAYS = 30
LOGGING_FLAGS = {"log_connections": "on", "log_disconnections": "on", "log_lock_waits": "on", "log_checkpoints": "on"}
"""Cheap to log (one line per event) and what a connection storm, a lock pile-up or an I/O stall is diagnosed by."""


def backup_configuration(
    retention_days: int, point_in_time_recovery: bool, edition: str
) -> gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgsDict:
    """Daily backups kept `retention_days`; with point-in-time recovery, transaction logs for as many days as the
    edition allows. Cloud SQL requires more retained backups than days of logs: restoring to the window's start
    replays logs onto the backup before it."""
    if not point_in_time_recovery:
        return {
            "enabled": True,
            "start_time": "01:00",
            "point_in_time_recovery_enabled": False,
            "backup_retention_settings": {"retained_backups": retention_days, "retention_unit": "COUNT"},
        }
    log_days = min(retention_days, MAX_LOG_RETENTION_DAYS[edition])
    return {
        "enabled": True,
        "start_time": "01:00",
        "point_in_time_recovery_enabled": True,
        "transaction_log_retention_days": log_days,
        "backup_retention_settings": {"retained_backups": max(retention_days, log_days + 1), "retention_unit": "COUNT"},
    }


@dataclass(frozen=True)
class CloudSqlPostgresArgs:
    settings: DatabaseSettings
    project: str
    region: str
    tier: str
    edition: Literal["ENTERPRISE", "ENTERPRISE_PLUS"]
    point_in_time_recovery: bool
    network_id: pulumi.Input[str]
    maintenance_day: int
    """1 (Monday) .. 7 (Sunday), UTC."""
    maintenance_hour: int
    naming: Callable[[str], str]
    protect: bool
    final_backup: bool
    """Take a last backup when the instance is deleted (outside dev)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The SQL Admin API and the private services connection: the private IP is allocated from its range."""
    labels: Mapping[str, str] | None = None


class CloudSqlPostgres(pulumi.ComponentResource):
    instance: gcp.sql.DatabaseInstance
    database: Database
    password: pulumi.Output[str]

    def __init__(self, name: str, args: CloudSqlPostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:CloudSqlPostgres", name, None, opts)
        settings = args.settings
        protected = pulumi.ResourceOptions(parent=self, protect=args.protect)

        self.instance = gcp.sql.DatabaseInstance(
            f"{name}-instance",
            project=args.project,
            name=args.naming("postgres"),
            region=args.region,
            database_version=f"POSTGRES_{settings.engine_version}",
            deletion_protection=settings.deletion_protection,
            settings={
                "tier": args.tier,
                "edition": args.edition,
                "availability_type": "REGIONAL" if settings.high_availability else "ZONAL",
                "disk_type": "PD_SSD",
                "disk_size": settings.storage_gb,
                "disk_autoresize": True,
                # Also refuse deletion through the Cloud SQL API itself (console, gcloud), not only Pulumi.
                "deletion_protection_enabled": settings.deletion_protection,
                "ip_configuration": {
                    "ipv4_enabled": False,
                    "private_network": args.network_id,
                    # TLS is mandatory; MLflow verifies the server against the instance CA (no client certificate).
                    "ssl_mode": "ENCRYPTED_ONLY",
                },
                "backup_configuration": backup_configuration(
                    settings.backup_retention_days, args.point_in_time_recovery, args.edition
                ),
                "database_flags": [{"name": flag, "value": value} for flag, value in LOGGING_FLAGS.items()],
                "maintenance_window": {
                    "day": args.maintenance_day,
                    "hour": args.maintenance_hour,
                    "update_track": "stable",
                },
                "final_backup_config": {"enabled": True, "retention_days": FINAL_BACKUP_DAYS}
                if args.final_backup
                else None,
                "insights_config": {"query_insights_enabled": True},
                "user_labels": dict(args.labels or {}),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on), protect=args.protect),
        )
        database = gcp.sql.Database(f"{name}-database", name=settings.name, instance=self.instance.name, opts=protected)

        password = random.RandomPassword(
            f"{name}-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        self.password = pulumi.Output.secret(password.result)
        gcp.sql.User(
            f"{name}-user",
            name=settings.user,
            instance=self.instance.name,
            password=self.password,
            # Postgres refuses to drop a role that still owns MLflow's tables; let the instance's deletion take it.
            deletion_policy="ABANDON",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[database]),
        )

        self.database = Database(
            host=self.instance.private_ip_address,
            port=POSTGRES_PORT,
            name=settings.name,
            user=settings.user,
            password=self.password,
            # The server certificate is issued by the instance's own CA for `<project>:<instance>`, not for its
            # IP address, so clients can verify the CA (verify-ca) but not the host name (verify-full). Every
            # CA the instance trusts is in the bundle, so a CA rotation keeps working after a refresh.
            ssl_mode="verify-ca",
            ca_certificate=self.instance.server_ca_certs.apply(
                lambda certs: "".join(cert.cert for cert in certs if cert.cert)
            ),
        )
        self.register_outputs(
            {"privateIp": self.instance.private_ip_address, "connectionName": self.instance.connection_name}
        )
