"""The Azure foundation: composes network, AKS, node pools, Blob storage, Postgres, Key Vault, ACR and
workload identities, and fills the platform contract from them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from clouds.azure.capacity import SPOT_TOLERATION, SYSTEM_POOL_LABEL, SYSTEM_TOLERATION, NodePools, NodePoolsArgs
from clouds.azure.cluster import Cluster, ClusterArgs, grant_kubeconfig_to_groups, kubeconfig
from clouds.azure.database import Postgres, PostgresArgs
from clouds.azure.identity import (
    BuiltInRole,
    Grant,
    WorkloadIdentities,
    WorkloadIdentitiesArgs,
    blob_prefix_condition,
    grant,
)
from clouds.azure.network import FlowLogArgs, Network, NetworkArgs
from clouds.azure.registry import PrivateAccess, Registry, RegistryArgs
from clouds.azure.secrets import KeyVault, KeyVaultArgs
from clouds.azure.storage import ArtifactStorage, ArtifactStorageArgs
from clouds.common import kubernetes_provider, system_pool_placement
from clouds.contract import (
    Autoscaling,
    Ingress,
    KedaSource,
    LoadBalancerProvisioner,
    NodeAutoscalerKind,
    PlatformContract,
    PlatformSecrets,
    SecretStore,
    SecretStoreKind,
    Workload,
    Workloads,
    workload_access,
)
from config import StackConfig
from config.azure import AzureSettings
from config.teams import team_is_protected

ARTIFACT_CONTAINER = "mlflow-artifacts"
DATABASE_PASSWORD_SECRET = "mlflow-database-password"
DEFAULT_STORAGE_CLASS = "managed-csi"
"""AKS's built-in default class: Azure Disk CSI, StandardSSD_LRS, WaitForFirstConsumer."""


def global_name(config: StackConfig, purpose: str, max_length: int, separator: str = "") -> str:
    """Names Azure requires to be unique worldwide (storage accounts, vaults, registries, Postgres servers):
    readable prefix plus a short hash of organisation, project, stack and purpose, so they never change."""
    seed = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}/{purpose}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:6]
    base = separator.join([config.name_prefix, config.environment.value, purpose])
    if not separator:
        base = base.replace("-", "")
    # Cut the readable part to fit; never leave a trailing separator (Key Vault rejects "--").
    head = base[: max_length - len(digest) - len(separator)].rstrip("-")
    return f"{head}{separator}{digest}"


def flow_log_retention_days(config: StackConfig) -> int:
    """`network.flowLogRetentionDays` when the stack sets it; otherwise a quarter of history outside dev,
    enough to trace an incident back, and the shared default in dev."""
    network = config.network
    if "flow_log_retention_days" in network.model_fields_set or config.is_dev:
        return network.flow_log_retention_days
    return 90


