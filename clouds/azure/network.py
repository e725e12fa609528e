"""The virtual network: an AKS node subnet, a subnet delegated to PostgreSQL, their NSGs and VNet flow logs."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from clouds.azure.storage import network_rules, storage_account

POSTGRES_DELEGATION = "Microsoft.DBforPostgreSQL/flexibleServers"
POSTGRES_PORT = "5432"
SERVICE_ENDPOINTS = ("Microsoft.Storage", "Microsoft.KeyVault")


@dataclass(frozen=True)
class FlowLogArgs:
    """VNet flow logs (NSG flow logs are retired for new deployments) written to their own storage account."""

    storage_account_name: str
    network_watcher_resource_group: str
    retention_days: int


@dataclass(frozen=True)
class NetworkArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    name_prefix: str
    address_space: ipaddress.IPv4Network
    node_subnet: ipaddress.IPv4Network
    database_subnet: ipaddress.IPv4Network
    flow_logs: FlowLogArgs | None
    tags: Mapping[str, str]


ANY = "*"


def _rule(name: str, priority: int, access: str, source: str, ports: Sequence[str]) -> Any:
    """One inbound NSG rule. Azure accepts `*` (and a lone port or range) only in the singular
    `destinationPortRange`; the plural `destinationPortRanges` takes two or more explicit ports and rejects
    `*` with `SecurityRuleInvalidPortRange`. So a single value always goes into the singular field."""
    if not ports or (ANY in ports and len(ports) > 1):
        raise ValueError(f"NSG rule {name}: ports must be [{ANY!r}] or explicit ports, got {list(ports)}")
    destination: dict[str, Any] = (
        {"destination_port_range": ports[0]} if len(ports) == 1 else {"destination_port_ranges": list(ports)}
    )
    return {
        "name": name,
        "priority": priority,
        "direction": "Inbound",
        "access": access,
        "protocol": "*" if list(ports) == [ANY] else "Tcp",
        "source_address_prefix": source,
        "source_port_range": ANY,
        "destination_address_prefix": ANY,
        **destination,
    }


class Network(pulumi.ComponentResource):
    vnet: azure_native.network.VirtualNetwork
    node_subnet: azure_native.network.Subnet
    database_subnet: azure_native.network.Subnet
    subnets: list[azure_native.network.Subnet]
    """Every subnet; whatever else writes to the VNet waits for them (Azure refuses concurrent VNet updates)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        placed: dict[str, Any] = {
            "resource_group_name": args.resource_group_name,
            "location": args.location,
            "tags": dict(args.tags),
        }

        # Nodes: Azure's defaults (VNet and load-balancer probes in, everything else in denied) plus the
        # gateway's public ports; AKS does not edit an NSG we bring, so LoadBalancer traffic is allowed here.
        node_nsg = azure_native.network.NetworkSecurityGroup(
            "nodes",
            network_security_group_name=f"{args.name_prefix}-nodes-nsg",
            security_rules=[_rule("allow-gateway-http", 100, "Allow", "Internet", ["80", "443"])],
            opts=child,
            **placed,
        )
        # Database: only the node subnet reaches Postgres; the rest of the VNet is denied explicitly,
        # because Azure's default rule would otherwise allow any VNet address in.
        database_nsg = azure_native.network.NetworkSecurityGroup(
            "database",
            network_security_group_name=f"{args.name_prefix}-database-nsg",
            security_rules=[
                _rule("allow-postgres-from-nodes", 100, "Allow", str(args.node_subnet), [POSTGRES_PORT]),
                # High availability replicates between primary and standby inside this subnet.
                _rule("allow-within-subnet", 110, "Allow", str(args.database_subnet), [ANY]),
                _rule("deny-other-vnet", 4000, "Deny", "VirtualNetwork", [ANY]),
            ],
            opts=child,
            **placed,
        )
        self.vnet = azure_native.network.VirtualNetwork(
            "vnet",
            virtual_network_name=f"{args.name_prefix}-vnet",
            address_space={"address_prefixes": [str(args.address_space)]},
            # Subnets are separate resources below; leaving them out here lets each be managed on its own.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
            **placed,
        )
        in_vnet: dict[str, Any] = {
            "resource_group_name": args.resource_group_name,
            "virtual_network_name": self.vnet.name,
        }
        self.node_subnet = azure_native.network.Subnet(
            "nodes",
            subnet_name="aks-nodes",
            address_prefix=str(args.node_subnet),
            network_security_group={"id": node_nsg.id},
            # Pods reach Blob storage and Key Vault from this subnet's addresses, so their firewalls can
            # admit exactly this subnet (pods are SNATed to the node IP with CNI overlay).
            service_endpoints=[{"service": service} for service in SERVICE_ENDPOINTS],
            # No implicit outbound IP: egress goes through the AKS load balancer only.
            default_outbound_access=False,
            opts=child,
            **in_vnet,
        )
        self.database_subnet = azure_native.network.Subnet(
            "database",
            subnet_name="postgres",
            address_prefix=str(args.database_subnet),
            network_security_group={"id": database_nsg.id},
            delegations=[{"name": "postgres-flexible-server", "service_name": POSTGRES_DELEGATION}],
            default_outbound_access=False,
            # Azure serialises changes to subnets of one VNet; one at a time avoids "another operation in progress".
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.node_subnet]),
            **in_vnet,
        )

        self.subnets = [self.node_subnet, self.database_subnet]

        if args.flow_logs is not None:
            logs = args.flow_logs
            # Network Watcher writes with the account's trusted-service access; the account holds logs only.
            account = storage_account(
                "flow-logs",
                account_name=logs.storage_account_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=args.tags,
                shared_key_access=True,
                sku="Standard_LRS",
                # Nothing but Network Watcher (a trusted service) writes here.
                network=network_rules(trusted_services=True),
                opts=child,
            )
            azure_native.network.FlowLog(
                "vnet-flow-log",
                flow_log_name=f"{args.name_prefix}-vnet",
                # Azure keeps one Network Watcher per region, created on first VNet in NetworkWatcherRG.
                network_watcher_name=f"NetworkWatcher_{args.location}",
                resource_group_name=logs.network_watcher_resource_group,
                location=args.location,
                target_resource_id=self.vnet.id,
                storage_id=account.id,
                enabled=True,
                format={"type": "JSON", "version": 2},
                retention_policy={"enabled": True, "days": logs.retention_days},
                tags=dict(args.tags),
                # It targets the VNet, which Azure keeps "Updating" while a subnet is written.
                opts=pulumi.ResourceOptions(parent=self, depends_on=self.subnets),
            )
        self.register_outputs({"vnetId": self.vnet.id, "nodeSubnetId": self.node_subnet.id})
