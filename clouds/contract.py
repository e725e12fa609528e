"""The contract between a cloud foundation and the Kubernetes platform layer.

Every foundation (`clouds/<cloud>/foundation.py`) returns one `PlatformContract`; `k8s_platform` reads
nothing else about the cloud. A field that only some clouds can fill is optional and says so.
The workload catalog below is shared by both sides: a foundation binds a cloud identity to exactly
these namespace/service-account pairs, and the platform layer creates exactly these service accounts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from config.model import Components, CpuSpotNodePool, Dns, GpuSpotNodePool, Taint
from config.teams import Team

GPU_NODE_LABEL = {"nvidia.com/gpu.present": "true"}
"""Label on GPU nodes: the NVIDIA device plugin and DCGM exporter select on it, foundations put it on GPU pools."""

NODE_POOL_LABEL = "mlops-platform/pool"
"""Node label naming the pool a node belongs to (`system`, ...), where the foundation labels its pools."""


@dataclass(frozen=True)
class Workload:
    """A platform workload that needs a cloud identity: its name, namespace and Kubernetes service account."""

    name: str
    namespace: str
    service_account: str

    @property
    def subject(self) -> str:
        """The OIDC subject Kubernetes puts in the workload's projected token."""
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"


class Workloads:
    """The one list of workloads with cloud identities; foundations and the platform layer both import it."""

    MLFLOW = Workload("mlflow", "mlflow", "mlflow")
    KSERVE_INFERENCE = Workload("kserve-inference", "models", "model-server")
    """Service account of platform-owned InferenceServices; the storage initializer reads models with it."""
    ARGO_WORKFLOWS = Workload("argo-workflows", "argo", "workflow-runner")
    """Pipelines run as this account: artifact repository read/write and MLflow logging."""
    ARGO_SERVER = Workload("argo-server", "argo", "argo-workflows-server")
    """The Argo Workflows UI/API server: reads step artifacts and archived logs to show them."""
    EXTERNAL_SECRETS = Workload("external-secrets", "external-secrets", "external-secrets")
    CERT_MANAGER = Workload("cert-manager", "cert-manager", "cert-manager")
    KARPENTER = Workload("karpenter", "karpenter", "karpenter")
    AWS_LOAD_BALANCER_CONTROLLER = Workload(
        "aws-load-balancer-controller", "kube-system", "aws-load-balancer-controller"
    )

    @classmethod
    def all(cls) -> list[Workload]:
        return [v for v in vars(cls).values() if isinstance(v, Workload)]

    @staticmethod
    def team(team_name: str) -> Workload:
        """A team's workload account: its pipelines and models run as this in the team's own namespace."""
        return Workload(f"team-{team_name}", f"team-{team_name}", "team-workload")


TEAMS_ARTIFACT_PREFIX = "teams"


def team_artifact_prefix(team_name: str) -> str:
    """The only part of the artifact store a team's identity may touch."""
    return f"{TEAMS_ARTIFACT_PREFIX}/{team_name}"


def team_workflow_prefix(team_name: str) -> str:
    """Where the team's own Argo artifact repository keeps its pipelines' step artifacts and logs."""
    return f"{team_artifact_prefix(team_name)}/workflows"


def team_mlflow_prefix(team_name: str) -> str:
    """The artifact location of the team's MLflow experiments: runs upload here as the team's identity, so the
    team's InferenceServices (same identity) read their models, and no other team's."""
    return f"{team_artifact_prefix(team_name)}/mlflow"


WORKFLOW_ARTIFACT_PREFIX = "workflows"
"""Where Argo Workflows keeps step artifacts and logs: its artifact repository's keyFormat starts with this, and
the pipeline identity may write here (and to the MLflow prefix), nowhere else in the bucket."""


