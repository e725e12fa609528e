"""MLflow's PostgreSQL on RDS: private subnets, reachable only from the cluster, encrypted, TLS-only, backed up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from clouds.aws.kms import customer_key
from clouds.contract import Database
from config.model import Database as DatabaseSettings

POSTGRES_PORT = 5432


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

        self.instance = aws.rds.Instance(
            name,
            identifier=args.identifier,
            engine="postgres",
            engine_version=settings.engine_version,  # the major only: RDS picks the newest minor and keeps it patched
            auto_minor_version_upgrade=True,
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
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            ca_cert_identifier="rds-ca-rsa2048-g1",
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
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
