"""clouds/azure/network.py: subnets, NSGs and flow logs of the dev-azure stack."""

import pytest

from clouds.azure.network import _rule
from offline.harness import StackRun

SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"


def test_database_subnet_is_delegated_to_postgres_flexible_server(azure: StackRun) -> None:
    subnet = azure.one(SUBNET, "database")
    assert [d["serviceName"] for d in subnet.inputs["delegations"]] == ["Microsoft.DBforPostgreSQL/flexibleServers"]


def test_database_subnet_admits_postgres_only_from_the_node_subnet(azure: StackRun) -> None:
    rules = {r["name"]: r for r in azure.one(NSG, "database").inputs["securityRules"]}
    node_subnet = azure.one(SUBNET, "nodes").inputs["addressPrefix"]
    allowed = rules["allow-postgres-from-nodes"]
    assert (allowed["sourceAddressPrefix"], allowed["destinationPortRange"]) == (node_subnet, "5432")
    denied = rules["deny-other-vnet"]
    assert (denied["access"], denied["sourceAddressPrefix"]) == ("Deny", "VirtualNetwork")
    assert denied["priority"] > allowed["priority"]


def test_every_subnet_has_an_nsg(azure: StackRun) -> None:
    subnets = azure.of_type(SUBNET)
    assert len(subnets) == 2
    assert all(subnet.inputs.get("networkSecurityGroup", {}).get("id") for subnet in subnets)


def test_production_vnet_flow_logs_are_kept_90_days(prod_azure: StackRun) -> None:
    flow_log = prod_azure.one("azure-native:network:FlowLog")
    vnet = prod_azure.one("azure-native:network:VirtualNetwork")
    assert flow_log.inputs["targetResourceId"].endswith(f"/virtualNetworks/{vnet.inputs['virtualNetworkName']}")
    assert flow_log.inputs["retentionPolicy"] == {"enabled": True, "days": 90}
    assert flow_log.inputs["networkWatcherName"] == "NetworkWatcher_westeurope"


def test_dev_keeps_no_flow_logs_to_stay_within_its_budget(azure: StackRun) -> None:
    assert azure.of_type("azure-native:network:FlowLog") == []


PLURAL_OF = {
    "sourcePortRange": "sourcePortRanges",
    "destinationPortRange": "destinationPortRanges",
    "sourceAddressPrefix": "sourceAddressPrefixes",
    "destinationAddressPrefix": "destinationAddressPrefixes",
}


def test_every_nsg_rule_puts_wildcards_and_single_values_only_in_the_singular_fields(azure: StackRun) -> None:
    # Azure rejects `*` in the plural fields (SecurityRuleInvalidPortRange) and wants exactly one of each pair.
    rules = [(nsg.name, rule) for nsg in azure.of_type(NSG) for rule in nsg.inputs["securityRules"]]
    assert rules
    for nsg, rule in rules:
        for singular, plural in PLURAL_OF.items():
            where = f"{nsg}/{rule['name']}: {singular}"
            assert (singular in rule) != (plural in rule), where
            assert plural not in rule or (len(rule[plural]) > 1 and "*" not in rule[plural]), where


def test_an_nsg_rule_refuses_a_wildcard_among_explicit_ports() -> None:
    with pytest.raises(ValueError, match="ports must be"):
        _rule("mixed", 100, "Allow", "VirtualNetwork", ["*", "443"])


def test_node_subnet_reaches_storage_and_key_vault_through_service_endpoints(azure: StackRun) -> None:
    endpoints = azure.one(SUBNET, "nodes").inputs["serviceEndpoints"]
    assert [e["service"] for e in endpoints] == ["Microsoft.Storage", "Microsoft.KeyVault"]
