"""Managed Kubernetes control planes: the API endpoint is not open to the world, and Secrets are encrypted at rest."""

from __future__ import annotations

from typing import Any

from .model import Enforcement, Resource, Rule, as_list, dig, is_open_cidr

EKS = "aws:eks/cluster:Cluster"
AKS = "azure-native:containerservice:ManagedCluster"
GKE = "gcp:container/cluster:Cluster"


def _open_to_world(cidrs: list[Any]) -> bool:
    """An allow-list that is missing (each cloud then admits every address) or contains 0.0.0.0/0 or ::/0."""
    return not cidrs or any(is_open_cidr(c) for c in cidrs)


def check_endpoint(resource: Resource) -> list[str]:
    if resource.type == EKS:
        # EKS defaults to a public endpoint open to 0.0.0.0/0 when publicAccessCidrs is left out.
        if resource.get("vpcConfig.endpointPublicAccess") is False:
            return []
        if _open_to_world(as_list(resource.get("vpcConfig.publicAccessCidrs"))):
            return [
                "EKS public endpoint is open to the world; set vpc_config.public_access_cidrs to your "
                "office/CI ranges or endpoint_public_access=False."
            ]
    elif resource.type == AKS:
        if resource.get("apiServerAccessProfile.enablePrivateCluster") is True:
            return []
        if _open_to_world(as_list(resource.get("apiServerAccessProfile.authorizedIPRanges"))):
            return [
                "AKS API server is open to the world; set api_server_access_profile.authorized_ip_ranges "
                "or enable_private_cluster=True."
            ]
    elif resource.type == GKE:
        if resource.get("privateClusterConfig.enablePrivateEndpoint") is True:
            return []
        if resource.get("controlPlaneEndpointsConfig.ipEndpointsConfig.enabled") is False:
            return []  # DNS endpoint only: every call is IAM-authorised
        # GKE without master authorized networks admits every address; an empty list in the block admits none.
        cidrs = [dig(b, "cidrBlock") for b in as_list(resource.get("masterAuthorizedNetworksConfig.cidrBlocks"))]
        if resource.get("masterAuthorizedNetworksConfig") is None or (cidrs and _open_to_world(cidrs)):
            return [
                "GKE control plane is open to the world; set master_authorized_networks_config with your "
                "ranges or private_cluster_config.enable_private_endpoint=True."
            ]
    return []


def check_secrets_encryption(resource: Resource) -> list[str]:
    if resource.type == EKS:
        configs = as_list(resource.props.get("encryptionConfig")) or [resource.props.get("encryptionConfig")]
        if not any("secrets" in as_list(dig(c, "resources")) and dig(c, "provider.keyArn") for c in configs):
            return ["EKS must set encryption_config with a KMS key and resources=['secrets']."]
    elif resource.type == GKE and (
        resource.get("databaseEncryption.state") != "ENCRYPTED" or not resource.get("databaseEncryption.keyName")
    ):
        return ["GKE must set database_encryption state='ENCRYPTED' with a Cloud KMS key_name."]
    # AKS: etcd is always encrypted at rest with platform-managed keys; Key Vault KMS is an optional extra.
    return []


CLUSTER_ENDPOINT = Rule(
    name="cluster-endpoint-not-public",
    description="The Kubernetes API endpoint is private or restricted to named CIDR ranges.",
    enforcement=Enforcement.MANDATORY,
    check=check_endpoint,
    fix="EKS: vpc_config.public_access_cidrs (or endpoint_public_access=False); AKS: api_server_access_profile."
    "authorized_ip_ranges (or enable_private_cluster); GKE: master_authorized_networks_config (or private endpoint).",
)

SECRETS_ENCRYPTED = Rule(
    name="kubernetes-secrets-encrypted",
    description="Kubernetes Secrets are envelope-encrypted at rest with a customer KMS key (EKS, GKE; AKS always "
    "encrypts etcd with platform keys).",
    enforcement=Enforcement.MANDATORY,
    check=check_secrets_encryption,
    fix="EKS: encryption_config={provider: {key_arn}, resources: ['secrets']}; GKE: database_encryption="
    "{state: 'ENCRYPTED', key_name}.",
)
