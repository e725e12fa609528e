"""PostgreSQL Flexible Server for MLflow: VNet-integrated (no public endpoint), TLS only, backed up, protected."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
import pulumi_random as random

from clouds.contract import Database
from config.model import Database as DatabaseSettings

POSTGRES_PORT = 5432
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
"""Flexible Server's certificate (`*.postgres.database.azure.com`) chains to DigiCert Global Root G2 or Microsoft
RSA Root Certificate Authority 2017 (Microsoft's "TLS in Azure Database for PostgreSQL" page), both public roots in
Debian's ca-certificates, which the MLflow images (python:*-slim) carry at this path."""
STORAGE_SIZES_GB = (32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
"""Flexible Server offers only these disk sizes (premium SSD tiers)."""


def storage_size_gb(requested: int) -> int:
    """The smallest disk Flexible Server offers that holds `requested` GB."""
    return next(size for size in STORAGE_SIZES_GB if size >= requested)


@dataclass(frozen=True)
class PostgresArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    server_name: str
    vnet_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    settings: DatabaseSettings
    sku: str
    tier: str
    geo_redundant_backup: bool
    zone: str
    """Availability zone of the primary ("1".."3"); "" lets Azure choose (what the SDK sends when unset)."""
    standby_zone: str
    """Zone of the zone-redundant standby; "" lets Azure choose."""
    log_connections: bool
    """Log every connection and disconnection (who reached the database, from where, for how long)."""
    protect: bool
    tags: Mapping[str, str]
    after_subnets: Sequence[pulumi.Resource] = ()
    """The VNet's subnets: the private-DNS link targets the VNet, which is "Updating" while they are written."""
    after_cluster: Sequence[pulumi.Resource] = ()
    """AKS and its pools: joining the delegated subnet is a VNet operation, which must not overlap theirs."""


class Postgres(pulumi.ComponentResource):
    database: Database
    server: azure_native.dbforpostgresql.Server

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:Postgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        rg: dict[str, Any] = {"resource_group_name": args.resource_group_name}

        # VNet integration resolves the server through this zone; its name must end in the service suffix.
        zone = azure_native.privatedns.PrivateZone(
            "zone",
            private_zone_name=f"{args.server_name}.private.postgres.database.azure.com",
            location="global",
            tags=dict(args.tags),
            opts=child,
            **rg,
        )
        link = azure_native.privatedns.VirtualNetworkLink(
            "zone-link",
            virtual_network_link_name=f"{args.server_name}-vnet",
            private_zone_name=zone.name,
            virtual_network={"id": args.vnet_id},
            registration_enabled=False,
            location="global",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.after_subnets)),
            **rg,
        )
        generated = random.RandomPassword(f"{name}-admin-password", length=32, special=False, opts=child)
        password: pulumi.Output[str] = pulumi.Output.secret(
            generated.result
        )  # explicit, so no copy of it is ever plain

        self.server = azure_native.dbforpostgresql.Server(
            "server",
            server_name=args.server_name,
            location=args.location,
            version=settings.engine_version,
            sku={"name": args.sku, "tier": args.tier},
            administrator_login=settings.user,
            administrator_login_password=password,
            auth_config={"password_auth": "Enabled", "active_directory_auth": "Disabled"},
            storage={"storage_size_gb": storage_size_gb(settings.storage_gb), "auto_grow": "Enabled"},
            backup={
                "backup_retention_days": settings.backup_retention_days,
                "geo_redundant_backup": "Enabled" if args.geo_redundant_backup else "Disabled",
            },
            availability_zone=args.zone,
            high_availability=(
                {"mode": "ZoneRedundant", "standby_availability_zone": args.standby_zone}
                if settings.high_availability
                else {"mode": "Disabled"}
            ),
            network={
                "delegated_subnet_resource_id": args.subnet_id,
                "private_dns_zone_arm_resource_id": zone.id,
                "public_network_access": "Disabled",
            },
            create_mode="Default",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[link, *args.after_cluster],
                # Azure has no deletion-protection flag for Flexible Server; Pulumi's protect is the guard.
                protect=args.protect or settings.deletion_protection,
                ignore_changes=[
                    # Autogrow enlarges the disk; sending the configured size again would ask Azure to shrink
                    # it, which it refuses. The configured size is the size at creation.
                    "storage.storageSizeGB",
                    # A failover swaps primary and standby zones; moving them back is an operator's decision.
                    "availabilityZone",
                    "highAvailability.standbyAvailabilityZone",
                ],
            ),
            **rg,
        )
        in_server: dict[str, Any] = {**rg, "server_name": self.server.name}
        # On by default today; declared so a portal change shows up as drift instead of silently allowing plain text.
        parameters = {"require_secure_transport": "on"}
        if args.log_connections:
            parameters |= {"log_connections": "on", "log_disconnections": "on"}
        # Flexible Server applies one change at a time and answers a concurrent one with ServerBusy, so its
        # parameters and the database are written one after another (the azurerm provider locks per server).
        previous: list[pulumi.Resource] = []
        for parameter, value in parameters.items():
            setting = azure_native.dbforpostgresql.Configuration(
                parameter.replace("_", "-"),
                configuration_name=parameter,
                value=value,
                source="user-override",
                opts=pulumi.ResourceOptions(parent=self, depends_on=previous),
                **in_server,
            )
            previous = [setting]
        db = azure_native.dbforpostgresql.Database(
            "mlflow",
            database_name=settings.name,
            charset="UTF8",
            collation="en_US.utf8",
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=previous),
            **in_server,
        )

        self.database = Database(
            host=self.server.fully_qualified_domain_name,
            port=POSTGRES_PORT,
            name=settings.name,
            user=settings.user,
            password=password,
            # Encrypted is not enough: verify-full checks the chain and that the name is this server's.
            ssl_mode="verify-full",
            ssl_root_cert=SYSTEM_CA_BUNDLE,
        )
        self.register_outputs({"fqdn": self.server.fully_qualified_domain_name, "database": db.name})
