"""Cloud SQL for PostgreSQL behind MLflow: private IP only, TLS required, backups with point-in-time recovery."""

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


@dataclass(frozen=True)
class CloudSqlPostgresArgs:
    settings: DatabaseSettings
    project: str
    region: str
    tier: str
    edition: Literal["ENTERPRISE", "ENTERPRISE_PLUS"]
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
                    # TLS is mandatory; MLflow connects with sslmode=require and no client certificate.
                    "ssl_mode": "ENCRYPTED_ONLY",
                },
                "backup_configuration": {
                    "enabled": True,
                    "start_time": "01:00",
                    "point_in_time_recovery_enabled": True,
                    "transaction_log_retention_days": min(
                        settings.backup_retention_days, MAX_LOG_RETENTION_DAYS[args.edition]
                    ),
                    "backup_retention_settings": {
                        "retained_backups": settings.backup_retention_days,
                        "retention_unit": "COUNT",
                    },
                },
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
            ssl_mode="require",
        )
        self.register_outputs(
            {"privateIp": self.instance.private_ip_address, "connectionName": self.instance.connection_name}
        )
