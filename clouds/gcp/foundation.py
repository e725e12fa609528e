"""The GCP foundation: composes APIs, network, GKE, node pools, bucket, Cloud SQL, registry, secrets and
identities, and fills the contract the Kubernetes platform layer reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_gcp as gcp

from clouds.common import kubernetes_provider, system_pool_placement
from clouds.contract import (
    NODE_POOL_LABEL,
    Access,
    Autoscaling,
    Ingress,
    KedaSource,
    LinkLocalEndpoint,
    LoadBalancerProvisioner,
    NodeAutoscalerKind,
    NodeLocalDns,
    PlatformContract,
    SecretStore,
    SecretStoreKind,
    Workload,
    Workloads,
    provided_secret_keys,
    workload_access,
)
from clouds.gcp.capacity import SYSTEM_POOL, GkeNodePools, GkeNodePoolsArgs
from clouds.gcp.cluster import GkeCluster, GkeClusterArgs
from clouds.gcp.database import CloudSqlPostgres, CloudSqlPostgresArgs
from clouds.gcp.identity import (
    BucketAccess,
    NodeServiceAccount,
    NodeServiceAccountArgs,
    TeamClusterAccess,
    TeamClusterAccessArgs,
    WorkloadAccess,
    WorkloadIdentities,
    WorkloadIdentitiesArgs,
    account_id,
)
from clouds.gcp.naming import BUCKET_NAME_LIMIT, bounded
from clouds.gcp.network import PODS_RANGE, SERVICES_RANGE, Network, NetworkArgs
from clouds.gcp.registry import ImageRegistry, ImageRegistryArgs
from clouds.gcp.secrets import EncryptionKeys, EncryptionKeysArgs, SecretManagerSecrets, SecretManagerSecretsArgs
from clouds.gcp.services import Api, ProjectServices, ProjectServicesArgs
from clouds.gcp.storage import ArtifactBucket, ArtifactBucketArgs
from clouds.webhooks import webhook_ports
from config import StackConfig
from config.gcp import GcpSettings
from config.teams import Team, team_is_protected

GKE_SECRETS_KEY = "gke-secrets"
ARTIFACTS_KEY = "artifacts"
DATABASE_PASSWORD = "database-password"
RRULE_DAY_NUMBER = {"MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6, "SU": 7}
METADATA_SERVER = (LinkLocalEndpoint("169.254.169.254/32", 80), LinkLocalEndpoint("169.254.169.252/32", 988))
"""Pods get Workload Identity tokens from the GKE metadata server: 169.254.169.254:80 as pods address it, and
169.254.169.252:988 where gke-metadata-server listens (what policy sees after DNAT on some dataplanes)."""
OBJECT_WRITER = "roles/storage.objectUser"
OBJECT_READER = "roles/storage.objectViewer"
DEFAULT_STORAGE_CLASS = "standard-rwo"
"""GKE's balanced persistent disk class through the Compute Engine PD CSI driver."""
GKE_CONTROL_PLANE_PORTS = frozenset({443, 10250})
"""The node ports GKE's own firewall rule opens to a private control plane ("Add firewall rules for specific use
cases", GKE private clusters documentation); webhooks on any other port need the stack's rule."""


def gcp_access(access: Mapping[Workload, Access], teams: Sequence[Team], protect: bool) -> list[WorkloadAccess]:
    """The shared access table as GCP grants: object roles on the bucket limited to each workload's prefixes.

    objectUser, not objectAdmin, for writers: with uniform bucket-level access object ACLs do not exist, and no
    workload needs to change IAM. None needs `roles/cloudsql.client`: MLflow reaches Cloud SQL on its private IP
    with a password over TLS, not through the Cloud SQL Auth Proxy.
    """
    protected = {Workloads.team(t.name): team_is_protected(t, protect) for t in teams}
    return [
        WorkloadAccess(
            workload,
            BucketAccess(OBJECT_WRITER if item.writes_artifacts else OBJECT_READER, item.artifact_prefixes)
            if item.artifact_prefixes
            else None,
            read_platform_secrets=item.reads_platform_secrets,
            protect=protected.get(workload, False),
        )
        for workload, item in access.items()
    ]


