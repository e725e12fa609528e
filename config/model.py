"""The typed stack model: every setting the program reads, with safe defaults and validation.

Settings shared by every cloud live here; settings only one cloud understands live in that cloud's
module (`config/aws.py`, ...) and are selected by the `cloud` discriminator.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from config.stack import StackConfig

PROJECT = "mlops-platform"


class Settings(BaseModel):
    """Base of every config model: immutable, camelCase keys as in the stack file, unknown keys rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=False,
        use_attribute_docstrings=True,
        # YAML reads `cpu: 32` and `engineVersion: 17` as numbers and Pulumi passes them on as numbers;
        # a string field accepts them as Kubernetes and the CLI do.
        coerce_numbers_to_str=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _yaml_numbers_as_string_choices(cls, data: Any) -> Any:
        """`engineVersion: 17` picks the choice "17" (coerce_numbers_to_str does not reach Literal fields)."""
        if not isinstance(data, dict):
            return data
        converted = dict(data)
        for name, field in cls.model_fields.items():
            choices = [a for a in get_args(field.annotation) if a is not type(None)]
            if get_origin(field.annotation) is not Literal or not all(isinstance(c, str) for c in choices):
                continue
            for key in {name, field.alias or name}:
                value = converted.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    converted[key] = str(value)
        return converted


def problem(key: str, message: str) -> PydanticCustomError:
    """A validation error that names the stack-file key it is about (relative to the model raising it)."""
    return PydanticCustomError("config_problem", "{message}", {"message": message, "key": key})


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class TaintEffect(StrEnum):
    """Kubernetes spelling; each cloud translates it at its own edge (GKE and EKS say NO_SCHEDULE)."""

    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


LabelKey = Annotated[str, StringConstraints(pattern=r"^([a-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")]
LabelValue = Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$")]


class Taint(Settings):
    key: LabelKey
    value: LabelValue = ""
    effect: TaintEffect = TaintEffect.NO_SCHEDULE


GPU_TAINT = Taint(key="nvidia.com/gpu", value="present", effect=TaintEffect.NO_SCHEDULE)


class NodePool(Settings):
    """One pool of nodes. Spot pools may scale to zero; the system pool may not."""

    machine_types: list[str] = Field(min_length=1)
    """Instance/VM types the pool may use, most preferred first (the cloud's own names)."""
    min_size: int = Field(default=0, ge=0)
    """Fewest nodes; 0 lets the pool scale to zero when idle."""
    max_size: int = Field(default=3, ge=1, le=1000)
    """Most nodes; the autoscaler never goes beyond it."""
    disk_size_gb: int = Field(default=100, ge=20, le=16384)
    """Root disk per node (container images for ML are large)."""
    spot: bool = False
    """Spot/preemptible capacity: far cheaper, may be reclaimed at short notice."""
    taints: list[Taint] = []
    """Taints in Kubernetes spelling; each cloud translates the effect at its edge."""
    labels: dict[LabelKey, LabelValue] = {}
    """Node labels, for nodeSelectors and affinities."""

    @model_validator(mode="after")
    def _max_not_below_min(self) -> NodePool:
        if self.max_size < self.min_size:
            raise problem("maxSize", f"got {self.max_size}; must be >= minSize ({self.min_size})")
        return self


class SystemNodePool(NodePool):
    machine_types: list[str] = Field(default_factory=lambda: ["m6i.large"], min_length=1)
    min_size: int = Field(default=2, ge=1)
    max_size: int = Field(default=4, ge=1, le=1000)
    disk_size_gb: int = 50

    @field_validator("spot")
    @classmethod
    def _system_is_on_demand(cls, spot: bool) -> bool:
        if spot:
            raise ValueError("the system pool runs the platform's controllers and must be on-demand (spot: false)")
        return spot


class CpuSpotNodePool(NodePool):
    machine_types: list[str] = Field(default_factory=lambda: ["m6i.xlarge", "m6a.xlarge", "m5.xlarge"], min_length=1)
    max_size: int = Field(default=10, ge=1, le=1000)
    spot: bool = True


