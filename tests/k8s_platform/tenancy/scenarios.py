"""`Tenancy` run under mocks on contracts built here, so its behaviour is tested apart from any foundation.

Two scenarios, each evaluated once per session: a cloud-like dev cluster (identities with annotations and pod
labels, a registry, Pod Identity's link-local agent) and a production one with enforcing admission.
"""

from __future__ import annotations

from functools import cache

import pulumi
import pulumi_kubernetes as k8s

from clouds.aws.identity import POD_IDENTITY_AGENT
from clouds.contract import (
    ArtifactStore,
    ArtifactStoreKind,
    Autoscaling,
    Database,
    Ingress,
    KedaSource,
    LoadBalancerProvisioner,
    NodeAutoscalerKind,
    PlatformContract,
    PodPlacement,
    SecretStore,
    SecretStoreKind,
    WorkloadIdentity,
    Workloads,
)
from config.model import Environment
from config.operations import Admission, AdmissionMode, Loki, OpenCost, Operations
from config.teams import Team, TeamQuota
from k8s_platform.placement import PlatformPods
from k8s_platform.priorities import PriorityClasses
from k8s_platform.tenancy import PlatformNamespaces, PlatformServices, Tenancy, TenancyArgs
from offline.harness import StackRun, run_program

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
TEAMS = (
    Team(
        name="vision",
        identity_group="arn:aws:iam::123456789012:role/vision-team",
        quota=TeamQuota(cpu="32", memory="128Gi", gpus=4, pods=80, storage="500Gi"),
    ),
    Team(name="nlp", identity_group="nlp-engineers", force_remove=True),
)
PLATFORM_NAMESPACES = PlatformNamespaces(
    names=["envoy-gateway-system", "monitoring", "mlflow", "argo", "models", "kserve", "cert-manager"],
    gateway="envoy-gateway-system",
    monitoring="monitoring",
    routed=["mlflow", "argo", "monitoring", "models"],
)


def team_role_arn(team: str) -> str:
    return f"arn:aws:iam::123456789012:role/mlops-dev-team-{team}"


def _contract() -> PlatformContract:
    provider = k8s.Provider("cluster", kubeconfig="{}")
    identities = {
        Workloads.team(t.name).name: WorkloadIdentity(
            Workloads.team(t.name),
            service_account_annotations={"eks.amazonaws.com/role-arn": team_role_arn(t.name)},
            pod_labels={"example.com/identity": "true"},
        )
        for t in TEAMS
    }
    return PlatformContract(
        cloud="test",
        cluster_name="test-cluster",
        kubernetes_provider=provider,
        kubernetes_version="1.34",
        kubeconfig=None,
        artifact_store=ArtifactStore(
            kind=ArtifactStoreKind.S3, bucket="artifacts", prefix="mlflow", uri=pulumi.Output.from_input("s3://a/m")
        ),
        database=Database(
            host="db.internal", port=5432, name="mlflow", user="mlflow", password=pulumi.Output.secret("x")
        ),
        identities=identities,
        autoscaling=Autoscaling(nodes=NodeAutoscalerKind.NONE, keda=KedaSource.NONE),
        ingress=Ingress(load_balancer=LoadBalancerProvisioner.CLOUD),
        secret_store=SecretStore(kind=SecretStoreKind.KUBERNETES, provider={}),
        default_storage_class="gp3",
        registry_url=REGISTRY,
        identity_endpoints=[POD_IDENTITY_AGENT],
    )


SYSTEM_POOL = PodPlacement(
    tolerations=[{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}],
    preferred_node_labels={"mlops-platform/pool": "system"},
)


def _program(environment: Environment, operations: Operations) -> None:
    contract = _contract()
    # The platform layer creates the PriorityClasses; here they stand alone, as MlopsPlatform would create them.
    priorities = PriorityClasses("priority-classes", pulumi.ResourceOptions(provider=contract.kubernetes_provider))
    Tenancy(
        "tenancy",
        TenancyArgs(
            contract=contract,
            platform=PlatformServices(
                namespaces=PLATFORM_NAMESPACES,
                mlflow_tracking_uri="http://mlflow.mlflow.svc.cluster.local:5000",
                pods=PlatformPods(SYSTEM_POOL, high_availability=environment != Environment.DEV),
                priority_classes=priorities,
            ),
            teams=TEAMS,
            settings=operations,
            environment=environment,
            protect=True,
        ),
    )


@cache
def dev_run() -> StackRun:
    """Dev defaults plus both add-ons: admission in Audit mode."""
    operations = Operations(loki=Loki(enabled=True), opencost=OpenCost(enabled=True))
    return run_program(lambda: _program(Environment.DEV, operations), stack="tenancy-dev")


@cache
def prod_run() -> StackRun:
    """Production with an extra allowed registry: admission enforces."""
    operations = Operations(admission=Admission(allowed_registries=["ghcr.io/acme"]))
    return run_program(lambda: _program(Environment.PROD, operations), stack="tenancy-prod")


@cache
def audit_forced_in_prod_run() -> StackRun:
    """Production with admission explicitly set to Audit: the setting wins over the environment."""
    operations = Operations(admission=Admission(mode=AdmissionMode.AUDIT))
    return run_program(lambda: _program(Environment.PROD, operations), stack="tenancy-prod-audit")
