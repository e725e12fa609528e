"""The whole stack's configuration: one frozen model, validated once before any resource is declared."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from config.aws import AwsSettings
from config.azure import AzureSettings
from config.gcp import GcpSettings
from config.local import LocalSettings
from config.model import (
    GPU_RUNTIME_MINIMUM_CPU_MILLICORES,
    GPU_RUNTIME_MINIMUM_MEMORY_MIB,
    Cluster,
    Components,
    Database,
    Dns,
    Environment,
    Network,
    NodePools,
    ObjectStore,
    Settings,
    TagKey,
    TagValue,
    cross_check_failure,
    problem,
)
from config.operations import Operations
from config.pools import machine_type_problems
from config.teams import Team

CloudChoice = Annotated[AwsSettings | AzureSettings | GcpSettings | LocalSettings, Field(discriminator="cloud")]
CLOUDS = ("aws", "azure", "gcp", "local")


class StackConfig(Settings):
    """Everything `mlops-platform:*` in a `Pulumi.<stack>.yaml` may say."""

    environment: Environment = Environment.DEV
    """dev, staging or prod: outside dev, final snapshots are kept and production defaults apply."""
    cloud: CloudChoice
    # Hyphens only between characters: names built from it join parts with "-", and Key Vault, Cloud SQL and
    # Postgres server names reject a doubled or trailing hyphen.
    name_prefix: str = Field(default="mlops", min_length=2, max_length=15, pattern=r"^[a-z](-?[a-z0-9])+$")
    """Start of every cloud resource name; keep it short, some names are capped at 24-32 characters."""
    network: Network = Network()
    """Address plan."""
    cluster: Cluster = Cluster()
    """Kubernetes version and API endpoint access."""
    node_pools: NodePools = NodePools()
    """The system pool and the CPU and GPU spot pools (ignored by `local`)."""
    database: Database = Database()
    """The PostgreSQL behind MLflow."""
    object_store: ObjectStore = ObjectStore()
    """The artifact bucket/container."""
    components: Components = Components()
    """Platform services: enable flag and version override each."""
    dns: Dns = Dns()
    """Public hostnames and TLS; without a domain every UI stays internal."""
    tags: dict[TagKey, TagValue] = {}
    """Tags/labels on every cloud resource (lowercase keys and values, as GCP labels require)."""
    teams: list[Team] = []
    """Data-science teams sharing the platform (see the Teams section)."""
    operations: Operations = Operations()
    """Day-2 operations: admission policies, allowed image registries, logs and cost add-ons."""
    protect: bool = True
    """Protect stateful resources (database, buckets, key stores) from `pulumi destroy`. Keep it on."""

    @field_validator("teams")
    @classmethod
    def _team_names_are_unique(cls, teams: list[Team]) -> list[Team]:
        names = [team.name for team in teams]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise problem(f"{index}.name", f"team {name!r} is listed twice; team names must be unique")
        return teams

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        """Checks against the chosen cloud (the loader skips them when the cloud itself is wrong)."""
        problems: list[tuple[str, str]] = []
        supported = self.cloud.SUPPORTED_KUBERNETES_VERSIONS
        if self.cluster.kubernetes_version not in supported:
            problems.append(
                (
                    "cluster.kubernetesVersion",
                    f"got {self.cluster.kubernetes_version!r}; {self.cloud.cloud} offers {', '.join(supported)}",
                )
            )
        problems += endpoint_reachability(self)
        problems += self.cloud.check(self)
        problems += _model_api_problems(self)
        machines = machine_type_problems(self)
        # A type of another cloud also fails the cloud's own shape check; the message naming the cloud wins.
        pools = {
            "system": self.node_pools.system,
            "cpuSpot": self.node_pools.cpu_spot,
            "gpuSpot": self.node_pools.gpu_spot,
        }
        single = {f"nodePools.{key}.machineTypes" for key, pool in pools.items() if len(pool.machine_types) == 1}
        named = {key for key, _ in machines} | ({key.rsplit(".", 1)[0] for key, _ in machines} & single)
        problems = [(key, message) for key, message in problems if key not in named] + machines
        problems += self._gpu_runtime_fits()
        if problems:
            raise cross_check_failure(problems)
        return self

    def _gpu_runtime_fits(self) -> list[tuple[str, str]]:
        """KServe's GPU runtime is sized from the GPU pool's machine types: each must be known and roomy enough."""
        # Imported here: `clouds/__init__` imports config, and the machine table is a leaf that needs neither.
        from clouds.machines import largest_pod_on_every

        if self.cloud.cloud == "local" or not self.components.kserve.enabled:
            return []
        names = self.node_pools.gpu_spot.machine_types
        fit = largest_pod_on_every(self.cloud.cloud, names)
        key = "nodePools.gpuSpot.machineTypes"
        if fit is None:
            return [
                (
                    key,
                    f"{names}: the GPU model runtime is sized from the machines' shape and "
                    f"clouds/machines.py does not know all of these on {self.cloud.cloud}; use a listed type or add it",
                )
            ]
        if fit.cpu_millicores < GPU_RUNTIME_MINIMUM_CPU_MILLICORES or fit.memory_mib < GPU_RUNTIME_MINIMUM_MEMORY_MIB:
            return [
                (
                    key,
                    f"{names} leave {fit.cpu_millicores}m CPU / {fit.memory_mib}Mi to a model server after the "
                    f"node's reservations and daemons; the GPU runtime needs at least "
                    f"{GPU_RUNTIME_MINIMUM_CPU_MILLICORES}m / {GPU_RUNTIME_MINIMUM_MEMORY_MIB}Mi: choose larger types",
                )
            ]
        return []

    @property
    def is_dev(self) -> bool:
        return self.environment == Environment.DEV

    def resource_name(self, purpose: str) -> str:
        """Stable, readable cloud names: `<prefix>-<environment>-<purpose>`."""
        return f"{self.name_prefix}-{self.environment.value}-{purpose}"

    def common_tags(self) -> dict[str, str]:
        """Tags/labels every cloud resource carries; user tags win over nothing but the managed-by marker."""
        return {
            **self.tags,
            "environment": self.environment.value,
            "platform": "mlops-platform",
            "managed-by": "pulumi",
        }


def endpoint_reachability(stack: StackConfig) -> list[tuple[str, str]]:
    """The same `pulumi up` that creates the cluster installs the platform through its API endpoint, so it must
    be able to reach it: an empty allow list (a private endpoint) needs a deployer inside the network. The rule is
    the same on every cloud; the wording is the cloud's (`CloudSettings.PRIVATE_ENDPOINT`)."""
    private_endpoint = stack.cloud.PRIVATE_ENDPOINT
    cluster = stack.cluster
    if private_endpoint is None or cluster.endpoint_allow_list or cluster.deployer_in_network:
        return []
    return [
        (
            "cluster.endpointAllowList",
            f"is empty, so {private_endpoint}; run from outside, this pulumi up could not reach it. List the "
            "egress CIDR of the machine that runs pulumi, or set cluster.deployerInNetwork: true if it runs inside",
        )
    ]


def _model_api_problems(stack: StackConfig) -> list[tuple[str, str]]:
    """Models are published only on the public gateway, which exists only when the UIs are published."""
    if stack.components.kserve.public_api and not stack.dns.publishes_uis:
        return [
            (
                "components.kserve.publicApi",
                "needs dns.domain and dns.sso: models are published on the public gateway, which exists only then",
            )
        ]
    return []
