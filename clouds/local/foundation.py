"""The local foundation: points at an existing cluster and fills the contract with in-cluster services."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import (
    Autoscaling,
    Flow,
    InClusterServices,
    Ingress,
    KedaSource,
    LoadBalancerProvisioner,
    NodeAutoscalerKind,
    PlatformContract,
    SecretStore,
    SecretStoreKind,
    Workloads,
)
from clouds.local.database import DATABASE_NAMESPACE, OPERATOR_PORTS, Postgres, PostgresArgs
from clouds.local.storage import S3_PORT, ObjectStore, ObjectStoreArgs
from config import StackConfig
from config.local import LocalSettings
from k8s_platform.catalog import CLOUDNATIVE_PG, SEAWEEDFS

ARTIFACT_BUCKET = "mlflow-artifacts"
OBJECT_STORE_CLIENTS = (Workloads.MLFLOW, Workloads.ARGO_WORKFLOWS, Workloads.KSERVE_INFERENCE)
"""Workloads that read or write artifacts; on a cloud they reach the store over HTTPS, here it is a pod."""


def in_cluster_services(database_port: int) -> InClusterServices:
    """The local stand-ins for managed services, and exactly who may reach them."""
    return InClusterServices(
        namespaces=[SEAWEEDFS.namespace, CLOUDNATIVE_PG.namespace, DATABASE_NAMESPACE],
        flows=[
            Flow(Workloads.MLFLOW.namespace, DATABASE_NAMESPACE, (database_port,)),
            Flow(CLOUDNATIVE_PG.namespace, DATABASE_NAMESPACE, OPERATOR_PORTS),
            *(Flow(w.namespace, SEAWEEDFS.namespace, (S3_PORT,)) for w in OBJECT_STORE_CLIENTS),
        ],
    )


class LocalFoundation(pulumi.ComponentResource):
    contract: PlatformContract
    stack_outputs: Mapping[str, pulumi.Input[object]]

    def __init__(self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:local:Foundation", name, None, opts)
        local = config.cloud
        assert isinstance(local, LocalSettings)

        provider = k8s.Provider(
            f"{name}-kubernetes",
            context=local.kubeconfig_context,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_cluster = pulumi.ResourceOptions(parent=self, providers=[provider])

        store = ObjectStore(
            "object-store",
            ObjectStoreArgs(
                bucket=ARTIFACT_BUCKET,
                prefix=config.object_store.artifact_prefix,
                storage_class=local.storage_class,
                size_gb=local.object_store_size_gb,
                protect=config.protect,
            ),
            in_cluster,
        )
        postgres = Postgres(
            "postgres",
            PostgresArgs(
                settings=config.database,
                storage_class=local.storage_class,
                size_gb=local.database_size_gb,
                protect=config.protect,
            ),
            in_cluster,
        )

        self.contract = PlatformContract(
            cloud="local",
            cluster_name=local.kubeconfig_context,
            kubernetes_provider=provider,
            kubernetes_version=config.cluster.kubernetes_version,
            kubeconfig=None,
            artifact_store=store.artifact_store,
            database=postgres.database,
            identities={},  # no cloud identities: the in-cluster store is reached with generated keys
            autoscaling=Autoscaling(nodes=NodeAutoscalerKind.NONE, keda=KedaSource.HELM),
            ingress=Ingress(load_balancer=LoadBalancerProvisioner.NONE, service_type="NodePort"),
            secret_store=SecretStore(kind=SecretStoreKind.KUBERNETES, provider={}),
            default_storage_class=local.storage_class,
            in_cluster_services=in_cluster_services(postgres.database.port),
        )
        self.stack_outputs = {
            "kubeContext": local.kubeconfig_context,
            "objectStoreEndpoint": store.artifact_store.endpoint_url,
        }
        self.register_outputs(dict(self.stack_outputs))
