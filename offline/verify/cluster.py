"""The whole cluster one stack would make, as data the checks read: objects, node pools, cloud network facts.

Built from one offline evaluation of the program (`offline.harness`): the Kubernetes objects it declares
itself, its Helm releases (rendered elsewhere, or read from the committed snapshot), the node pools and
firewall rules of the cloud foundation, and the controllers' run-time objects (`offline.verify.runtime`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clouds.contract import Workloads, workload_access
from config.loader import decode_project_config, parse_stack_config
from config.stack import StackConfig
from offline.harness import STAND_IN_DEPLOYER, StackRun, stack_file_config
from offline.verify import facts
from offline.verify.objects import SOURCE_ANNOTATION, Obj
from offline.verify.render import ReleaseInput

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CHART_TYPE = "kubernetes:helm.sh/v4:Chart"


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True)
class NodePool:
    """A pool of identical nodes as the scheduler sees them: labels, taints, machine types, size bounds."""

    name: str
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]
    machine_types: tuple[str, ...]
    min_size: int
    max_size: int
    system: bool = False
    """Where the platform's own controllers must land."""


@dataclass(frozen=True)
class ObjectStoreGrant:
    """What one Kubernetes service account's cloud identity may touch in the artifact store."""

    namespace: str
    service_account: str
    prefixes: tuple[str, ...]
    writes: bool


@dataclass
class Cluster:
    stack: str
    cloud: str
    kubernetes_version: str
    objects: list[Obj]
    pools: list[NodePool]
    releases: list[ReleaseInput]
    node_local_dns: str | None = None
    """Address of the node-local DNS cache pods' resolv.conf points at, where the cloud runs one."""
    control_plane_ports: frozenset[int] | None = None
    """Node ports the control plane may open on a private cluster (cloud firewall); None: any port."""
    grants: list[ObjectStoreGrant] = field(default_factory=list)
    workflow_namespaces: tuple[str, ...] = ()
    """Namespaces where Argo Workflows run pipelines (its own, and every team's)."""
    published: bool = False
    """The gateway is reachable from outside the cluster (a LoadBalancer Service)."""
    iam_actions: dict[str, set[str]] = field(default_factory=dict)
    """AWS: inline role policy (logical name) -> the actions it allows."""


def stack_config(stack: str, overrides: Mapping[str, Any] | None = None) -> StackConfig:
    settings, _ = stack_file_config(stack, overrides={**STAND_IN_DEPLOYER, **(overrides or {})})
    return parse_stack_config(decode_project_config(settings), f"Pulumi.{stack}.yaml")


def releases(run: StackRun) -> list[ReleaseInput]:
    out = []
    for res in run.of_type(RELEASE_TYPE):
        i = res.inputs
        out.append(
            ReleaseInput(
                name=i.get("name") or res.name,
                chart=i["chart"],
                version=i["version"],
                namespace=i.get("namespace") or "default",
                repository=(i.get("repositoryOpts") or {}).get("repo"),
                values=i.get("values") or {},
            )
        )
    return out


def program_objects(run: StackRun) -> list[Obj]:
    """Every Kubernetes object the program declares itself (Helm releases excluded), as a manifest."""
    out: list[Obj] = []
    for res in run.resources:
        if not res.type.startswith("kubernetes:") or res.type in (RELEASE_TYPE, CHART_TYPE):
            continue
        if res.type.startswith("kubernetes:helm.sh") or res.type.startswith("pulumi:"):
            continue
        if "kind" not in res.inputs or res.type.endswith("Patch"):
            continue  # server-side patches change an existing object: `apply_patches`
        obj = {k: v for k, v in res.inputs.items() if k not in ("__defaults",)}
        meta = dict(obj.get("metadata") or {})
        meta["annotations"] = {**(meta.get("annotations") or {}), SOURCE_ANNOTATION: f"program:{res.name}"}
        obj["metadata"] = meta
        out.append(obj)
    return out