class AzureFoundation(pulumi.ComponentResource):
    contract: PlatformContract
    stack_outputs: Mapping[str, pulumi.Input[object]]

    def __init__(self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:Foundation", name, None, opts)
        azure = config.cloud
        assert isinstance(azure, AzureSettings)
        tags = config.common_tags()
        dev = config.is_dev

        provider = azure_native.Provider(
            f"{name}-provider", location=azure.location, opts=pulumi.ResourceOptions(parent=self)
        )
        child = pulumi.ResourceOptions(parent=self, providers=[provider])
        client = azure_native.authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=provider)
        )

        group = azure_native.resources.ResourceGroup(
            "resource-group",
            resource_group_name=azure.resource_group_name or config.resource_name("rg"),
            location=azure.location,
            tags=tags,
            opts=child,
        )
        placed: dict[str, Any] = {"resource_group_name": group.name, "location": azure.location, "tags": tags}

        network = Network(
            "network",
            NetworkArgs(
                name_prefix=config.resource_name("net"),
                address_space=config.network.cidr,
                node_subnet=azure.node_subnet_cidr,
                database_subnet=azure.database_subnet_cidr,
                flow_logs=FlowLogArgs(
                    storage_account_name=global_name(config, "flowlogs", 24),
                    network_watcher_resource_group=azure.network_watcher_resource_group,
                    retention_days=flow_log_retention_days(config),
                )
                if azure.flow_logs
                else None,
                **placed,
            ),
            child,
        )

        keda_addon = config.components.keda.enabled
        cluster = Cluster(
            "cluster",
            ClusterArgs(
                cluster_name=config.resource_name("aks"),
                kubernetes_version=config.cluster.kubernetes_version,
                node_subnet_id=network.node_subnet.id,
                pod_cidr=config.network.pod_cidr,
                service_cidr=config.network.service_cidr,
                system_pool=config.node_pools.system,
                authorized_ip_ranges=[str(cidr) for cidr in config.cluster.endpoint_allow_list],
                admin_group_object_ids=azure.admin_group_object_ids,
                tenant_id=client.tenant_id,
                subscription_id=client.subscription_id,
                sku_tier=azure.cluster_sku_tier or ("Free" if dev else "Standard"),
                upgrade_channel=azure.upgrade_channel,
                maintenance_window=azure.maintenance_window,
                container_insights=azure.container_insights,
                keda_addon=keda_addon,
                log_retention_days=30 if dev else 90,
                audit_logs=azure.enabled(azure.audit_logs, dev),
                defender=azure.enabled(azure.defender, dev),
                host_encryption=azure.enabled(azure.host_encryption, dev),
                zones=azure.zones_of_pools(dev),
                **placed,
            ),
            child,
        )
        pools = NodePools(
            "node-pools",
            NodePoolsArgs(
                resource_group_name=group.name,
                cluster_name=cluster.name,
                subnet_id=network.node_subnet.id,
                cpu_spot=config.node_pools.cpu_spot,
                gpu_spot=config.node_pools.gpu_spot,
                tags=tags,
                host_encryption=azure.enabled(azure.host_encryption, dev),
                zones=azure.zones_of_pools(dev),
            ),
            child,
        )

        # Blob storage and Key Vault deny every network but the node subnet and these admin ranges.
        data_plane_ranges = [str(cidr) for cidr in azure.data_plane_allow_list]
        storage = ArtifactStorage(
            "artifacts",
            ArtifactStorageArgs(
                account_name=global_name(config, "artifacts", 24),
                container_name=ARTIFACT_CONTAINER,
                settings=config.object_store,
                soft_delete_days=7 if dev else 30,
                protect=config.protect,
                allowed_subnet_ids=[network.node_subnet.id],
                allowed_ip_ranges=data_plane_ranges,
                **placed,
            ),
            child,
        )
        postgres = Postgres(
            "postgres",
            PostgresArgs(
                server_name=global_name(config, "pg", 40, separator="-"),
                vnet_id=network.vnet.id,
                subnet_id=network.database_subnet.id,
                settings=config.database,
                sku=azure.database_sku,
                tier=azure.database_tier,
                geo_redundant_backup=azure.database_geo_redundant_backup,
                zone=azure.zone_of_database(dev),
                standby_zone=azure.zone_of_standby(dev),
                log_connections=azure.enabled(azure.database_log_connections, dev),
                protect=config.protect,
                # Azure runs one operation at a time per VNet: the server joins its subnet after AKS is done.
                after_subnets=network.subnets,
                after_cluster=[cluster, pools],
                **placed,
            ),
            child,
        )
        vault = KeyVault(
            "key-vault",
            KeyVaultArgs(
                vault_name=global_name(config, "kv", 24, separator="-"),
                tenant_id=client.tenant_id,
                subscription_id=client.subscription_id,
                secrets={DATABASE_PASSWORD_SECRET: postgres.database.password},
                generated_secrets=PlatformSecrets.all(),
                officer_group_ids=azure.admin_group_object_ids,
                soft_delete_days=7 if dev else 90,
                protect=config.protect,
                allowed_subnet_ids=[network.node_subnet.id],
                allowed_ip_ranges=data_plane_ranges,
                **placed,
            ),
            child,
        )
        registry = Registry(
            "registry",
            RegistryArgs(
                registry_name=global_name(config, "acr", 50),
                sku=azure.sku_of_registry(dev),
                kubelet_object_id=cluster.kubelet_object_id,
                subscription_id=client.subscription_id,
                protect=config.protect,
                private_access=PrivateAccess(
                    vnet_id=network.vnet.id,
                    subnet_id=network.node_subnet.id,
                    after_subnets=network.subnets,
                    after_vnet_writers=[postgres.server],
                ),
                **placed,
            ),
            child,
        )

        identities = WorkloadIdentities(
            "workload-identities",
            WorkloadIdentitiesArgs(
                resource_group_name=group.name,
                location=azure.location,
                name_prefix=config.resource_name("id"),
                oidc_issuer_url=cluster.oidc_issuer_url,
                subscription_id=client.subscription_id,
                grants=_workload_grants(config, storage.container.id, vault.vault.id),
                tags=tags,
                # A team's identity is protected like its namespace: removal is refused until `forceRemove`.
                protect={Workloads.team(t.name): team_is_protected(t, config.protect) for t in config.teams},
            ),
            child,
        )

        # Whoever runs `pulumi up` must reach the API server through Entra ID to install the platform.
        deployer_admin = grant(
            "deployer-cluster-admin",
            purpose="pulumi deployer cluster admin",
            role=BuiltInRole.AKS_RBAC_CLUSTER_ADMIN,
            principal_id=client.object_id,
            scope=cluster.cluster.id,
            subscription_id=client.subscription_id,
            principal_type=azure.deployer_principal_type,
            opts=child,
        )
        # Admins and team members need a kubeconfig of their own; the cluster accepts Entra ID tokens only.
        grant_kubeconfig_to_groups(
            cluster,
            [*azure.admin_group_object_ids, *(team.identity_group for team in config.teams)],
            client.subscription_id,
            child,
        )
        cluster_kubeconfig = kubeconfig(
            cluster, group.name, azure.kubelogin_mode, pulumi.InvokeOutputOptions(parent=self, provider=provider)
        )
        kubernetes = kubernetes_provider(name, cluster_kubeconfig, parent=self, depends_on=[deployer_admin])

        external_secrets = Workloads.EXTERNAL_SECRETS
        self.contract = PlatformContract(
            cloud="azure",
            cluster_name=cluster.name,
            kubernetes_provider=kubernetes,
            kubernetes_version=config.cluster.kubernetes_version,
            kubeconfig=cluster_kubeconfig,
            artifact_store=storage.artifact_store,
            database=postgres.database,
            identities=identities.identities,
            # The managed cluster autoscaler scales the pools; KEDA is the AKS add-on, versioned with AKS.
            autoscaling=Autoscaling(
                nodes=NodeAutoscalerKind.CLUSTER_AUTOSCALER,
                keda=KedaSource.MANAGED_ADDON if keda_addon else KedaSource.NONE,
                # gpuProfile.driver=Install puts the NVIDIA driver on the node but not the device plugin.
                gpu_device_plugin_managed=False,
                spot_tolerations=[SPOT_TOLERATION],
            ),
            ingress=Ingress(load_balancer=LoadBalancerProvisioner.CLOUD),
            secret_store=SecretStore(
                kind=SecretStoreKind.AZURE_KEY_VAULT,
                provider={
                    "azurekv": {
                        "authType": "WorkloadIdentity",
                        "vaultUrl": vault.vault_uri,
                        "tenantId": client.tenant_id,
                        "serviceAccountRef": {
                            "name": external_secrets.service_account,
                            "namespace": external_secrets.namespace,
                        },
                    }
                },
                secret_keys=dict(vault.secret_names),
            ),
            default_storage_class=DEFAULT_STORAGE_CLASS,
            registry_url=registry.login_server,
            cluster_ready=[cluster, pools],
            # The system pool is tainted CriticalAddonsOnly and the user pools are spot: platform controllers
            # tolerate the former and prefer it, so they never land on (or wait for) evictable spot nodes.
            platform_placement=system_pool_placement(
                config.node_pools.system, SYSTEM_POOL_LABEL, cloud_tolerations=[SYSTEM_TOLERATION]
            ),
            # AKS's LocalDNS (localDNSProfile) is not enabled on this cluster: CoreDNS pods answer.
            node_local_dns=None,
        )
        self.stack_outputs = {
            "azureResourceGroup": group.name,
            "azureLocation": azure.location,
            "storageAccount": storage.account.name,
            "artifactContainer": storage.container.name,
            "blobEndpoint": storage.account.primary_endpoints.blob,
            "databaseFqdn": postgres.server.fully_qualified_domain_name,
            "registryLoginServer": registry.login_server,
            "keyVaultUri": vault.vault_uri,
            "oidcIssuerUrl": cluster.oidc_issuer_url,
            "workloadIdentityClientIds": {n: i.principal for n, i in identities.identities.items()},
        }
        self.register_outputs(dict(self.stack_outputs))


def _workload_grants(
    config: StackConfig, container_id: pulumi.Output[str], vault_id: pulumi.Output[str]
) -> dict[Workload, list[Grant]]:
    """The shared access table as Azure role assignments. Every blob role sits on the one artifact container
    and is narrowed by an ABAC condition to the workload's prefixes, so MLflow keeps one artifact root and a
    team still cannot read another team's files."""
    grants: dict[Workload, list[Grant]] = {}
    for workload, access in workload_access(
        config.object_store.artifact_prefix, config.components, config.teams
    ).items():
        grants[workload] = []
        if access.artifact_prefixes:
            role = (
                BuiltInRole.STORAGE_BLOB_DATA_CONTRIBUTOR
                if access.writes_artifacts
                else BuiltInRole.STORAGE_BLOB_DATA_READER
            )
            condition = blob_prefix_condition(ARTIFACT_CONTAINER, access.artifact_prefixes)
            grants[workload].append(Grant(role, container_id, "artifacts", condition=condition))
        if access.reads_platform_secrets:
            grants[workload].append(Grant(BuiltInRole.KEY_VAULT_SECRETS_USER, vault_id, "vault"))
    return grants
