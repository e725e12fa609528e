"""MLflow's PostgreSQL on RDS: private subnets, reachable only from the cluster, encrypted, TLS-only, backed up."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from clouds.aws.iam import Partition, service_role
from clouds.aws.kms import customer_key
from clouds.contract import Database
from config.model import Database as DatabaseSettings

POSTGRES_PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")


@dataclass(frozen=True)
class PostgresArgs:
    identifier: str
    settings: DatabaseSettings
    instance_class: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_id: pulumi.Input[str]
    """The only security group admitted on 5432: the EKS cluster security group every node carries."""
    keep_final_snapshot: bool
    """Outside dev a final snapshot is taken when the instance is deleted."""
    protect: bool
    log_retention_days: int = 30
    """Retention of the exported PostgreSQL and upgrade logs."""
    log_key_arn: pulumi.Input[str] | None = None
    """Customer key of those log groups (outside dev); None: CloudWatch Logs' own encryption."""
    enhanced_monitoring: bool = False
    """OS metrics every 60 s (RDS Enhanced Monitoring), for production."""
    partition: Partition | None = None
    """For the monitoring role's managed policy ARN; required with `enhanced_monitoring`."""


class Postgres(pulumi.ComponentResource):
    instance: aws.rds.Instance
    database: Database
    password: pulumi.Output[str]

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:Postgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings

        key = customer_key(
            f"{name}-key",
            alias=args.identifier,
            description=f"Storage, snapshots and Performance Insights of {args.identifier}",
            parent=self,
            protect=args.protect,
        )
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=args.identifier,
            subnet_ids=list(args.subnet_ids),
            description="Private subnets only",
            opts=child,
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{args.identifier}: PostgreSQL from the EKS cluster only",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=POSTGRES_PORT,
                    to_port=POSTGRES_PORT,
                    security_groups=[args.client_security_group_id],
                    description="EKS nodes and pods",
                )
            ],
            egress=[],  # the database initiates nothing
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            name_prefix=f"{args.identifier}-",
            family=f"postgres{settings.engine_version}",
            description="TLS required",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1", apply_method="pending-reboot"),
                aws.rds.ParameterGroupParameterArgs(name="log_min_duration_statement", value="1000"),
            ],
            opts=child,
        )
        # Letters and digits only: the password ends up in a SQLAlchemy URI, where @ : / % would need escaping.
        password = random.RandomPassword(f"{name}-password", length=40, special=False, opts=child)
        self.password = pulumi.Output.secret(password.result)

        # RDS creates /aws/rds/instance/<id>/<log> itself, with no retention and outside Pulumi, unless it exists.
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-{log}-logs",
                name=f"/aws/rds/instance/{args.identifier}/{log}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.log_key_arn,
                opts=child,
            )
            for log in LOG_EXPORTS
        ]
        monitoring_role = None
        if args.enhanced_monitoring:
            assert args.partition is not None, "enhanced monitoring needs the partition for its role's policy"
            monitoring_role = service_role(
                f"{name}-monitoring",
                "monitoring.rds.amazonaws.com",
                [args.partition.managed_policy("service-role/AmazonRDSEnhancedMonitoringRole")],
                child,
                description=f"RDS Enhanced Monitoring of {args.identifier}",
            )
        insights = not re.match(r"^db\.t\d+g?\.(micro|small)$", args.instance_class)
        self.instance = aws.rds.Instance(
            name,
            identifier=args.identifier,
            engine="postgres",
            engine_version=settings.engine_version,  # the major only: RDS picks the newest minor and keeps it patched
            auto_minor_version_upgrade=True,
            # Lets a `database.engineVersion` bump (16 -> 17) apply; RDS refuses a major upgrade without it.
            allow_major_version_upgrade=True,
            instance_class=args.instance_class,
            allocated_storage=settings.storage_gb,
            max_allocated_storage=settings.storage_gb * 4,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=settings.name,
            username=settings.user,
            password=self.password,
            port=POSTGRES_PORT,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[security_group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=settings.high_availability,
            backup_retention_period=settings.backup_retention_days,
            backup_window="03:00-04:00",
            maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=not args.keep_final_snapshot,
            final_snapshot_identifier=f"{args.identifier}-final" if args.keep_final_snapshot else None,
            # Not offered on the smallest burstable classes for every engine (RDS "Database Insights" engine table);
            # the dev instance does without.
            performance_insights_enabled=insights,
            performance_insights_kms_key_id=key.arn if insights else None,
            monitoring_interval=60 if monitoring_role else 0,
            monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            ca_cert_identifier="rds-ca-rsa2048-g1",
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=log_groups),
        )

        self.database = Database(
            host=self.instance.address,
            port=POSTGRES_PORT,
            name=settings.name,
            user=settings.user,
            password=self.password,
            ssl_mode="require",
        )
        self.register_outputs({"address": self.instance.address})