def _merged(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        return {**base, **{key: _merged(base.get(key), value) for key, value in patch.items()}}
    return patch


def apply_patches(run: StackRun, objects: list[Obj]) -> list[Obj]:
    """The program's server-side patches (`kubernetes:apps/v1:DeploymentPatch`, ...) applied to the objects they
    name, as the API server would merge their fields into the chart's object; a patch without a target is dropped
    (the API server would refuse it, and the program's tests catch that)."""
    patches = [r for r in run.resources if r.type.startswith("kubernetes:") and r.type.endswith("Patch")]
    out = list(objects)
    for res in patches:
        meta = res.inputs.get("metadata") or {}
        kind_name = res.type.rsplit(":", 1)[1].removesuffix("Patch")
        for index, obj in enumerate(out):
            obj_meta = obj.get("metadata") or {}
            if (
                obj.get("kind") == kind_name
                and obj_meta.get("name") == meta.get("name")
                and obj_meta.get("namespace") == meta.get("namespace")
            ):
                fields = {
                    k: v for k, v in res.inputs.items() if k not in ("__defaults", "metadata", "apiVersion", "kind")
                }
                out[index] = _merged(obj, fields)
    return out


def cloud_of(run: StackRun) -> str:
    prefixes = {r.type.split(":", 1)[0] for r in run.resources}
    for cloud, prefix in (("aws", "aws"), ("azure", "azure-native"), ("gcp", "gcp")):
        if prefix in prefixes:
            return cloud
    return "local"


def _int(value: Any, default: int = 0) -> int:
    return int(value) if value is not None else default


def _taint_effect(effect: str) -> str:
    """GKE/EKS spell effects NO_SCHEDULE; Kubernetes NoSchedule."""
    return {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}.get(
        effect, effect
    )


def _taints(items: list[Any]) -> tuple[Taint, ...]:
    out = []
    for t in items or []:
        if isinstance(t, str):  # AKS: "key=value:Effect"
            kv, _, effect = t.partition(":")
            key, _, value = kv.partition("=")
            out.append(Taint(key, value, effect))
        else:
            out.append(Taint(t["key"], str(t.get("value") or ""), _taint_effect(t["effect"])))
    return tuple(out)


def pools(run: StackRun, cloud: str, config: StackConfig) -> list[NodePool]:
    """The node pools of the stack, from what the foundation declares plus what the cloud adds to them."""
    found: list[NodePool] = []
    for res in run.resources:
        i = res.inputs
        if res.type == "aws:eks/nodeGroup:NodeGroup":
            scaling = i.get("scalingConfig") or {}
            found.append(
                NodePool(
                    res.name,
                    dict(i.get("labels") or {}),
                    _taints(i.get("taints") or []),
                    tuple(i.get("instanceTypes") or ()),
                    _int(scaling.get("minSize")),
                    _int(scaling.get("maxSize")),
                    system=True,
                )
            )
        elif res.type == "kubernetes:karpenter.sh/v1:NodePool":
            template = (i.get("spec") or {}).get("template") or {}
            spec = template.get("spec") or {}
            types = next(
                (
                    tuple(r.get("values") or ())
                    for r in spec.get("requirements") or []
                    if r.get("key") == "node.kubernetes.io/instance-type"
                ),
                (),
            )
            found.append(
                NodePool(
                    f"karpenter/{(i.get('metadata') or {}).get('name')}",
                    dict((template.get("metadata") or {}).get("labels") or {}),
                    _taints(spec.get("taints") or []),
                    types,
                    0,
                    1_000,
                )
            )
        elif res.type == "azure-native:containerservice:ManagedCluster":
            for profile in i.get("agentPoolProfiles") or []:
                found.append(_aks_pool(profile, profile.get("name", "system")))
        elif res.type == "azure-native:containerservice:AgentPool":
            found.append(_aks_pool(i, i.get("agentPoolName") or res.name))
        elif res.type == "gcp:container/nodePool:NodePool":
            node = i.get("nodeConfig") or {}
            scaling = i.get("autoscaling") or {}
            node_labels = dict(node.get("labels") or {})
            taints = list(_taints(node.get("taints") or []))
            if node.get("spot"):
                node_labels.update(facts.GKE["spot_node_labels"])
            if node.get("guestAccelerators"):
                gpu_taint = facts.GKE["gpu_node_taint"]
                if not any(t.key == gpu_taint["key"] for t in taints):
                    taints.append(Taint(gpu_taint["key"], gpu_taint["value"], gpu_taint["effect"]))
            found.append(
                NodePool(
                    i.get("name") or res.name,
                    node_labels,
                    tuple(taints),
                    (node.get("machineType", ""),),
                    _int(scaling.get("totalMinNodeCount", scaling.get("minNodeCount"))),
                    _int(scaling.get("totalMaxNodeCount", scaling.get("maxNodeCount"))),
                    system=node_labels.get("mlops-platform/pool") == "system",
                )
            )
    if cloud == "local":
        node = facts.LOCAL["node"]
        found.append(NodePool("local", {}, (), (node["machine_type"],), 1, 1, system=True))
    return found


def _aks_pool(profile: Mapping[str, Any], pool_name: str) -> NodePool:
    node_labels = dict(profile.get("nodeLabels") or {})
    taints = list(_taints(profile.get("nodeTaints") or []))
    if profile.get("scaleSetPriority") == "Spot":
        # AKS adds the spot label and taint to every spot pool whether or not the request names them.
        spot = facts.AKS["spot_node_taint"]
        node_labels.setdefault(spot["key"], spot["value"])
        if not any(t.key == spot["key"] for t in taints):
            taints.append(Taint(spot["key"], spot["value"], spot["effect"]))
    return NodePool(
        pool_name,
        node_labels,
        tuple(taints),
        (profile.get("vmSize", ""),),
        _int(profile.get("minCount"), _int(profile.get("count"))),
        _int(profile.get("maxCount"), _int(profile.get("count"))),
        system=profile.get("mode") == "System",
    )


def node_local_dns(run: StackRun, cloud: str) -> str | None:
    if cloud == "gcp":
        cluster = next(iter(run.of_type("gcp:container/cluster:Cluster")), None)
        if cluster and ((cluster.inputs.get("addonsConfig") or {}).get("dnsCacheConfig") or {}).get("enabled"):
            return str(facts.GKE["node_local_dns"]["address"])
    return None


def control_plane_ports(run: StackRun, cloud: str) -> frozenset[int] | None:
    """On a GKE private cluster the control plane reaches nodes only on the ports GKE's own firewall rule
    opens, plus those of `gcp:compute/firewall:Firewall` rules from the control-plane range."""
    if cloud != "gcp":
        return None
    cluster = next(iter(run.of_type("gcp:container/cluster:Cluster")), None)
    private = (cluster.inputs.get("privateClusterConfig") or {}) if cluster else {}
    if not private.get("enablePrivateNodes"):
        return None
    master_range = private.get("masterIpv4CidrBlock")
    ports: set[int] = set(facts.GKE["private_cluster_control_plane_ports"]["ports"])
    for rule in run.of_type("gcp:compute/firewall:Firewall"):
        i = rule.inputs
        if i.get("direction", "INGRESS") != "INGRESS" or master_range not in (i.get("sourceRanges") or []):
            continue
        for allow in i.get("allows") or []:
            if allow.get("protocol") not in ("tcp", "all"):
                continue
            for port in allow.get("ports") or ["0-65535"]:
                low, _, high = str(port).partition("-")
                ports.update(range(int(low), int(high or low) + 1))
    return frozenset(ports)


def iam_actions(run: StackRun) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for res in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        policy = res.inputs.get("policy")
        document = json.loads(policy) if isinstance(policy, str) else (policy or {})
        actions: set[str] = set()
        for statement in document.get("Statement") or []:
            if statement.get("Effect") == "Allow":
                listed = statement.get("Action") or []
                actions.update([listed] if isinstance(listed, str) else listed)
        out[res.name] = actions
    return out


def grants(config: StackConfig, cloud: str) -> list[ObjectStoreGrant]:
    """Each workload's object-store access as the contract hands it to every foundation (the foundations'
    own tests check their translation into IAM, role assignments and bindings). The local store has one key
    pair for everything, so every workload may touch every path."""
    if cloud == "local":
        return []
    access = workload_access(config.object_store.artifact_prefix, config.components, config.teams)
    return [
        ObjectStoreGrant(w.namespace, w.service_account, a.artifact_prefixes, a.writes_artifacts)
        for w, a in access.items()
    ]


def build(
    stack: str,
    run: StackRun,
    chart_objects: list[Obj],
    config: StackConfig,
    *,
    runtime: bool = True,
) -> Cluster:
    from offline.verify.runtime import runtime_objects

    cloud = cloud_of(run)
    objects = apply_patches(run, program_objects(run) + list(chart_objects))
    cluster = Cluster(
        stack=stack,
        cloud=cloud,
        kubernetes_version=config.cluster.kubernetes_version,
        objects=objects,
        pools=pools(run, cloud, config),
        releases=releases(run),
        node_local_dns=node_local_dns(run, cloud),
        control_plane_ports=control_plane_ports(run, cloud),
        grants=grants(config, cloud),
        workflow_namespaces=(
            (Workloads.ARGO_WORKFLOWS.namespace, *(Workloads.team(t.name).namespace for t in config.teams))
            if config.components.argo_workflows.enabled
            else ()
        ),
        published=config.dns.publishes_uis,
        iam_actions=iam_actions(run),
    )
    if runtime:
        cluster.objects += runtime_objects(cluster)
    return cluster