@dataclass(frozen=True)
class Access:
    """What one workload may touch, in cloud-neutral terms. Each foundation translates it into its own policy
    language (IAM statements on AWS, conditional bindings on GCP, ABAC-conditioned role assignments on Azure)."""

    artifact_prefixes: tuple[str, ...] = ()
    """Object paths under these prefixes of the artifact store; empty: no artifact access at all."""
    writes_artifacts: bool = False
    reads_platform_secrets: bool = False
    """Read the platform's secrets in the cloud secret store (External Secrets)."""


def workload_access(artifact_prefix: str, components: Components, teams: Sequence[Team]) -> dict[Workload, Access]:
    """Who may touch what, the same on every cloud: each workload gets exactly the prefixes it uses, and only
    workloads the stack installs get an identity at all."""
    access: dict[Workload, Access] = {}
    if components.mlflow.enabled:
        # Team runs upload to their team's prefix themselves; MLflow serves those artifacts in its UI and deletes
        # them when a run is garbage-collected (`mlflow gc`), so it reads and writes there too.
        teams_prefix = (TEAMS_ARTIFACT_PREFIX,) if teams else ()
        access[Workloads.MLFLOW] = Access((artifact_prefix, *teams_prefix), writes_artifacts=True)
    if components.kserve.enabled:
        # The storage initializer only downloads the models MLflow registered.
        access[Workloads.KSERVE_INFERENCE] = Access((artifact_prefix,))
    if components.argo_workflows.enabled:
        # Pipelines keep step artifacts under their own prefix and log models into MLflow's.
        access[Workloads.ARGO_WORKFLOWS] = Access((WORKFLOW_ARTIFACT_PREFIX, artifact_prefix), writes_artifacts=True)
        # The UI shows step artifacts and archived logs of the platform's and every team's pipelines, read only,
        # to users its SSO RBAC lets see that namespace. All of `teams/` rather than a prefix per team: the grant
        # stays one size however many teams there are (GCP condition titles stop at 100 characters).
        access[Workloads.ARGO_SERVER] = Access((WORKFLOW_ARTIFACT_PREFIX, *((TEAMS_ARTIFACT_PREFIX,) if teams else ())))
    if components.external_secrets.enabled:
        access[Workloads.EXTERNAL_SECRETS] = Access(reads_platform_secrets=True)
    for team in teams:
        access[Workloads.team(team.name)] = Access((team_artifact_prefix(team.name),), writes_artifacts=True)
    return access


@dataclass(frozen=True)
class WorkloadIdentity:
    """How a workload's pods become its cloud identity. Applied to the service account and pod template.

    AWS Pod Identity needs neither (the association lives in EKS); IRSA needs an annotation; Azure workload
    identity needs an annotation on the service account *and* a label on the pod; GKE needs an annotation.
    """

    workload: Workload
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    principal: pulumi.Input[str] | None = None
    """The cloud principal (role ARN, managed identity client ID, Google service account e-mail), for outputs."""
    ready: Sequence[pulumi.Resource] = ()
    """Cloud resources the identity needs while its pods run (EKS: the role's policies and its Pod Identity
    association). Whatever installs the workload depends on them: creation waits for them, and `destroy` removes
    the workload before them, so a controller keeps its permissions while it cleans up what it created."""


class ArtifactStoreKind(StrEnum):
    S3 = "s3"
    AZURE_BLOB = "azure-blob"
    GCS = "gcs"
    S3_COMPATIBLE = "s3-compatible"
    """An in-cluster S3 API (local stack): reached with an endpoint URL and generated keys."""


@dataclass(frozen=True)
class S3Credentials:
    """Keys of an in-cluster S3-compatible store. Never set for a cloud store: clouds use identities."""

    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]


