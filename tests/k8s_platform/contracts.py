"""Hand-made contracts in the shape of each cloud's foundation, so the platform layer is tested on every
flavour while the foundations are still being written. Each builder runs inside a Pulumi program."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import (
    ArtifactStore,
    ArtifactStoreKind,
    Autoscaling,
    Database,
    Ingress,
    KarpenterInputs,
    KedaSource,
    LoadBalancerProvisioner,
    NodeAutoscalerKind,
    PlatformContract,
    PodPlacement,
    SecretStore,
    SecretStoreKind,
    Workload,
    WorkloadIdentity,
    Workloads,
)
from config.model import Components, CpuSpotNodePool, Dns, Environment, GpuSpotNodePool
from k8s_platform import MlopsPlatform, MlopsPlatformArgs
from offline.harness import StackRun, run_program

DATABASE_PASSWORD = "contract-database-password-7f3a"
"""The foundation's generated database password; it must reach a Kubernetes Secret and nothing else."""
DOMAIN = "ml.example.com"
AKS_SPOT_TOLERATION = {
    "key": "kubernetes.azure.com/scalesetpriority",
    "operator": "Equal",
    "value": "spot",
    "effect": "NoSchedule",
}
AKS_SYSTEM_POOL = PodPlacement(
    tolerations=[{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}],
    preferred_node_labels={"kubernetes.azure.com/mode": "system"},
)
EKS_SYSTEM_POOL = PodPlacement(preferred_node_labels={"mlops-platform/pool": "system"})
SSO_DNS = Dns(
    domain=DOMAIN,
    acme_email="platform@example.com",
    sso={"issuer": "https://login.example.com/realms/mlops", "clientId": "mlops-platform"},
)


def role_arn(workload: Workload) -> str:
    return f"arn:aws:iam::123456789012:role/mlops-dev-{workload.name}"


def aws_identities() -> dict[str, WorkloadIdentity]:
    return {
        w.name: WorkloadIdentity(w, {"eks.amazonaws.com/role-arn": role_arn(w)}, principal=role_arn(w))
        for w in Workloads.all()
    }


def azure_identities() -> dict[str, WorkloadIdentity]:
    return {
        w.name: WorkloadIdentity(
            w,
            {"azure.workload.identity/client-id": f"00000000-0000-0000-0000-{abs(hash(w.name)) % 10**12:012d}"},
            {"azure.workload.identity/use": "true"},
        )
        for w in Workloads.all()
    }


def gcp_identities() -> dict[str, WorkloadIdentity]:
    return {
        w.name: WorkloadIdentity(
            w, {"iam.gke.io/gcp-service-account": f"{w.name[:28]}@mlops-dev.iam.gserviceaccount.com"}
        )
        for w in Workloads.all()
    }


def _database(host: str) -> Database:
    return Database(
        host=host, port=5432, name="mlflow", user="mlflow", password=pulumi.Output.secret(DATABASE_PASSWORD)
    )


def _provider(cluster_ready: list[pulumi.Resource]) -> k8s.Provider:
    return k8s.Provider("cluster", kubeconfig="{}", opts=pulumi.ResourceOptions(depends_on=cluster_ready))


def aws_karpenter_contract() -> PlatformContract:
    """EKS-like: S3 + IRSA, Karpenter nodes, Helm KEDA, AWS Load Balancer Controller, Secrets Manager."""
    system_nodes = k8s.core.v1.ConfigMap("system-node-group", data={})  # stands in for the managed node group
    return PlatformContract(
        cloud="aws",
        cluster_name="mlops-dev",
        kubernetes_provider=_provider([system_nodes]),
        kubernetes_version="1.34",
        kubeconfig=pulumi.Output.secret("{}"),
        artifact_store=ArtifactStore(
            kind=ArtifactStoreKind.S3,
            bucket="mlops-dev-artifacts",
            prefix="mlflow",
            uri=pulumi.Output.from_input("s3://mlops-dev-artifacts/mlflow"),
            region="eu-west-1",
        ),
        database=_database("mlops-dev.cluster-abc.eu-west-1.rds.amazonaws.com"),
        identities=aws_identities(),
        autoscaling=Autoscaling(
            nodes=NodeAutoscalerKind.KARPENTER,
            keda=KedaSource.HELM,
            karpenter=KarpenterInputs(
                cluster_name="mlops-dev",
                cluster_endpoint="https://ABC.gr7.eu-west-1.eks.amazonaws.com",
                interruption_queue_name="mlops-dev-karpenter",
                node_role_name="mlops-dev-karpenter-node",
                discovery_tag_value="mlops-dev",
                ami_alias="al2023@v20261101",
                cpu_pool=CpuSpotNodePool(disk_size_gb=50),
                gpu_pool=GpuSpotNodePool(disk_size_gb=200),
            ),
        ),
        ingress=Ingress(
            load_balancer=LoadBalancerProvisioner.AWS_LOAD_BALANCER_CONTROLLER,
            service_annotations={"service.beta.kubernetes.io/aws-load-balancer-type": "external"},
            load_balancer_controller_settings={"clusterName": "mlops-dev", "region": "eu-west-1", "vpcId": "vpc-1"},
        ),
        secret_store=SecretStore(
            kind=SecretStoreKind.AWS_SECRETS_MANAGER,
            provider={"aws": {"service": "SecretsManager", "region": "eu-west-1"}},
            secret_keys={"grafana-admin-password": "mlops-dev/grafana-admin-password"},
        ),
        default_storage_class="gp3",
        cluster_ready=[system_nodes],
        platform_placement=EKS_SYSTEM_POOL,
    )


