"""clouds/azure/registry.py: ACR and the kubelet's pull permission."""

from offline.harness import StackRun
from offline.mocks.azure import mock_guid

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
REGISTRY = "azure-native:containerregistry:Registry"


def test_registry_has_no_admin_user_or_anonymous_pull(azure: StackRun) -> None:
    registry = azure.one("azure-native:containerregistry:Registry").inputs
    assert (registry["adminUserEnabled"], registry["anonymousPullEnabled"]) == (False, False)


def test_kubelet_identity_may_pull_from_this_registry_only(azure: StackRun) -> None:
    pull = azure.one(ROLE_ASSIGNMENT, "kubelet-acr-pull").inputs
    registry = azure.one("azure-native:containerregistry:Registry").inputs["registryName"]
    assert pull["roleDefinitionId"].endswith("/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d")
    assert pull["scope"].endswith(f"/Microsoft.ContainerRegistry/registries/{registry}")
    assert pull["principalId"] == mock_guid("kubelet-object", "mlops-dev-aks")


def test_registry_is_protected_because_pushed_images_may_exist_nowhere_else(azure: StackRun) -> None:
    assert azure.one("azure-native:containerregistry:Registry").protect


def test_production_registry_is_reached_only_through_its_private_endpoint(prod_azure: StackRun) -> None:
    registry = prod_azure.one(REGISTRY).inputs
    assert (registry["sku"]["name"], registry["publicNetworkAccess"]) == ("Premium", "Disabled")
    endpoint = prod_azure.one("azure-native:network:PrivateEndpoint").inputs
    assert endpoint["subnet"]["id"].endswith("/subnets/aks-nodes")
    (connection,) = endpoint["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["registry"]
    assert connection["privateLinkServiceId"].endswith(f"/registries/{registry['registryName']}")


def test_registry_names_resolve_to_the_endpoint_inside_the_vnet(prod_azure: StackRun) -> None:
    (config,) = prod_azure.one("azure-native:network:PrivateDnsZoneGroup").inputs["privateDnsZoneConfigs"]
    assert config["privateDnsZoneId"].endswith("/privateDnsZones/privatelink.azurecr.io")
    link = prod_azure.one("azure-native:privatedns:VirtualNetworkLink", "registry-zone-link").inputs
    assert link["virtualNetwork"]["id"].endswith("/virtualNetworks/mlops-prod-net-vnet")
