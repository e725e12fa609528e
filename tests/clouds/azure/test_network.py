"""clouds/azure/network.py: subnets, NSGs and flow logs of the dev-azure stack."""

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
    assert (allowed["sourceAddressPrefix"], allowed["destinationPortRanges"]) == (node_subnet, ["5432"])
    denied = rules["deny-other-vnet"]
    assert (denied["access"], denied["sourceAddressPrefix"]) == ("Deny", "VirtualNetwork")
    assert denied["priority"] > allowed["priority"]


def test_every_subnet_has_an_nsg(azure: StackRun) -> None:
    subnets = azure.of_type(SUBNET)
    assert len(subnets) == 2
    assert all(subnet.inputs.get("networkSecurityGroup", {}).get("id") for subnet in subnets)


def test_vnet_flow_logs_are_kept_for_the_configured_retention(azure: StackRun) -> None:
    flow_log = azure.one("azure-native:network:FlowLog")
    vnet = azure.one("azure-native:network:VirtualNetwork")
    assert flow_log.inputs["targetResourceId"].endswith(f"/virtualNetworks/{vnet.inputs['virtualNetworkName']}")
    assert flow_log.inputs["retentionPolicy"] == {"enabled": True, "days": 30}
    assert flow_log.inputs["networkWatcherName"] == "NetworkWatcher_westeurope"