@dataclass(frozen=True)
class ArtifactStore:
    kind: ArtifactStoreKind
    bucket: pulumi.Input[str]
    """Bucket (S3, GCS) or blob container (Azure)."""
    prefix: str
    """Path inside the bucket where MLflow keeps artifacts."""
    uri: pulumi.Output[str]
    """Full artifact root as MLflow spells it: s3://b/p, gs://b/p, wasbs://c@account.blob.core.windows.net/p."""
    region: str | None = None
    endpoint_url: pulumi.Input[str] | None = None
    """S3-compatible stores only: the in-cluster S3 endpoint."""
    account_name: pulumi.Input[str] | None = None
    """Azure only: the storage account that holds the container."""
    credentials: S3Credentials | None = None

    def uri_for(self, prefix: str) -> pulumi.Output[str]:
        """A path of the store spelled as MLflow and the cloud SDKs spell it, like `uri` for MLflow's prefix."""
        match self.kind:
            case ArtifactStoreKind.S3 | ArtifactStoreKind.S3_COMPATIBLE:
                return pulumi.Output.concat("s3://", self.bucket, "/", prefix)
            case ArtifactStoreKind.GCS:
                return pulumi.Output.concat("gs://", self.bucket, "/", prefix)
            case ArtifactStoreKind.AZURE_BLOB:
                account = self.account_name or ""
                return pulumi.Output.concat("wasbs://", self.bucket, "@", account, ".blob.core.windows.net/", prefix)
        raise AssertionError(f"unhandled artifact store {self.kind}")


@dataclass(frozen=True)
class Database:
    """The PostgreSQL that backs MLflow's tracking store and model registry."""

    host: pulumi.Input[str]
    port: int
    name: str
    user: str
    password: pulumi.Output[str]
    """Always a Pulumi secret. The platform layer writes it into a Kubernetes Secret, never into Helm values."""
    ssl_mode: str = "require"
    ssl_root_cert: str | None = None
    """libpq `sslrootcert`: the CA file, inside the client's image, that the server certificate must chain to
    (for `ssl_mode` verify-ca/verify-full), for a public CA the image's system bundle already holds (Azure).
    Ignored when `ca_certificate` is given."""
    ca_certificate: pulumi.Input[str] | None = None
    """PEM bundle of a private CA that signs the server's certificate (Cloud SQL's instance CA): the platform
    mounts it and points `sslrootcert` at it. None: `ssl_root_cert`, or libpq's defaults."""


class NodeAutoscalerKind(StrEnum):
    KARPENTER = "karpenter"
    """AWS: the platform layer installs Karpenter and its NodePools."""
    CLUSTER_AUTOSCALER = "cluster-autoscaler"
    """AKS: the managed cluster autoscaler scales the node pools; nothing to install."""
    NODE_AUTO_PROVISIONING = "node-auto-provisioning"
    """GKE: node auto-provisioning creates pools on demand; nothing to install."""
    NONE = "none"
    """Local: the cluster is what it is."""


class KedaSource(StrEnum):
    MANAGED_ADDON = "managed-addon"
    """The cloud runs KEDA (AKS add-on); installing the chart as well would fight it."""
    HELM = "helm"
    NONE = "none"


@dataclass(frozen=True)
class KarpenterInputs:
    """What the platform layer needs to install Karpenter and declare its EC2NodeClass and NodePools."""

    cluster_name: pulumi.Input[str]
    cluster_endpoint: pulumi.Input[str]
    interruption_queue_name: pulumi.Input[str]
    node_role_name: pulumi.Input[str]
    discovery_tag_value: pulumi.Input[str]
    """Subnets and security groups carry `karpenter.sh/discovery: <value>`."""
    ami_alias: str
    """EC2NodeClass amiSelectorTerms alias, e.g. `al2023@v20261101`; `al2023@latest` only in dev."""
    cpu_pool: CpuSpotNodePool
    gpu_pool: GpuSpotNodePool
    node_access: Sequence[pulumi.Resource] = ()
    """What Karpenter's nodes need to join and run (the node role's access entry and policies). The EC2NodeClass
    and NodePools depend on them, so `destroy` drains and terminates the nodes before the nodes lose them."""