class GpuSpotNodePool(NodePool):
    """GPU nodes are expensive: they scale from zero and carry the nvidia.com/gpu taint so only GPU work lands."""

    machine_types: list[str] = Field(default_factory=lambda: ["g5.xlarge", "g6.xlarge"], min_length=1)
    max_size: int = Field(default=4, ge=1, le=1000)
    spot: bool = True
    gpus_per_node: int = Field(default=1, ge=1, le=16)
    """GPUs each node of the pool carries (must match the machine type)."""
    gpu_type: str = "nvidia-tesla-t4"
    """Accelerator name, used where the cloud asks for it separately from the machine type (GKE)."""
    taints: list[Taint] = Field(default_factory=lambda: [GPU_TAINT])

    @field_validator("taints")
    @classmethod
    def _gpu_taint_present(cls, taints: list[Taint]) -> list[Taint]:
        if not any(t.key == GPU_TAINT.key and t.effect == TaintEffect.NO_SCHEDULE for t in taints):
            raise ValueError(
                f"the GPU pool must keep the taint {GPU_TAINT.key}={GPU_TAINT.value}:NoSchedule "
                "so CPU-only pods never hold an expensive GPU node"
            )
        return taints


GPU_RUNTIME_MINIMUM_CPU_MILLICORES = 2000
GPU_RUNTIME_MINIMUM_MEMORY_MIB = 8192
"""The least the Hugging Face (vLLM) GPU runtime is given: vLLM stages weights through host memory and runs a
tokenizer and API server beside the GPU worker; below this a 7B-class model does not load. The runtime itself
asks for what the GPU pool's machines leave to one pod (`clouds.machines.largest_pod`)."""


class NodePools(Settings):
    system: SystemNodePool = SystemNodePool()
    cpu_spot: CpuSpotNodePool = CpuSpotNodePool()
    gpu_spot: GpuSpotNodePool = GpuSpotNodePool()


def _overlapping(named: dict[str, ipaddress.IPv4Network]) -> list[tuple[str, str]]:
    items = list(named.items())
    return [(a, b) for i, (a, na) in enumerate(items) for b, nb in items[i + 1 :] if na.overlaps(nb)]


class Network(Settings):
    """Address plan. The node network, pod and service ranges must not overlap each other."""

    cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.40.0.0/16")
    """The VPC/VNet address space; subnets are carved from it."""
    pod_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.244.0.0/16")
    """Pod addresses (overlay or secondary range, depending on the cloud)."""
    service_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.96.0.0/16")
    """Kubernetes Service addresses."""
    flow_log_retention_days: int = Field(default=30, ge=1, le=3653)
    """How long network flow logs are kept."""

    @model_validator(mode="after")
    def _ranges_do_not_overlap(self) -> Network:
        ranges = {"cidr": self.cidr, "podCidr": self.pod_cidr, "serviceCidr": self.service_cidr}
        for a, b in _overlapping(ranges):
            raise problem(b, f"{ranges[b]} overlaps {a} ({ranges[a]}); choose disjoint ranges")
        return self


DOCUMENTATION_RANGES = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
"""TEST-NET-1/2/3 (RFC 5737): reserved for examples, never anyone's egress address."""