class GcpFoundation(pulumi.ComponentResource):
    contract: PlatformContract
    stack_outputs: Mapping[str, pulumi.Input[object]]

    def __init__(self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:Foundation", name, None, opts)
        settings = config.cloud
        assert isinstance(settings, GcpSettings)
        project, region, named, labels = settings.project, settings.region, config.resource_name, config.common_tags()

        provider = gcp.Provider(
            f"{name}-provider",
            project=project,
            region=region,
            default_labels=labels,
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_gcp = pulumi.ResourceOptions(parent=self, providers=[provider])
        invoke = pulumi.InvokeOutputOptions(provider=provider)

        services = ProjectServices("services", ProjectServicesArgs(project=project, agents=[Api.CONTAINER]), in_gcp)

        # Google's service agents act on the platform's keys: GKE encrypts etcd secrets, GCS new objects. GKE's
        # agent appears asynchronously after its API is enabled, so it is created explicitly before its grant.
        key_users: dict[str, list[pulumi.Input[str]]] = {GKE_SECRETS_KEY: [services.agent(Api.CONTAINER).member]}
        if settings.cmek:
            # This call itself creates the storage agent if it does not exist yet (Cloud Storage's
            # projects.serviceAccount.get), so the grant never races it.
            storage_agent = gcp.storage.get_project_service_account_output(project=project, opts=invoke)
            key_users[ARTIFACTS_KEY] = [storage_agent.member]
        keys = EncryptionKeys(
            "keys",
            EncryptionKeysArgs(
                project=project,
                region=region,
                keys=key_users,
                rotation_days=settings.kms_rotation_days,
                naming=named,
                protect=config.protect,
                depends_on=services.needs(Api.CLOUD_KMS, Api.STORAGE),
                labels=labels,
            ),
            in_gcp,
        )

        node_tag = named("nodes")
        # The platform installs KEDA from its chart here (`KedaSource.HELM` below), so its ports count.
        extra_webhook_ports = [port for port in webhook_ports(config.components) if port not in GKE_CONTROL_PLANE_PORTS]
        network = Network(
            "network",
            NetworkArgs(
                project=project,
                region=region,
                settings=config.network,
                private_services_cidr=settings.private_services_cidr,
                naming=named,
                node_tag=node_tag,
                control_plane_cidr=settings.master_cidr,
                webhook_ports=extra_webhook_ports,
                flow_log_sampling=settings.flow_log_sampling,
                depends_on=services.needs(Api.COMPUTE, Api.SERVICE_NETWORKING, Api.LOGGING),
            ),
            in_gcp,
        )
        nodes = NodeServiceAccount(
            "node-identity",
            NodeServiceAccountArgs(
                project=project,
                account_id=account_id(named("nodes")),
                depends_on=services.needs(Api.IAM, Api.RESOURCE_MANAGER),
            ),
            in_gcp,
        )

        location = region if settings.regional_cluster else settings.zones[0]
        gke = GkeCluster(
            "gke",
            GkeClusterArgs(
                cluster_name=named("gke"),
                project=project,
                location=location,
                zones=settings.zones,
                network_id=network.network.id,
                subnet_id=network.subnet.id,
                pods_range=PODS_RANGE,
                services_range=SERVICES_RANGE,
                master_cidr=settings.master_cidr,
                endpoint_allow_list=config.cluster.endpoint_allow_list,
                release_channel=settings.release_channel,
                min_version=config.cluster.kubernetes_version,
                node_service_account=nodes.email,
                secrets_key_id=keys.keys[GKE_SECRETS_KEY].id,
                autoprovisioning=settings.node_auto_provisioning,
                autoprovisioning_disk_gb=config.node_pools.cpu_spot.disk_size_gb,
                maintenance=settings.maintenance_window,
                deletion_protection=config.protect,
                network_tags=[node_tag],
                rbac_security_group=settings.rbac_security_group,
                dns_endpoint=settings.control_plane_dns_endpoint,
                depends_on=[*services.needs(Api.CONTAINER), *keys.grants[GKE_SECRETS_KEY]],
                labels=labels,
            ),
            in_gcp,
        )
        pools = GkeNodePools(
            "node-pools",
            GkeNodePoolsArgs(
                cluster_name=gke.cluster.name,
                location=gke.cluster.location,
                node_service_account=nodes.email,
                pools=config.node_pools,
                gpu_driver_version=settings.gpu_driver_version,
                network_tags=[node_tag],
                system_zones=settings.system_pool_zones,
                labels=labels,
            ),
            in_gcp,
        )

        bucket_name = bounded(f"{project}-{named('artifacts')}", BUCKET_NAME_LIMIT)
        bucket = ArtifactBucket(
            "artifacts",
            ArtifactBucketArgs(
                project=project,
                bucket_name=bucket_name,
                region=region,
                settings=config.object_store,
                protect=config.protect,
                kms_key=keys.keys[ARTIFACTS_KEY].id if settings.cmek else None,
                depends_on=[*services.needs(Api.STORAGE), *keys.grants.get(ARTIFACTS_KEY, [])],
                labels=labels,
            ),
            in_gcp,
        )

        window = settings.maintenance_window
        postgres = CloudSqlPostgres(
            "postgres",
            CloudSqlPostgresArgs(
                settings=config.database,
                project=project,
                region=region,
                tier=settings.database_tier,
                edition=settings.database_edition,
                point_in_time_recovery=settings.database_point_in_time_recovery,
                network_id=network.network.id,
                maintenance_day=RRULE_DAY_NUMBER[window.days[0]],
                maintenance_hour=int(window.start_time.split(":")[0]),
                naming=named,
                protect=config.protect,
                final_backup=not config.is_dev,
                depends_on=[*services.needs(Api.SQL_ADMIN), network.private_services],
                labels=labels,
            ),
            in_gcp,
        )

        registry = ImageRegistry(
            "registry",
            ImageRegistryArgs(
                project=project,
                region=region,
                naming=named,
                readers=[nodes.member],
                immutable_tags=not config.is_dev,
                protect=config.protect,
                depends_on=services.needs(Api.ARTIFACT_REGISTRY),
                labels=labels,
            ),
            in_gcp,
        )
        secrets = SecretManagerSecrets(
            "secrets",
            SecretManagerSecretsArgs(
                project=project,
                provided={DATABASE_PASSWORD: postgres.password},
                naming=named,
                residency_region=region if settings.data_residency else None,
                depends_on=services.needs(Api.SECRET_MANAGER),
                labels=labels,
            ),
            in_gcp,
        )
        identities = WorkloadIdentities(
            "workload-identities",
            WorkloadIdentitiesArgs(
                project=project,
                bucket=bucket_name,
                # The deployer's own secrets (SSO client secret, repository tokens) exist before `pulumi up`.
                secret_ids=[
                    *(secret.id for secret in secrets.secrets),
                    *(
                        f"projects/{project}/secrets/{key}"
                        for key in provided_secret_keys(config.components, config.dns)
                    ),
                ],
                access=gcp_access(
                    workload_access(config.object_store.artifact_prefix, config.components, config.teams),
                    config.teams,
                    config.protect,
                ),
                naming=named,
                depends_on=[*services.needs(Api.IAM, Api.IAM_CREDENTIALS), gke.cluster, bucket.bucket],
            ),
            in_gcp,
        )

        TeamClusterAccess(
            "team-cluster-access",
            TeamClusterAccessArgs(
                project=project,
                groups={team.name: team.identity_group for team in config.teams},
                depends_on=services.needs(Api.RESOURCE_MANAGER),
            ),
            in_gcp,
        )

        kubernetes = kubernetes_provider(name, gke.kubeconfig, parent=self)
        nap = settings.node_auto_provisioning
        self.contract = PlatformContract(
            cloud="gcp",
            cluster_name=gke.cluster.name,
            kubernetes_provider=kubernetes,
            kubernetes_version=config.cluster.kubernetes_version,
            kubeconfig=gke.kubeconfig,
            artifact_store=bucket.artifact_store,
            database=postgres.database,
            identities=identities.identities,
            autoscaling=Autoscaling(
                # Without auto-provisioning GKE's managed cluster autoscaler still scales the declared pools.
                nodes=NodeAutoscalerKind.NODE_AUTO_PROVISIONING
                if nap.enabled
                else NodeAutoscalerKind.CLUSTER_AUTOSCALER,
                keda=KedaSource.HELM,  # GKE has no managed KEDA
                gpu_device_plugin_managed=True,
            ),
            ingress=Ingress(load_balancer=LoadBalancerProvisioner.CLOUD),
            secret_store=SecretStore(
                kind=SecretStoreKind.GCP_SECRET_MANAGER,
                # With no `auth`, External Secrets uses its controller's own Workload Identity (bound above).
                provider={"gcpsm": {"projectID": project}},
                secret_keys=secrets.secret_keys,
            ),
            default_storage_class=DEFAULT_STORAGE_CLASS,
            registry_url=registry.url,
            # In-cluster workloads need somewhere to run, and webhooks need the control plane to reach them.
            cluster_ready=[pools.system, *([network.webhook_firewall] if network.webhook_firewall else [])],
            identity_endpoints=METADATA_SERVER,
            node_local_dns=NodeLocalDns(),  # the cluster enables NodeLocal DNSCache (cluster.py)
            platform_placement=system_pool_placement(config.node_pools.system, {NODE_POOL_LABEL: SYSTEM_POOL}),
            # GKE runs the control plane outside the cluster, and Dataplane V2 replaces kube-proxy.
            control_plane_metrics=False,
        )
        self.stack_outputs = {
            "gcpProject": project,
            "gcpRegion": region,
            "artifactBucket": bucket.bucket.name,
            "databasePrivateIp": postgres.instance.private_ip_address,
            "databaseConnectionName": postgres.instance.connection_name,
            "registryUrl": registry.url,
            "nodeServiceAccount": nodes.email,
        }
        self.register_outputs(dict(self.stack_outputs))