@dataclass(frozen=True)
class Autoscaling:
    nodes: NodeAutoscalerKind
    keda: KedaSource
    karpenter: KarpenterInputs | None = None
    gpu_device_plugin_managed: bool = False
    """True when the cloud installs the NVIDIA device plugin itself (GKE). AKS's gpuProfile installs only the
    driver, so AKS leaves this False and the platform layer installs the plugin."""
    spot_tolerations: Sequence[Mapping[str, str]] = ()
    """Tolerations (Kubernetes shape) for taints the cloud itself puts on spot nodes, e.g. AKS's
    `kubernetes.azure.com/scalesetpriority=spot:NoSchedule`. GPU daemons and spot workloads need them."""


class LoadBalancerProvisioner(StrEnum):
    AWS_LOAD_BALANCER_CONTROLLER = "aws-load-balancer-controller"
    """The platform layer installs the AWS Load Balancer Controller, which provisions an NLB for the gateway."""
    CLOUD = "cloud"
    """The cloud's built-in service controller provisions the load balancer (AKS, GKE)."""
    NONE = "none"
    """No load balancer (local): reach the gateway with port-forward or a NodePort."""


@dataclass(frozen=True)
class Ingress:
    """How traffic reaches the shared Gateway."""

    load_balancer: LoadBalancerProvisioner
    service_type: str = "LoadBalancer"
    service_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Annotations on the gateway's Service (e.g. NLB scheme/target type for the AWS LB controller)."""
    load_balancer_controller_settings: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """What the load-balancer controller chart needs from the cloud (AWS: clusterName, region, vpcId)."""


class SecretStoreKind(StrEnum):
    AWS_SECRETS_MANAGER = "aws-secrets-manager"
    AWS_PARAMETER_STORE = "aws-parameter-store"
    AZURE_KEY_VAULT = "azure-key-vault"
    GCP_SECRET_MANAGER = "gcp-secret-manager"
    KUBERNETES = "kubernetes"


@dataclass(frozen=True)
class LinkLocalEndpoint:
    """A node-local address pods must reach to obtain their cloud identity (network policies open it)."""

    cidr: str
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class NodeLocalDns:
    """A DNS cache the cloud runs on every node (GKE's NodeLocal DNSCache). It answers on a link-local address
    from `hostNetwork` pods, which a pod selector alone may not match: network policies open both."""

    address: str = "169.254.20.10"
    namespace: str = "kube-system"
    pod_labels: Mapping[str, str] = field(default_factory=lambda: {"k8s-app": "node-local-dns"})


@dataclass(frozen=True)
class Flow:
    """One allowed connection between two namespaces, opened on both sides (egress and ingress)."""

    source: str
    destination: str
    ports: Sequence[int] = ()
    """Destination pod ports; empty means any port."""


@dataclass(frozen=True)
class InClusterServices:
    """Services a foundation runs inside the cluster (local: Postgres, the S3 store) and who must reach them.

    The tenancy layer puts these namespaces under default-deny like the platform's own, and opens the flows."""

    namespaces: Sequence[str] = ()
    flows: Sequence[Flow] = ()


@dataclass(frozen=True)
class PodPlacement:
    """Where platform controllers run: the system pool, whatever its taints.

    Applied to every platform chart (tolerations, and a preferred node affinity so pods still schedule when
    the label is missing). Empty on a cluster with one undifferentiated pool (local)."""

    tolerations: Sequence[Mapping[str, str]] = ()
    """Tolerations (Kubernetes shape) for the system pool's taints, e.g. AKS's `CriticalAddonsOnly`."""
    preferred_node_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of the system pool's nodes, e.g. `mlops-platform/pool: system` (EKS node group)."""


