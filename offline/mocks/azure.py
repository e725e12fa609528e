"""Mock answers for azure-native: ARM resource IDs, the names Azure would assign, identity GUIDs, endpoints."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import pulumi
import yaml

SUBSCRIPTION_ID = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
DEPLOYER_OBJECT_ID = "2c6b8f0e-5c64-4a49-8e0f-6d4e2a1c9b10"
DEPLOYER_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"  # the Azure CLI's public client
AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
_MOCK_NAMESPACE = uuid.UUID("0f5d2a2e-9a57-4a4e-9d6c-2f2b3c6d7e80")


def mock_guid(*parts: str) -> str:
    """A stable GUID per resource, so principal and client IDs look real and repeat across runs."""
    return str(uuid.uuid5(_MOCK_NAMESPACE, "/".join(parts)))


def _group(inputs: dict[str, Any]) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{inputs.get('resourceGroupName', 'unknown-rg')}"


# Type token -> ARM path under the resource group. `{key}` placeholders are wire-name inputs; the last one
# is the input that holds the resource's own name.
ARM_PATHS: dict[str, str] = {
    "azure-native:network:VirtualNetwork": "Microsoft.Network/virtualNetworks/{virtualNetworkName}",
    "azure-native:network:Subnet": "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}",
    "azure-native:network:NetworkSecurityGroup": ("Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}"),
    "azure-native:network:FlowLog": "Microsoft.Network/networkWatchers/{networkWatcherName}/flowLogs/{flowLogName}",
    "azure-native:storage:StorageAccount": "Microsoft.Storage/storageAccounts/{accountName}",
    "azure-native:network:PrivateEndpoint": "Microsoft.Network/privateEndpoints/{privateEndpointName}",
    "azure-native:network:PrivateDnsZoneGroup": (
        "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}"
    ),
    "azure-native:storage:BlobServiceProperties": (
        "Microsoft.Storage/storageAccounts/{accountName}/blobServices/{blobServicesName}"
    ),
    "azure-native:storage:BlobContainer": (
        "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}"
    ),
    "azure-native:storage:ManagementPolicy": (
        "Microsoft.Storage/storageAccounts/{accountName}/managementPolicies/{managementPolicyName}"
    ),
    "azure-native:privatedns:PrivateZone": "Microsoft.Network/privateDnsZones/{privateZoneName}",
    "azure-native:privatedns:VirtualNetworkLink": (
        "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}"
    ),
    "azure-native:dbforpostgresql:Server": "Microsoft.DBforPostgreSQL/flexibleServers/{serverName}",
    "azure-native:dbforpostgresql:Configuration": (
        "Microsoft.DBforPostgreSQL/flexibleServers/{serverName}/configurations/{configurationName}"
    ),
    "azure-native:dbforpostgresql:Database": (
        "Microsoft.DBforPostgreSQL/flexibleServers/{serverName}/databases/{databaseName}"
    ),
    "azure-native:keyvault:Vault": "Microsoft.KeyVault/vaults/{vaultName}",
    "azure-native:keyvault:Secret": "Microsoft.KeyVault/vaults/{vaultName}/secrets/{secretName}",
    "azure-native:containerregistry:Registry": "Microsoft.ContainerRegistry/registries/{registryName}",
    "azure-native:managedidentity:UserAssignedIdentity": (
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}"
    ),
    "azure-native:managedidentity:FederatedIdentityCredential": (
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}"
        "/federatedIdentityCredentials/{federatedIdentityCredentialResourceName}"
    ),
    "azure-native:containerservice:ManagedCluster": "Microsoft.ContainerService/managedClusters/{resourceName}",
    "azure-native:containerservice:AgentPool": (
        "Microsoft.ContainerService/managedClusters/{resourceName}/agentPools/{agentPoolName}"
    ),
    "azure-native:containerservice:MaintenanceConfiguration": (
        "Microsoft.ContainerService/managedClusters/{resourceName}/maintenanceConfigurations/{configName}"
    ),
    "azure-native:operationalinsights:Workspace": "Microsoft.OperationalInsights/workspaces/{workspaceName}",
    "azure-native:monitor:DataCollectionRule": "Microsoft.Insights/dataCollectionRules/{dataCollectionRuleName}",
}


def default_state(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """Every ARM resource comes back with its full resource ID and the name Azure gave it."""
    inputs = args.inputs
    if args.typ == "azure-native:resources:ResourceGroup":
        return {"__id": _group(inputs), "name": inputs["resourceGroupName"]}
    if args.typ == "azure-native:authorization:RoleAssignment":
        name = inputs["roleAssignmentName"]
        return {"__id": f"{inputs['scope']}/providers/Microsoft.Authorization/roleAssignments/{name}", "name": name}
    if args.typ == "azure-native:monitor:DiagnosticSetting":
        name = inputs["name"]
        return {"__id": f"{inputs['resourceUri']}/providers/Microsoft.Insights/diagnosticSettings/{name}"}
    if args.typ == "azure-native:monitor:DataCollectionRuleAssociation":
        name = inputs["associationName"]
        return {"__id": f"{inputs['resourceUri']}/providers/Microsoft.Insights/dataCollectionRuleAssociations/{name}"}
    path = ARM_PATHS.get(args.typ)
    if path is None:
        return {}
    name_key = path.rsplit("{", 1)[1].rstrip("}")
    name = inputs.get(name_key, args.name)
    return {"__id": f"{_group(inputs)}/providers/{path.format_map({**inputs, name_key: name})}", "name": name}


def _identity(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {
        "principalId": mock_guid("principal", args.name),
        "clientId": mock_guid("client", args.name),
        "tenantId": TENANT_ID,
    }


def _cluster(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = args.inputs["resourceName"]
    location = args.inputs.get("location", "westeurope")
    node_group = args.inputs.get("nodeResourceGroup", f"MC_{name}")
    kubelet = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{node_group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}-agentpool"  # noqa: E501
    return {
        "fqdn": f"{name}-k8s4x2q1.hcp.{location}.azmk8s.io",
        "privateFQDN": f"{name}-k8s4x2q1.privatelink.{location}.azmk8s.io",
        "oidcIssuerProfile": {
            "enabled": True,
            "issuerURL": f"https://{location}.oic.prod-aks.azure.com/{TENANT_ID}/{mock_guid('oidc', name)}/",
        },
        "identityProfile": {
            "kubeletidentity": {
                "clientId": mock_guid("kubelet-client", name),
                "objectId": mock_guid("kubelet-object", name),
                "resourceId": kubelet,
            }
        },
        # Azure answers the list of identity IDs given on input with a map of ID -> its principal.
        "identity": {
            "type": "UserAssigned",
            "userAssignedIdentities": {
                resource_id: {
                    "clientId": mock_guid("client", resource_id),
                    "principalId": mock_guid("principal", resource_id),
                }
                for resource_id in (args.inputs.get("identity") or {}).get("userAssignedIdentities", [])
            },
        },
        "provisioningState": "Succeeded",
        "powerState": {"code": "Running"},
    }


def _postgres(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"fullyQualifiedDomainName": f"{args.inputs['serverName']}.postgres.database.azure.com", "state": "Ready"}


def _vault(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    properties = dict(args.inputs.get("properties") or {})
    properties["vaultUri"] = f"https://{args.inputs['vaultName']}.vault.azure.net/"
    return {"properties": properties}


def _registry(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"loginServer": f"{args.inputs['registryName'].lower()}.azurecr.io"}


def _storage_account(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    account = args.inputs["accountName"]
    return {"primaryEndpoints": {"blob": f"https://{account}.blob.core.windows.net/"}}


RESOURCES: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = {
    "azure-native:managedidentity:UserAssignedIdentity": _identity,
    "azure-native:containerservice:ManagedCluster": _cluster,
    "azure-native:dbforpostgresql:Server": _postgres,
    "azure-native:keyvault:Vault": _vault,
    "azure-native:containerregistry:Registry": _registry,
    "azure-native:storage:StorageAccount": _storage_account,
}


def _client_config(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    return {
        "clientId": DEPLOYER_CLIENT_ID,
        "objectId": DEPLOYER_OBJECT_ID,
        "subscriptionId": SUBSCRIPTION_ID,
        "tenantId": TENANT_ID,
    }


def user_kubeconfig(cluster: str, location: str = "westeurope") -> str:
    """The kubeconfig AKS returns for an Entra ID cluster: kubelogin exec plugin in device-code mode."""
    server = f"https://{cluster}-k8s4x2q1.hcp.{location}.azmk8s.io:443"
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"certificate-authority-data": "LS0tLS1tb2Nr", "server": server}}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": f"clusterUser_{cluster}"}}],
        "current-context": cluster,
        "users": [
            {
                "name": f"clusterUser_{cluster}",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        "args": [
                            "get-token", "--environment", "AzurePublicCloud", "--server-id", AKS_AAD_SERVER_ID,
                            "--client-id", "80faf920-1908-4b52-b5ef-a8e7bedfc67a", "--tenant-id", TENANT_ID,
                            "--login", "devicecode",
                        ],
                        "interactiveMode": "IfAvailable",
                    }
                },
            }
        ],
    }  # fmt: skip
    return yaml.safe_dump(document, sort_keys=False)


def _user_credentials(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    encoded = base64.b64encode(user_kubeconfig(args.args["resourceName"]).encode()).decode()
    return {"kubeconfigs": [{"name": "clusterUser", "value": encoded}]}


CALLS: dict[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]] = {
    "azure-native:authorization:getClientConfig": _client_config,
    "azure-native:containerservice:listManagedClusterUserCredentials": _user_credentials,
}