class Cluster(Settings):
    kubernetes_version: Annotated[str, StringConstraints(pattern=r"^1\.\d{2}$")] = "1.34"
    """Kubernetes minor version (`1.34`); must be one the cloud offers (listed per cloud below)."""
    endpoint_allow_list: list[ipaddress.IPv4Network] = []
    """CIDRs that may reach the public API endpoint: the egress of wherever `pulumi up` runs, and your office/VPN.
    Empty means the endpoint is private only, which needs `deployerInNetwork`."""
    deployer_in_network: bool = False
    """`pulumi up` runs inside the cluster's network (a CI runner in the VPC/VNet, or a network peered to it) and
    reaches the private endpoint. Required for an empty `endpointAllowList`: otherwise the same `pulumi up` that
    makes the endpoint private could not install the platform through it."""

    @field_validator("endpoint_allow_list")
    @classmethod
    def _reachable_addresses_only(cls, cidrs: list[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
        for cidr in cidrs:
            if cidr.prefixlen == 0:
                raise ValueError(f"{cidr} opens the Kubernetes API to the whole internet; list your office/VPN CIDRs")
            if any(cidr.subnet_of(doc) for doc in DOCUMENTATION_RANGES):
                raise ValueError(
                    f"{cidr} is a documentation range (RFC 5737), nobody's address: nothing could reach the API; "
                    "list the egress CIDR of the machine that runs pulumi (e.g. `curl -s https://checkip.amazonaws.com`)"
                )
        return cidrs


RESERVED_DATABASE_NAMES = frozenset(
    # Roles and databases that already exist or are refused on some backend: PostgreSQL itself (`postgres`,
    # `public`, templates), RDS, Azure Flexible Server (it rejects these as administrator login), Cloud SQL
    # (built-in `postgres` user, its admin roles) and CloudNativePG (its superuser and replication role).
    {"postgres", "public", "template0", "template1", "user", "admin", "administrator", "root", "guest"}
    | {"rdsadmin", "rds_superuser", "azure_superuser", "azure_pg_admin", "azure_maintenance", "azure_sys"}
    | {"cloudsqladmin", "cloudsqlsuperuser", "cloudsqlagent", "cloudsqliamuser", "streaming_replica"}
)


class Database(Settings):
    engine_version: Literal["16", "17"] = "17"
    """PostgreSQL major version."""
    storage_gb: int = Field(default=20, ge=20, le=16384)
    """Allocated storage."""
    backup_retention_days: int = Field(default=7, ge=1, le=35)
    """Days of automated backups / point-in-time recovery kept."""
    high_availability: bool = False
    """A standby in another zone (Multi-AZ, zone-redundant HA, REGIONAL)."""
    deletion_protection: bool = True
    """The cloud refuses to delete the database; outside dev a final snapshot is also taken."""
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "mlflow"
    """Database MLflow uses."""
    user: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "mlflow"
    """Role MLflow connects as; its password is generated and kept as a Pulumi secret."""

    @field_validator("name", "user")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        # One list for every cloud, so a stack file stays valid when it moves to another cloud.
        if value in RESERVED_DATABASE_NAMES or value.startswith("pg_"):
            raise ValueError(
                "reserved by PostgreSQL or a managed Postgres service (pg_* and e.g. postgres, admin, rdsadmin, "
                "azure_superuser, cloudsqladmin); choose an application name such as mlflow"
            )
        return value


class ObjectStore(Settings):
    noncurrent_version_expiration_days: int = Field(default=90, ge=1, le=3650)
    """Overwritten or deleted artifact versions are kept this long, then expire."""
    abort_incomplete_upload_days: int = Field(default=7, ge=1, le=365)
    """Unfinished multipart uploads are cleaned up after this many days."""
    access_logging: bool = False
    """Log every request to the artifact store (where the cloud supports it)."""
    artifact_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")] = "mlflow"
    """Path inside the bucket/container where MLflow keeps artifacts."""


class Component(Settings):
    """A platform component: on or off, and optionally a chart version other than the catalog's pin."""

    enabled: bool = True
    """Install this component."""
    version: Annotated[str, StringConstraints(pattern=r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")] | None = None
    """Chart version other than the catalog's pin (exact semver; ranges are not accepted)."""


SecretKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,254}$")]
"""A key in the stack's secret store (Secrets Manager name, Key Vault secret, Secret Manager secret, ...)."""


class GitRepository(Settings):
    """A Git repository ArgoCD may read. Its token stays in the secret store and reaches ArgoCD through External
    Secrets, so no credential is ever written in the stack file."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$")]
    url: Annotated[str, StringConstraints(pattern=r"^(https://|ssh://|git@)\S+$")]
    username: str = "git"
    token_key: SecretKey | None = None
    """Secret-store key holding an access token (HTTPS) or a deploy private key (SSH); None for a public repository."""


class ArgoCd(Component):
    high_availability: bool = False
    """Redis HA, two application controllers, replicated repo and API servers. Off in dev."""
    repositories: list[GitRepository] = []


HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://\S+$")]


class ModelApi(Settings):
    """Models served outside the cluster, to API clients that present a JWT from the stack's token issuer.

    Each InferenceService gets the host `<name>-<namespace>.models.<domain>` on the gateway's `https-models`
    listener; Envoy Gateway rejects any request without a valid token before it reaches a model."""

    issuer: HttpsUrl
    """The `iss` claim tokens must carry (the OIDC provider or client-credentials issuer API clients use)."""
    jwks_uri: HttpsUrl
    """Where the issuer publishes its signing keys, e.g. `https://login.example.com/.well-known/jwks.json`."""
    audiences: list[str] = []
    """Accepted `aud` claims; empty accepts any audience of the issuer (set it when the issuer serves others)."""
    certificate_secret: str = "models-wildcard-tls"
    """A TLS Secret for `*.models.<domain>` in the gateway's namespace. Let's Encrypt's HTTP-01 cannot issue
    wildcards, so the certificate comes from your own DNS-01 issuer or CA."""


class Kserve(Component):
    public_api: ModelApi | None = None
    """Serve models to clients outside the cluster behind JWT validation (needs `dns.domain` and `dns.sso`).
    Without it models are in-cluster only, whether or not the UIs are published."""


class Components(Settings):
    """One entry per platform service; the Kubernetes layer's catalog pins the chart of each."""

    cert_manager: Component = Component()
    gateway: Component = Component()
    external_secrets: Component = Component()
    argocd: ArgoCd = ArgoCd()
    argo_workflows: Component = Component()
    mlflow: Component = Component()
    kserve: Kserve = Kserve()
    monitoring: Component = Component()
    node_autoscaler: Component = Component()
    keda: Component = Component()
    gpu_support: Component = Component()

    @field_validator("kserve", mode="before")
    @classmethod
    def _plain_component_is_a_kserve(cls, value: Any) -> Any:
        """`Components(kserve=Component(...))` keeps working: the Kserve settings only add optional fields."""
        if type(value) is Component:
            return value.model_dump()
        return value


class Sso(Settings):
    """The OIDC identity provider the gateway enforces in front of every UI published on the domain."""

    issuer: Annotated[str, StringConstraints(pattern=r"^https://\S+$")]
    client_id: str = Field(min_length=1)
    client_secret_key: SecretKey = "platform-sso-client-secret"
    """Secret-store key holding the OIDC client secret."""


class Dns(Settings):
    domain: (
        Annotated[str, StringConstraints(pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")] | None
    ) = None
    acme_email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    """Contact address for Let's Encrypt; required with a domain."""
    acme_server: Literal["staging", "production"] = "staging"
    """Let's Encrypt endpoint: start with staging, switch to production once routes work."""
    sso: Sso | None = None
    """Without it no UI gets a route on the domain; they stay reachable only with `kubectl port-forward`."""

    @model_validator(mode="after")
    def _email_with_domain(self) -> Dns:
        if self.domain and not self.acme_email:
            raise problem("acmeEmail", "is required when dns.domain is set (Let's Encrypt needs a contact address)")
        if self.sso and not self.domain:
            raise problem("sso", "needs dns.domain: single sign-on protects the UIs published on that domain")
        return self

    @property
    def publishes_uis(self) -> bool:
        """UIs are reachable from outside only behind single sign-on, each on its own host of the domain."""
        return bool(self.domain and self.sso)


TagKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]
TagValue = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{0,63}$")]
"""Tags are the intersection of what AWS tags, Azure tags and GCP labels all accept."""


class CloudSettings(Settings):
    """Base of the per-cloud sub-models; `cloud` is the discriminator."""

    cloud: str
    SUPPORTED_KUBERNETES_VERSIONS: ClassVar[tuple[str, ...]] = ()
    PRIVATE_ENDPOINT: ClassVar[str | None] = None
    """What an empty `cluster.endpointAllowList` means on this cloud and how a deployer reaches that endpoint;
    None where the cloud has no managed API endpoint (local: the user's own kubeconfig)."""
    DEFAULT_NODE_POOLS: ClassVar[dict[str, dict[str, Any]]] = {}
    """What `nodePools.<pool>` defaults to on this cloud where it differs from the model's (AWS) defaults."""

    def check(self, stack: StackConfig) -> list[tuple[str, str]]:
        """Cross-checks between this cloud's settings and the shared ones: (stack-file key, message) pairs."""
        return []


def cross_check_failure(problems: list[tuple[str, str]]) -> PydanticCustomError:
    return PydanticCustomError("config_problems", "{count} problems", {"count": len(problems), "problems": problems})


def dump_for_display(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)