def toleration(taint: Taint) -> dict[str, str]:
    """The toleration (Kubernetes shape) that lets a pod onto nodes with `taint`."""
    if taint.value:
        return {"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect.value}
    return {"key": taint.key, "operator": "Exists", "effect": taint.effect.value}


class PlatformSecrets:
    """Logical names of the secrets the platform layer reads from the secret store. A cloud foundation creates
    them in its backend and maps each name to its backend key in `SecretStore.secret_keys`; on the Kubernetes
    store the platform layer generates them itself."""

    GRAFANA_ADMIN_PASSWORD = "grafana-admin-password"
    ARGOCD_ADMIN_PASSWORD = "argocd-admin-password"

    @classmethod
    def all(cls) -> list[str]:
        return [cls.GRAFANA_ADMIN_PASSWORD, cls.ARGOCD_ADMIN_PASSWORD]


def provided_secret_keys(components: Components, dns: Dns) -> list[str]:
    """Secret-store keys the deployer fills (the SSO client secret, private repositories' tokens) and the
    platform's ExternalSecrets sync. Each foundation grants External Secrets read on exactly these, beside the
    secrets it generates itself; they must exist in the store before `pulumi up`."""
    keys: list[str] = []
    if components.external_secrets.enabled:
        if dns.publishes_uis and dns.sso and (components.gateway.enabled or components.argo_workflows.enabled):
            keys.append(dns.sso.client_secret_key)  # the gateway's OIDC and Argo Workflows' own SSO
        if components.argocd.enabled:
            keys += [repo.token_key for repo in components.argocd.repositories if repo.token_key]
    return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class SecretStore:
    """The backend External Secrets reads. `provider` is the ClusterSecretStore `spec.provider` block as data,
    so the cloud-specific shape stays in the foundation."""

    kind: SecretStoreKind
    provider: Mapping[str, Any]
    secret_keys: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Logical secret name (e.g. `grafana-admin-password`) -> key in the backend."""


@dataclass(frozen=True)
class PlatformContract:
    """Everything the Kubernetes platform layer may know about the cloud underneath it."""

    cloud: str
    """For labels and outputs only: the platform layer branches on the typed fields, never on this."""
    cluster_name: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    kubernetes_version: str
    kubeconfig: pulumi.Output[str] | None
    """A secret; None where the user's own kubeconfig is used (local)."""
    artifact_store: ArtifactStore
    database: Database
    identities: Mapping[str, WorkloadIdentity]
    """Keyed by `Workload.name`; a workload missing here runs without a cloud identity."""
    autoscaling: Autoscaling
    ingress: Ingress
    secret_store: SecretStore
    default_storage_class: str
    registry_url: pulumi.Input[str] | None = None
    cluster_ready: Sequence[pulumi.Resource] = ()
    """Resources in-cluster workloads must wait for (e.g. the system node group), so pods have somewhere to run."""
    identity_endpoints: Sequence[LinkLocalEndpoint] = ()
    """Link-local endpoints pods reach for their cloud identity: the EKS Pod Identity agent, the GKE metadata
    server; none for Azure workload identity (token exchange over HTTPS) and local."""
    platform_placement: PodPlacement = field(default_factory=PodPlacement)
    node_local_dns: NodeLocalDns | None = None
    """Where the cloud runs a node-local DNS cache (GKE); None where pods ask the kube-dns/CoreDNS pods directly
    (EKS and AKS by default, local)."""
    in_cluster_services: InClusterServices = field(default_factory=InClusterServices)
    """What the foundation runs in the cluster itself (local); empty for clouds, whose services are managed."""
    control_plane_metrics: bool = True
    """Whether Prometheus can scrape the controller manager, scheduler, etcd and kube-proxy inside the cluster.
    False where the cloud runs them out of reach (GKE; Dataplane V2 has no kube-proxy): their monitors and
    alerts are left out instead of reporting them down forever."""

    def identity_for(self, workload: Workload) -> WorkloadIdentity:
        """The workload's binding, or an empty one (no annotations, no labels) if the cloud gave it none."""
        return self.identities.get(workload.name, WorkloadIdentity(workload))


_IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/")


def team_kubernetes_group(team: Team) -> str:
    """The RBAC group name the team's members carry.

    Entra ID group object IDs (AKS), Google group e-mails (GKE) and plain groups (local) reach the API server
    as group names unchanged. An IAM role cannot be an RBAC subject: on EKS the foundation's access entry for
    the role must put its sessions in this group.
    """
    return f"mlops-team-{team.name}" if _IAM_ROLE_ARN.match(team.identity_group) else team.identity_group
