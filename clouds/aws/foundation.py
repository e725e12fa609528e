"""The AWS foundation: composes network, cluster, capacity, storage, database, registry, secrets and identities,
and fills the contract the Kubernetes platform layer reads."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from clouds.aws.capacity import SYSTEM_POOL_LABEL, Capacity, CapacityArgs
from clouds.aws.cluster import (
    DEFAULT_STORAGE_CLASS,
    Cluster,
    ClusterAddons,
    ClusterAddonsArgs,
    ClusterArgs,
    TeamAccess,
)
from clouds.aws.database import Postgres, PostgresArgs
from clouds.aws.iam import Statement, lookup_partition
from clouds.aws.identity import (
    POD_IDENTITY_AGENT,
    WorkloadRole,
    WorkloadRoleArgs,
    load_balancer_controller_policy,
    s3_prefix_access,
    secrets_read,
)
from clouds.aws.kms import log_group_key
from clouds.aws.network import Network, NetworkArgs
from clouds.aws.registry import Registry, RegistryArgs
from clouds.aws.secrets import Secrets, SecretsArgs
from clouds.aws.storage import ArtifactBucket, ArtifactBucketArgs, access_log_bucket_name
from clouds.common import kubernetes_provider, system_pool_placement
from clouds.contract import (
    Autoscaling,
    Ingress,
    KarpenterInputs,
    KedaSource,
    LoadBalancerProvisioner,
    NodeAutoscalerKind,
    PlatformContract,
    SecretStore,
    SecretStoreKind,
    Workload,
    WorkloadIdentity,
    Workloads,
    provided_secret_keys,
    team_kubernetes_group,
    workload_access,
)
from config import ConfigError, Problem, StackConfig
from config.aws import AwsSettings
from config.teams import team_is_protected

DATABASE_PASSWORD = "database-password"


class AwsFoundation(pulumi.ComponentResource):
    contract: PlatformContract
    stack_outputs: Mapping[str, pulumi.Input[object]]

    def __init__(self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:Foundation", name, None, opts)
        settings = config.cloud
        assert isinstance(settings, AwsSettings)
        region = settings.region

        # An explicit provider: the region comes from the stack file, never from the deployer's shell.
        provider = aws.Provider(
            f"{name}-provider",
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=config.common_tags()),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_aws = pulumi.ResourceOptions(parent=self, providers=[provider])
        # aws, aws-cn or aws-us-gov: every ARN and partition-specific principal below is built from it.
        partition = lookup_partition(pulumi.InvokeOptions(parent=self, provider=provider))
        # Asked of AWS before anything is declared: access entries for roles that cannot exist fail deep into
        # `pulumi up` (CreateAccessEntry rejects unknown principals), so they are refused here with the key named.
        caller = aws.get_caller_identity(opts=pulumi.InvokeOptions(parent=self, provider=provider))
        account_id = caller.account_id
        principal_problems = principals_outside_the_account(
            caller.arn, account_id, partition.name, settings.admin_role_arns, [t.identity_group for t in config.teams]
        )
        if principal_problems:
            raise ConfigError(f"Pulumi.{pulumi.get_stack()}.yaml", principal_problems)
        zones = aws.get_availability_zones(
            state="available",
            region=region,
            filters=[aws.GetAvailabilityZonesFilterArgs(name="zone-type", values=["availability-zone"])],
            opts=pulumi.InvokeOptions(parent=self, provider=provider),
        ).names
        if len(zones) < settings.availability_zones:
            raise ConfigError(
                f"Pulumi.{pulumi.get_stack()}.yaml",
                [Problem("aws.availabilityZones", f"got {settings.availability_zones}; {region} offers {len(zones)}")],
            )
        zones = zones[: settings.availability_zones]

        cluster_name = config.resource_name("eks")
        # Outside dev every log group (control plane, flow logs, database) is encrypted with the stack's own key.
        log_key = (
            None
            if config.is_dev
            else log_group_key(
                "logs-key", config.resource_name("logs"), account_id, region, partition, self, provider
            ).arn
        )
        network = Network(
            "network",
            NetworkArgs(
                name=config.resource_name("vpc"),
                cidr=str(config.network.cidr),
                zones=zones,
                subnets=settings.subnet_plan(config.network.cidr),
                nat_gateway_per_zone=settings.nat_gateway_per_az,
                cluster_name=cluster_name,
                flow_log_retention_days=config.network.flow_log_retention_days,
                region=region,
                account_id=account_id,
                partition=partition,
                flow_log_aggregation_seconds=settings.flow_log_aggregation_seconds,
                log_key_arn=log_key,
            ),
            on_aws,
        )
        cluster = Cluster(
            "cluster",
            ClusterArgs(
                name=cluster_name,
                kubernetes_version=config.cluster.kubernetes_version,
                region=region,
                partition=partition,
                subnet_ids=network.private_subnet_ids,
                service_cidr=str(config.network.service_cidr),
                endpoint_allow_list=[str(c) for c in config.cluster.endpoint_allow_list],
                private_api_clients=[str(config.network.cidr)] if config.cluster.deployer_in_network else [],
                admin_role_arns=settings.admin_role_arns,
                team_access=[TeamAccess(t.name, t.identity_group, team_kubernetes_group(t)) for t in config.teams],
                # The audit trail ages out with the flow logs unless the stack keeps it longer (production does).
                log_retention_days=settings.control_plane_log_retention_days or config.network.flow_log_retention_days,
                protect=config.protect,
                control_plane_logs=settings.control_plane_logs,
                log_key_arn=log_key,
            ),
            on_aws,
        )
        capacity = Capacity(
            "capacity",
            CapacityArgs(
                cluster=cluster,
                subnet_ids=network.private_subnet_ids,
                system_pool=config.node_pools.system,
                account_id=account_id,
                region=region,
                partition=partition,
                karpenter=config.components.node_autoscaler.enabled,
            ),
            on_aws,
        )
        kubernetes = kubernetes_provider(name, cluster.kubeconfig, parent=self)
        addons = ClusterAddons(
            "addons",
            ClusterAddonsArgs(
                cluster=cluster,
                account_id=account_id,
                partition=partition,
                kubernetes_provider=kubernetes,
                nodes=[capacity.system_nodes],
            ),
            on_aws,
        )

        artifact_bucket = f"{config.resource_name('artifacts')}-{account_id}-{region}"
        artifacts = ArtifactBucket(
            "artifacts",
            ArtifactBucketArgs(
                bucket_name=artifact_bucket,
                access_log_bucket_name=access_log_bucket_name(
                    artifact_bucket, f"{config.resource_name('logs')}-{account_id}-{region}"
                ),
                key_alias=config.resource_name("artifacts"),
                account_id=account_id,
                settings=config.object_store,
                region=region,
                protect=config.protect,
            ),
            on_aws,
        )
        postgres = Postgres(
            "postgres",
            PostgresArgs(
                identifier=config.resource_name("mlflow"),
                settings=config.database,
                instance_class=settings.database_instance_class,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                client_security_group_id=cluster.security_group_id,
                keep_final_snapshot=not config.is_dev,
                protect=config.protect,
                log_retention_days=config.network.flow_log_retention_days,
                log_key_arn=log_key,
                enhanced_monitoring=not config.is_dev,
                partition=partition,
            ),
            on_aws,
        )
        registry = Registry(
            "registry",
            RegistryArgs(
                repository_name=f"{config.name_prefix}-{config.environment.value}/models",
                untagged_expiry_days=7,
                keep_tagged_images=200,
                protect=config.protect,
            ),
            on_aws,
        )
        secrets = Secrets(
            "secrets",
            SecretsArgs(
                path=f"{config.name_prefix}/{config.environment.value}",
                given={DATABASE_PASSWORD: postgres.password},
                recovery_window_days=0 if config.is_dev else 30,
                region=region,
                protect=config.protect,
            ),
            on_aws,
        )

        # Every workload gets its own role with exactly what it touches (the shared table in clouds/contract.py),
        # and, like there, only a workload the stack installs gets one: the controller comes with the gateway.
        bucket_arn, bucket_key = artifacts.bucket.arn, artifacts.key.arn
        policies: dict[Workload, list[Statement]] = {}
        # The LBC is installed only where the gateway is published (k8s_platform/gateway.py): no role otherwise.
        if config.components.gateway.enabled and config.dns.publishes_uis:
            policies[Workloads.AWS_LOAD_BALANCER_CONTROLLER] = load_balancer_controller_policy(partition)
        for workload, access in workload_access(
            config.object_store.artifact_prefix, config.components, config.teams
        ).items():
            statements = policies.setdefault(workload, [])
            if access.artifact_prefixes:
                statements += s3_prefix_access(
                    bucket_arn, access.artifact_prefixes, bucket_key, region, partition, write=access.writes_artifacts
                )
            if access.reads_platform_secrets:
                # The deployer's own secrets (SSO client secret, repository tokens) by name: Secrets Manager
                # appends six random characters to every secret's ARN.
                provided = [
                    pulumi.Output.concat(
                        f"arn:{partition.name}:secretsmanager:{region}:", account_id, f":secret:{key}-??????"
                    )
                    for key in provided_secret_keys(config.components, config.dns)
                ]
                statements += secrets_read([*secrets.secret_arns, *provided], secrets.key.arn, region, partition)
        # A team's role is protected like its namespace: removing the team is refused until `forceRemove`.
        protected = {Workloads.team(t.name): team_is_protected(t, config.protect) for t in config.teams}
        identities: dict[str, WorkloadIdentity] = {}
        for workload, statements in policies.items():
            role = WorkloadRole(
                f"identity-{workload.name}",
                WorkloadRoleArgs(
                    cluster_name=cluster.eks.name,
                    cluster_arn=cluster.arn,
                    account_id=account_id,
                    workload=workload,
                    statements=statements,
                ),
                pulumi.ResourceOptions.merge(on_aws, pulumi.ResourceOptions(protect=protected.get(workload))),
            )
            assert role.identity is not None
            identities[workload.name] = role.identity
        karpenter = capacity.karpenter
        if karpenter:
            assert karpenter.controller.identity is not None
            identities[Workloads.KARPENTER.name] = karpenter.controller.identity

        self.contract = PlatformContract(
            cloud="aws",
            cluster_name=cluster.eks.name,
            kubernetes_provider=kubernetes,
            kubernetes_version=config.cluster.kubernetes_version,
            kubeconfig=cluster.kubeconfig,
            artifact_store=artifacts.artifact_store,
            database=postgres.database,
            identities=identities,
            autoscaling=Autoscaling(
                nodes=NodeAutoscalerKind.KARPENTER,
                keda=KedaSource.HELM,
                karpenter=KarpenterInputs(
                    cluster_name=cluster.eks.name,
                    cluster_endpoint=cluster.endpoint,
                    interruption_queue_name=karpenter.interruption_queue.name,
                    node_role_name=karpenter.node_role.name,
                    discovery_tag_value=cluster_name,
                    ami_alias=settings.karpenter_ami_alias,
                    cpu_pool=config.node_pools.cpu_spot,
                    gpu_pool=config.node_pools.gpu_spot,
                    node_access=karpenter.node_access,
                ),
            )
            if karpenter
            # Without Karpenter the cluster is its system node group, at the size the stack file gives it.
            else Autoscaling(nodes=NodeAutoscalerKind.NONE, keda=KedaSource.HELM),
            ingress=Ingress(
                load_balancer=LoadBalancerProvisioner.AWS_LOAD_BALANCER_CONTROLLER,
                service_annotations=gateway_service_annotations(public=config.dns.domain is not None),
                load_balancer_controller_settings={
                    "clusterName": cluster.eks.name,
                    "region": region,
                    "vpcId": network.vpc_id,
                },
            ),
            secret_store=SecretStore(
                kind=SecretStoreKind.AWS_SECRETS_MANAGER,
                provider=secrets.provider,
                secret_keys=secrets.secret_keys,
            ),
            default_storage_class=DEFAULT_STORAGE_CLASS,
            registry_url=registry.url,
            cluster_ready=[capacity.system_nodes, *cluster.networking_addons, *addons.addons],
            identity_endpoints=[POD_IDENTITY_AGENT],
            node_local_dns=None,  # EKS runs no node-local DNS cache unless one is installed: CoreDNS pods answer
            # Platform controllers belong on the on-demand system node group, never on spot capacity.
            platform_placement=system_pool_placement(config.node_pools.system, SYSTEM_POOL_LABEL),
        )
        outputs: dict[str, pulumi.Input[object]] = {
            "region": region,
            "vpcId": network.vpc_id,
            "clusterEndpoint": cluster.endpoint,
            "artifactBucket": artifacts.bucket.bucket,
            "registryUrl": registry.url,
            "secretNames": list(secrets.secret_keys.values()),
        }
        if karpenter:
            outputs["karpenterInterruptionQueue"] = karpenter.interruption_queue.name
        self.stack_outputs = outputs
        self.register_outputs(outputs)


def gateway_service_annotations(public: bool) -> dict[str, str]:
    """The shared Gateway's Service becomes an NLB provisioned by the AWS Load Balancer Controller.

    IP targets send traffic straight to the gateway pods; without a public domain the NLB stays internal.
    """
    return {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" if public else "internal",
        "service.beta.kubernetes.io/aws-load-balancer-attributes": "load_balancing.cross_zone.enabled=true",
    }


def principals_outside_the_account(
    caller_arn: str, account_id: str, partition: str, admin_role_arns: Sequence[str], team_role_arns: Sequence[str]
) -> list[Problem]:
    """Access-entry principals EKS would reject or that collide, each with its stack-file key.

    EKS access entries name IAM roles of the cluster's account (CreateAccessEntry rejects principals that do not
    exist there) in the cluster's partition. The identity running `pulumi up` already gets cluster-admin from
    the bootstrap entry (`bootstrap_cluster_creator_admin_permissions`); a second entry for it fails with
    ResourceInUseException. An assumed-role ARN (`arn:aws:sts::<account>:assumed-role/<name>/<session>`) drops
    the role's path, so the deployer is recognised by account and role name.
    """
    deployer = re.match(r"^arn:[a-z-]+:sts::(\d{12}):assumed-role/([^/]+)/", caller_arn)
    problems: list[Problem] = []
    for key, arns in (("aws.adminRoleArns", admin_role_arns), ("teams", team_role_arns)):
        for index, arn in enumerate(arns):
            field = f"{key}.{index}" if key == "aws.adminRoleArns" else f"teams.{index}.identityGroup"
            arn_partition, arn_account, name = arn.split(":")[1], arn.split(":")[4], arn.rsplit("/", 1)[-1]
            if arn_partition != partition:
                problems.append(Problem(field, f"got {arn}; the stack deploys into the {partition} partition"))
            elif arn_account != account_id:
                problems.append(
                    Problem(
                        field,
                        f"got a role in account {arn_account}; the stack deploys into account {account_id}, and EKS "
                        "access entries take only roles that exist there (create the role first, see docs/aws.md)",
                    )
                )
            elif key == "aws.adminRoleArns" and deployer and deployer.groups() == (account_id, name):
                problems.append(
                    Problem(
                        field,
                        f"{arn} runs this pulumi up and is already cluster admin through EKS's bootstrap access "
                        "entry; a second entry for it fails (ResourceInUseException): remove it from the list",
                    )
                )
    return problems