def azure_contract() -> PlatformContract:
    """AKS-like: Blob storage + workload identity, cluster autoscaler, the KEDA add-on, managed GPU driver."""
    return PlatformContract(
        cloud="azure",
        cluster_name="mlops-dev",
        kubernetes_provider=_provider([]),
        kubernetes_version="1.34",
        kubeconfig=pulumi.Output.secret("{}"),
        artifact_store=ArtifactStore(
            kind=ArtifactStoreKind.AZURE_BLOB,
            bucket="artifacts",
            prefix="mlflow",
            uri=pulumi.Output.from_input("wasbs://artifacts@mlopsdev.blob.core.windows.net/mlflow"),
            account_name="mlopsdev",
        ),
        database=_database("mlops-dev.postgres.database.azure.com"),
        identities=azure_identities(),
        autoscaling=Autoscaling(
            nodes=NodeAutoscalerKind.CLUSTER_AUTOSCALER,
            keda=KedaSource.MANAGED_ADDON,
            gpu_device_plugin_managed=True,
            spot_tolerations=[AKS_SPOT_TOLERATION],
        ),
        ingress=Ingress(load_balancer=LoadBalancerProvisioner.CLOUD),
        secret_store=SecretStore(
            kind=SecretStoreKind.AZURE_KEY_VAULT,
            provider={"azurekv": {"authType": "WorkloadIdentity", "vaultUrl": "https://mlops-dev.vault.azure.net"}},
        ),
        default_storage_class="managed-csi",
        platform_placement=AKS_SYSTEM_POOL,
    )


def gcp_contract() -> PlatformContract:
    """GKE-like: GCS + Workload Identity, node auto-provisioning, no KEDA, managed GPU driver."""
    return PlatformContract(
        cloud="gcp",
        cluster_name="mlops-dev",
        kubernetes_provider=_provider([]),
        kubernetes_version="1.34",
        kubeconfig=pulumi.Output.secret("{}"),
        artifact_store=ArtifactStore(
            kind=ArtifactStoreKind.GCS,
            bucket="mlops-dev-artifacts",
            prefix="mlflow",
            uri=pulumi.Output.from_input("gs://mlops-dev-artifacts/mlflow"),
        ),
        database=_database("10.20.0.5"),
        identities=gcp_identities(),
        autoscaling=Autoscaling(
            nodes=NodeAutoscalerKind.NODE_AUTO_PROVISIONING, keda=KedaSource.NONE, gpu_device_plugin_managed=True
        ),
        ingress=Ingress(load_balancer=LoadBalancerProvisioner.CLOUD),
        secret_store=SecretStore(
            kind=SecretStoreKind.GCP_SECRET_MANAGER,
            provider={"gcpsm": {"projectID": "mlops-dev"}},
        ),
        default_storage_class="standard-rwo",
    )


FLAVOURS: dict[str, Callable[[], PlatformContract]] = {
    "aws-karpenter": aws_karpenter_contract,
    "azure-blob-keda-addon": azure_contract,
    "gcs-nap": gcp_contract,
}

_runs: dict[tuple[str, str], StackRun] = {}


def platform_run(
    flavour: str,
    dns: Dns = SSO_DNS,
    components: Components | None = None,
    environment: Environment = Environment.DEV,
) -> StackRun:
    """MlopsPlatform alone on a hand-made contract, under the shared mocks; cached per (flavour, settings)."""
    key = (flavour, f"{dns!r}{components!r}{environment}")
    if key not in _runs:

        def program() -> None:
            MlopsPlatform(
                "platform",
                MlopsPlatformArgs(
                    contract=FLAVOURS[flavour](),
                    components=components or Components(),
                    dns=dns,
                    environment=environment,
                ),
            )

        stack = flavour if environment == Environment.DEV else f"{flavour}-{environment.value}"
        _runs[key] = run_program(program, stack=stack)
    return _runs[key]
