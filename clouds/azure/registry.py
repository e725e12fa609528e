"""Azure Container Registry for model and pipeline images: no admin user, pulled by the kubelet identity;
on Premium, reachable only through a private endpoint in the VNet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from clouds.azure.identity import BuiltInRole, grant

PRIVATE_SKU = "Premium"
"""The only tier with private endpoints and public access off; Basic and Standard are reachable from anywhere
(with Entra ID auth only)."""
PRIVATE_DNS_ZONE = "privatelink.azurecr.io"


@dataclass(frozen=True)
class PrivateAccess:
    """Where the registry's private endpoint lives, and what it must not run alongside."""

    vnet_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    after_subnets: Sequence[pulumi.Resource]
    """The DNS link targets the VNet, which is "Updating" while subnets are written."""
    after_vnet_writers: Sequence[pulumi.Resource]
    """The endpoint joins the node subnet: a VNet operation, after AKS and the database have done theirs."""


@dataclass(frozen=True)
class RegistryArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    registry_name: str
    sku: str
    kubelet_object_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    protect: bool
    tags: Mapping[str, str]
    private_access: PrivateAccess | None = None
    """Used on Premium only."""


class Registry(pulumi.ComponentResource):
    registry: azure_native.containerregistry.Registry
    login_server: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:Registry", name, None, opts)
        private = args.private_access if args.sku == PRIVATE_SKU else None
        network: dict[str, Any] = (
            # Trusted services (ACR Tasks, Defender scanning) keep working; everyone else comes through the VNet.
            {"public_network_access": "Disabled", "network_rule_bypass_options": "AzureServices"} if private else {}
        )
        self.registry = azure_native.containerregistry.Registry(
            "registry",
            registry_name=args.registry_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku={"name": args.sku},
            # Pushes and pulls use Entra ID identities; there is no shared admin password to leak.
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            **network,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),  # pushed images may exist nowhere else
        )
        # Nodes pull images as the kubelet identity, so no imagePullSecrets are needed anywhere.
        grant(
            "kubelet-acr-pull",
            purpose="kubelet image pull",
            role=BuiltInRole.ACR_PULL,
            principal_id=args.kubelet_object_id,
            scope=self.registry.id,
            subscription_id=args.subscription_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        if private is not None:
            self._private_endpoint(args, private)
        self.login_server = self.registry.login_server
        self.register_outputs({"loginServer": self.login_server})

    def _private_endpoint(self, args: RegistryArgs, private: PrivateAccess) -> None:
        """Endpoint in the node subnet; the zone group keeps the login and data-endpoint records in the zone."""
        placed: dict[str, Any] = {"resource_group_name": args.resource_group_name, "tags": dict(args.tags)}
        zone = azure_native.privatedns.PrivateZone(
            "registry-zone",
            private_zone_name=PRIVATE_DNS_ZONE,
            location="global",
            opts=pulumi.ResourceOptions(parent=self),
            **placed,
        )
        azure_native.privatedns.VirtualNetworkLink(
            "registry-zone-link",
            virtual_network_link_name=f"{args.registry_name}-vnet",
            private_zone_name=zone.name,
            virtual_network={"id": private.vnet_id},
            registration_enabled=False,
            location="global",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(private.after_subnets)),
            **placed,
        )
        endpoint = azure_native.network.PrivateEndpoint(
            "registry-endpoint",
            private_endpoint_name=f"{args.registry_name}-pe",
            location=args.location,
            subnet={"id": private.subnet_id},
            private_link_service_connections=[
                {"name": "registry", "private_link_service_id": self.registry.id, "group_ids": ["registry"]}
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(private.after_vnet_writers)),
            **placed,
        )
        azure_native.network.PrivateDnsZoneGroup(
            "registry-dns",
            private_dns_zone_group_name="default",
            private_endpoint_name=endpoint.name,
            resource_group_name=args.resource_group_name,
            private_dns_zone_configs=[{"name": "registry", "private_dns_zone_id": zone.id}],
            opts=pulumi.ResourceOptions(parent=self),
        )
