"""`python -m offline.cost dev-aws`: the stack's monthly cost at idle and at full scale, resource by resource.

The estimate reads what the offline plan declares (every billable resource with its inputs) and prices it
from one pinned, dated list-price table per cloud (`offline/prices/<cloud>.yaml`). Two totals:

- idle: every pool at its minimum (spot pools at zero), the fixed charges (control plane, NAT, database...);
- max: every pool at its maximum, spot capacity priced at the on-demand price, the ceiling it can cost.

Charges that depend on usage (GB stored, logged or sent through NAT) are listed with their unit price and left
out of both totals. A machine type, database class or region the table does not list is reported as
"no price", never guessed; a total with such a line is marked incomplete.

`--write-docs` rewrites every `<!-- cost:<stack>:<idle|max> -->$NNN<!-- /cost -->` marker in README.md and
docs/*.md from the current stack files; a test fails when a figure is out of step.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from config import ConfigError, StackConfig, parse_stack_config
from config.loader import decode_project_config
from offline.harness import (
    ROOT_DIR,
    STAND_IN_DEPLOYER,
    DeclaredResource,
    StackRun,
    UnknownStackError,
    known_stacks,
    run_stack,
    stack_file_config,
    stack_files,
)

HOURS_PER_MONTH = 730
PRICES_DIR = Path(__file__).resolve().parent / "prices"
DOC_FILES = ("README.md", "docs/*.md")
MARKER = re.compile(r"<!-- cost:(?P<stack>[A-Za-z0-9_.-]+):(?P<which>idle|max) -->(?P<figure>.*?)<!-- /cost -->")


@dataclass(frozen=True)
class Line:
    """One billable item: a resource (or what a controller creates for it) and its monthly cost."""

    component: str
    """The plan component it belongs to (`mlops:aws:Cluster cluster`)."""
    resource: str
    """`type name` of the declared resource the charge comes from."""
    item: str
    """What bills, in words (`EKS control plane`, `2 × m6i.large`)."""
    idle: float | None
    """USD a month at idle; None when the price table has no price for it."""
    max: float | None
    """USD a month at full scale; None when the price table has no price for it."""
    basis: str = ""
    """How the figure was computed, or why there is none."""
    unpriced: tuple[str, ...] = ()
    """Types the autoscaler may pick that the table cannot price: the full-scale figure may be higher."""


@dataclass(frozen=True)
class UsageCharge:
    """A charge that grows with use and is left out of the totals."""

    item: str
    unit_price: float
    unit: str


@dataclass(frozen=True)
class Pool:
    """A node pool as the plan declares it, for the summary."""

    component: str
    name: str
    machine_types: list[str]
    min_nodes: int
    max_nodes: int
    spot: bool


@dataclass
class Estimate:
    stack: str
    cloud: str
    region: str | None
    lines: list[Line] = field(default_factory=list)
    usage: list[UsageCharge] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)
    prices: dict[str, Any] = field(default_factory=dict)
    """The table's cloud, date, sources and note (empty for a stack that bills nothing)."""
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(line.idle is not None and line.max is not None and not line.unpriced for line in self.lines)

    def total(self, which: str) -> float:
        return sum(getattr(line, which) or 0.0 for line in self.lines)

    def by_component(self) -> dict[str, tuple[float, float]]:
        totals: dict[str, tuple[float, float]] = {}
        for line in self.lines:
            idle, max_ = totals.get(line.component, (0.0, 0.0))
            totals[line.component] = (idle + (line.idle or 0.0), max_ + (line.max or 0.0))
        return totals

    def figure(self, which: str) -> str:
        """`$365`, or `$365+` when a line has no price (the real figure is higher)."""
        return f"${round(self.total(which)):,}{'' if self.complete else '+'}"

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "cloud": self.cloud,
            "region": self.region,
            "currency": "USD",
            "period": "month",
            "idle": round(self.total("idle"), 2),
            "max": round(self.total("max"), 2),
            "complete": self.complete,
            "lines": [asdict(line) for line in self.lines],
            "usageCharges": [asdict(charge) for charge in self.usage],
            "pools": [asdict(pool) for pool in self.pools],
            "prices": self.prices,
            "notes": self.notes,
        }


# ---- price tables ---------------------------------------------------------------------------------------------


@cache
def price_table(cloud: str) -> dict[str, Any]:
    path = PRICES_DIR / f"{cloud}.yaml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def region_of(config: StackConfig) -> str | None:
    settings = config.cloud
    return getattr(settings, "region", None) or getattr(settings, "location", None)


class Prices:
    """One region of one cloud's table; every lookup says what it could not find instead of guessing."""

    def __init__(self, table: dict[str, Any], region: str | None) -> None:
        self.region = region
        self.values: dict[str, Any] | None = (table.get("regions") or {}).get(region)

    def get(self, key: str, name: str | None = None) -> float | None:
        if self.values is None:
            return None
        value = self.values.get(key)
        if name is not None:
            value = value.get(name) if isinstance(value, dict) else None
        return float(value) if isinstance(value, int | float) else None

    def missing(self, what: str) -> str:
        return f"no price for {what} in {self.region}" if self.values is not None else f"no prices for {self.region}"


def _monthly(hourly: float | None, count: float = 1) -> float | None:
    return None if hourly is None else hourly * HOURS_PER_MONTH * count


def _times(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _num(value: Any, default: float = 0) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = re.match(r"^(\d+(?:\.\d+)?)", value)  # "100Gi" -> 100
        if match:
            return float(match.group(1))
    return float(default)


# ---- the estimate ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    run: StackRun
    config: StackConfig
    prices: Prices
    estimate: Estimate

    def component(self, resource: DeclaredResource) -> str:
        return component_of(self.run, resource)

    def add(
        self,
        resource: DeclaredResource,
        item: str,
        idle: float | None,
        max_: float | None,
        basis: str,
        unpriced: tuple[str, ...] = (),
    ) -> None:
        self.estimate.lines.append(
            Line(self.component(resource), f"{resource.type} {resource.name}", item, idle, max_, basis, unpriced)
        )

    def fixed(self, resource: DeclaredResource, item: str, monthly: float | None, basis: str, what: str) -> None:
        """A charge that does not scale: the same at idle and at full scale."""
        self.add(resource, item, monthly, monthly, basis if monthly is not None else self.prices.missing(what))

    def nodes(
        self,
        resource: DeclaredResource,
        pool: str,
        machine_types: list[str],
        counts: tuple[int, int],
        hourly: Callable[[str], float | None],
        spot: bool,
        disk_monthly: float | None = 0.0,
    ) -> None:
        """A pool from `counts[0]` to `counts[1]` nodes; with several types the dearest priced one sets the max."""
        low, high = counts
        self.estimate.pools.append(Pool(self.component(resource), pool, machine_types, low, high, spot))
        prices = {machine: hourly(machine) for machine in machine_types}
        priced = {m: p for m, p in prices.items() if p is not None}
        unpriced = [m for m, p in prices.items() if p is None]
        kind = "spot at the on-demand ceiling" if spot else "on-demand"
        if not priced:
            self.add(
                resource, f"{pool}: {'|'.join(machine_types)}", None, None, self.prices.missing(", ".join(unpriced))
            )
            return
        first = prices[machine_types[0]]
        cheapest = first if first is not None else min(priced.values())
        dearest = max(priced.values())
        disk = disk_monthly or 0.0
        idle = low * (cheapest * HOURS_PER_MONTH + disk)
        high_cost = high * (dearest * HOURS_PER_MONTH + disk)
        rate = f"${cheapest:g}" if cheapest == dearest else f"${cheapest:g}-{dearest:g}"
        basis = f"{low}-{high} nodes × {rate}/h, {kind}"
        if disk:
            basis += f", + ${disk:.2f}/node-month disk"
        if unpriced:
            # The autoscaler may pick a type the table cannot price: the ceiling is then unknown.
            basis += f"; {self.prices.missing(', '.join(unpriced))}"
        item = f"{pool}: {low}-{high} × {'|'.join(machine_types)}"
        self.add(resource, item, idle, high_cost, basis, tuple(unpriced) if high else ())

    def usage(self, item: str, key: str, unit: str) -> None:
        price = self.prices.get(key)
        if price is not None and all(u.item != item for u in self.estimate.usage):
            self.estimate.usage.append(UsageCharge(item, price, unit))


def component_of(run: StackRun, resource: DeclaredResource) -> str:
    """The component a summary groups `resource` under: the second level of the tree (`mlops:aws:Cluster
    cluster` under the foundation), or the top-level component for what hangs directly below it."""
    by_urn = {r.urn: r for r in run.resources}
    chain = [resource]
    while chain[-1].parent in by_urn:
        chain.append(by_urn[chain[-1].parent])
    chain.reverse()  # top-level first
    if len(chain) >= 2 and not chain[1].custom:
        return f"{chain[1].type} {chain[1].name}"
    return f"{chain[0].type} {chain[0].name}"


def stack_config(stack: str, root: Path = ROOT_DIR, overrides: Mapping[str, Any] | None = None) -> StackConfig:
    config, _ = stack_file_config(stack, root, overrides)
    return parse_stack_config(decode_project_config(config), f"Pulumi.{stack}.yaml")


def estimate(run: StackRun, config: StackConfig) -> Estimate:
    cloud = config.cloud.cloud
    region = region_of(config)
    table = price_table(cloud)
    result = Estimate(run.stack, cloud, region)
    if cloud == "local":
        result.notes.append("a local cluster bills nothing to a cloud account; its machines are yours")
        return result
    result.prices = {k: table.get(k) for k in ("cloud", "currency", "transcribed", "sources", "note")}
    context = _Context(run, config, Prices(table, region), result)
    pricers = PRICERS[cloud]
    for resource in run.resources:
        pricer = pricers.get(resource.type)
        if pricer is not None:
            pricer(context, resource)
    for cloud_wide in CLOUD_WIDE[cloud]:
        cloud_wide(context)
    return result


# ---- AWS ------------------------------------------------------------------------------------------------------


def _aws_eks(ctx: _Context, r: DeclaredResource) -> None:
    ctx.fixed(r, "EKS control plane", _monthly(ctx.prices.get("eks_cluster_hour")), "per cluster-hour", "EKS")
    ctx.usage("CloudWatch Logs ingestion (control-plane and flow logs)", "logs_ingested_gb", "GB ingested")


def _aws_launch_template_disk_gb(ctx: _Context, node_group: DeclaredResource) -> float:
    for template in ctx.run.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        if template.name == node_group.name:
            for mapping in template.get("blockDeviceMappings", []):
                return _num((mapping.get("ebs") or {}).get("volumeSize"))
    return _num(node_group.get("diskSize"), 20)


def _aws_node_group(ctx: _Context, r: DeclaredResource) -> None:
    scaling = r.get("scalingConfig", {})
    low = int(_num(scaling.get("desiredSize", scaling.get("minSize"))))
    gp3 = ctx.prices.get("ebs_gp3_gb_month")
    disk = _times(gp3, _aws_launch_template_disk_gb(ctx, r))
    ctx.nodes(
        r,
        r.name,
        list(r.get("instanceTypes", [])),
        (low, int(_num(scaling.get("maxSize"), low))),
        lambda machine: ctx.prices.get("instance_hour", machine),
        spot=r.get("capacityType") == "SPOT",
        disk_monthly=disk,
    )


def _aws_karpenter_pool(ctx: _Context, r: DeclaredResource) -> None:
    """Karpenter launches nodes at run time: none at idle, the configured pool's maximum at full scale."""
    pool = ctx.config.node_pools.gpu_spot if r.name.endswith("gpu-spot") else ctx.config.node_pools.cpu_spot
    requirements = r.get("spec.template.spec.requirements", [])
    types: list[str] = next(
        (q["values"] for q in requirements if q.get("key") == "node.kubernetes.io/instance-type"), []
    )
    capacity = next((q["values"] for q in requirements if q.get("key") == "karpenter.sh/capacity-type"), ["spot"])
    disk_gb = 0.0
    for node_class in ctx.run.of_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"):
        for mapping in node_class.get("spec.blockDeviceMappings", []):
            disk_gb = _num((mapping.get("ebs") or {}).get("volumeSize"))
    ctx.nodes(
        r,
        r.name,
        list(types or pool.machine_types),
        (0, pool.max_size),
        lambda machine: ctx.prices.get("instance_hour", machine),
        spot="on-demand" not in capacity,
        disk_monthly=_times(ctx.prices.get("ebs_gp3_gb_month"), disk_gb),
    )


def _aws_nat(ctx: _Context, r: DeclaredResource) -> None:
    ctx.fixed(r, "NAT gateway", _monthly(ctx.prices.get("nat_gateway_hour")), "per gateway-hour", "NAT gateways")
    ctx.usage("NAT gateway data processing", "nat_gateway_gb", "GB")


def _aws_eip(ctx: _Context, r: DeclaredResource) -> None:
    ctx.fixed(r, "public IPv4 address", _monthly(ctx.prices.get("public_ipv4_hour")), "per address-hour", "IPv4")


def _aws_rds(ctx: _Context, r: DeclaredResource) -> None:
    instance_class = str(r.get("instanceClass"))
    copies = 2 if r.get("multiAz") else 1
    compute = _monthly(ctx.prices.get("database_hour", instance_class), copies)
    storage = _times(ctx.prices.get("rds_gp3_gb_month"), _num(r.get("allocatedStorage"), 20) * copies)
    label = f"RDS PostgreSQL {instance_class}{' Multi-AZ' if copies == 2 else ''}"
    ctx.fixed(r, label, compute, f"{copies} × instance-hours", f"RDS {instance_class}")
    gb = int(_num(r.get("allocatedStorage"), 20))
    ctx.fixed(r, f"RDS storage {gb} GB gp3", storage, "per GB-month (backups up to this size are free)", "RDS gp3")


def _aws_kms(ctx: _Context, r: DeclaredResource) -> None:
    ctx.fixed(r, "KMS key", ctx.prices.get("kms_key_month"), "per key-month", "KMS keys")


def _aws_secret(ctx: _Context, r: DeclaredResource) -> None:
    ctx.fixed(r, "Secrets Manager secret", ctx.prices.get("secret_month"), "per secret-month", "secrets")


def _aws_endpoint(ctx: _Context, r: DeclaredResource) -> None:
    if r.get("vpcEndpointType") == "Interface":
        zones = max(1, len(r.get("subnetIds", []) or []))
        hourly = ctx.prices.get("interface_endpoint_hour")
        ctx.fixed(r, f"interface endpoint × {zones} zones", _monthly(hourly, zones), "per zone-hour", "endpoints")


def _aws_bucket(ctx: _Context, r: DeclaredResource) -> None:
    ctx.usage("S3 storage", "object_store_gb_month", "GB-month")


def _aws_registry(ctx: _Context, r: DeclaredResource) -> None:
    ctx.usage("ECR image storage", "registry_gb_month", "GB-month")


def _aws_load_balancers(ctx: _Context) -> None:
    """The NLB the AWS Load Balancer Controller creates for the gateway's LoadBalancer Service."""
    for proxy in _load_balanced_proxies(ctx.run):
        ctx.fixed(proxy, "NLB for the gateway (created by the controller)", _monthly(ctx.prices.get("nlb_hour")),
                  "per NLB-hour, plus LCUs by traffic", "NLB")  # fmt: skip


# ---- Azure ----------------------------------------------------------------------------------------------------


def _azure_pool_counts(profile: dict[str, Any]) -> tuple[int, int]:
    if profile.get("enableAutoScaling"):
        low = int(_num(profile.get("minCount"), _num(profile.get("count"))))
        return low, int(_num(profile.get("maxCount"), low))
    count = int(_num(profile.get("count"), 1))
    return count, count


def _azure_pool(ctx: _Context, r: DeclaredResource, profile: dict[str, Any], name: str) -> None:
    ctx.nodes(
        r,
        name,
        [str(profile.get("vmSize"))],
        _azure_pool_counts(profile),
        lambda size: ctx.prices.get("vm_hour", size),
        spot=profile.get("scaleSetPriority") == "Spot",
    )


def _azure_cluster(ctx: _Context, r: DeclaredResource) -> None:
    tier = str(r.get("sku.tier") or "Free")
    ctx.fixed(r, f"AKS control plane ({tier} tier)", _monthly(ctx.prices.get("aks_tier_hour", tier)),
              "per cluster-hour", f"AKS {tier}")  # fmt: skip
    for profile in r.get("agentPoolProfiles", []):
        _azure_pool(ctx, r, profile, str(profile.get("name")))
    if r.get("networkProfile.outboundType", "loadBalancer") == "loadBalancer":
        # AKS creates these itself for outbound traffic; they are not declared by the program.
        lb = _monthly(ctx.prices.get("load_balancer_hour"))
        ctx.fixed(r, "outbound Standard Load Balancer (created by AKS)", lb, "first five rules, per hour", "LB")
        ip = _monthly(ctx.prices.get("public_ip_hour"))
        ctx.fixed(r, "outbound public IP (created by AKS)", ip, "per address-hour", "public IPs")
    if r.get("addonProfiles.omsagent.enabled") or r.get("azureMonitorProfile"):
        ctx.usage("Log Analytics ingestion (Container Insights)", "logs_ingested_gb", "GB ingested")


def _azure_agent_pool(ctx: _Context, r: DeclaredResource) -> None:
    _azure_pool(ctx, r, r.inputs, r.name)


def _azure_postgres(ctx: _Context, r: DeclaredResource) -> None:
    sku = str(r.get("sku.name"))
    copies = 1 if r.get("highAvailability.mode", "Disabled") == "Disabled" else 2
    compute = _monthly(ctx.prices.get("database_hour", sku), copies)
    ctx.fixed(r, f"PostgreSQL Flexible Server {sku}{' HA' if copies == 2 else ''}", compute,
              f"{copies} × compute-hours", f"Flexible Server {sku}")  # fmt: skip
    gb = _num(r.get("storage.storageSizeGB"), 32)
    storage = _times(ctx.prices.get("postgres_storage_gb_month"), gb * copies)
    ctx.fixed(r, f"PostgreSQL storage {int(gb)} GB", storage, "per GB-month", "Flexible Server storage")


def _azure_registry(ctx: _Context, r: DeclaredResource) -> None:
    sku = str(r.get("sku.name"))
    ctx.fixed(r, f"Container Registry {sku}", ctx.prices.get("registry_month", sku), "per month", f"ACR {sku}")


def _azure_storage(ctx: _Context, r: DeclaredResource) -> None:
    ctx.usage("Blob storage", "object_store_gb_month", "GB-month")


def _azure_flow_log(ctx: _Context, r: DeclaredResource) -> None:
    ctx.usage("VNet flow logs collected", "flow_logs_gb", "GB")


def _azure_load_balancers(ctx: _Context) -> None:
    for proxy in _load_balanced_proxies(ctx.run):
        ip = _monthly(ctx.prices.get("public_ip_hour"))
        ctx.fixed(proxy, "public IP of the gateway (on the AKS load balancer)", ip, "per address-hour", "IPs")


# ---- GCP ------------------------------------------------------------------------------------------------------


def _gcp_cluster(ctx: _Context, r: DeclaredResource) -> None:
    fee = _monthly(ctx.prices.get("gke_cluster_hour"))
    ctx.fixed(r, "GKE cluster management fee", fee, "per cluster-hour", "GKE")
    location = str(r.get("location", ""))
    credit = ctx.prices.get("gke_free_tier_month")
    if re.match(r"^[a-z]+-[a-z]+\d+-[a-z]$", location) and fee is not None and credit is not None:
        ctx.fixed(r, "GKE free tier (one zonal cluster per billing account)", -min(fee, credit),
                  "assumes no other zonal cluster on the billing account uses it", "GKE")  # fmt: skip
    ctx.usage("Cloud Logging ingestion (beyond 50 GiB a project)", "logs_ingested_gb", "GiB ingested")


def _gcp_zones(ctx: _Context, pool: DeclaredResource) -> int:
    locations = pool.get("nodeLocations") or []
    if not locations:
        for cluster in ctx.run.of_type("gcp:container/cluster:Cluster"):
            zonal = re.match(r"^[a-z]+-[a-z]+\d+-[a-z]$", str(cluster.get("location", "")))
            locations = ([cluster.get("location")] if zonal else []) + list(cluster.get("nodeLocations") or [])
    return max(1, len(set(locations)) or 3)


def _gcp_pool_counts(ctx: _Context, r: DeclaredResource) -> tuple[int, int]:
    autoscaling = r.get("autoscaling") or {}
    if "totalMaxNodeCount" in autoscaling:
        return int(_num(autoscaling.get("totalMinNodeCount"))), int(_num(autoscaling["totalMaxNodeCount"]))
    zones = _gcp_zones(ctx, r)  # per-zone counts
    if "maxNodeCount" in autoscaling:
        return int(_num(autoscaling.get("minNodeCount")) * zones), int(_num(autoscaling["maxNodeCount"]) * zones)
    count = int(_num(r.get("nodeCount"), _num(r.get("initialNodeCount"), 1)) * zones)
    return count, count


def _gcp_node_pool(ctx: _Context, r: DeclaredResource) -> None:
    node = r.get("nodeConfig") or {}
    machine = str(node.get("machineType"))
    accelerators = [] if machine.startswith(("g2-", "a2-", "a3-")) else node.get("guestAccelerators") or []

    def hourly(machine_type: str) -> float | None:
        price = ctx.prices.get("machine_hour", machine_type)
        for gpu in accelerators:  # N1 GPUs bill separately; G2/A2/A3 prices include them
            gpu_price = ctx.prices.get("accelerator_hour", str(gpu.get("type")))
            price = None if price is None or gpu_price is None else price + gpu_price * _num(gpu.get("count"), 1)
        return price

    disk_type = str(node.get("diskType") or "pd-balanced").replace("-", "_")
    disk = _times(ctx.prices.get(f"{disk_type}_gb_month"), _num(node.get("diskSizeGb"), 100))
    counts = _gcp_pool_counts(ctx, r)
    ctx.nodes(r, r.name, [machine], counts, hourly, spot=bool(node.get("spot")), disk_monthly=disk)


def _gcp_sql(ctx: _Context, r: DeclaredResource) -> None:
    settings = r.get("settings") or {}
    tier = str(settings.get("tier"))
    copies = 2 if settings.get("availabilityType") == "REGIONAL" else 1
    custom = re.match(r"^db-custom-(\d+)-(\d+)$", tier)
    hourly: float | None
    if custom:
        vcpu, memory = ctx.prices.get("sql_vcpu_hour"), ctx.prices.get("sql_memory_gb_hour")
        cpus, mb = int(custom.group(1)), int(custom.group(2))
        hourly = None if vcpu is None or memory is None else cpus * vcpu + mb / 1024 * memory
    else:
        hourly = ctx.prices.get("sql_shared_core_hour", tier)
    label = f"Cloud SQL {tier}{' HA' if copies == 2 else ''}"
    ctx.fixed(r, label, _monthly(hourly, copies), f"{copies} × (vCPU + memory) hours", f"Cloud SQL {tier}")
    gb = _num(settings.get("diskSize"), 10)
    storage = _times(ctx.prices.get("sql_ssd_gb_month"), gb * copies)
    ctx.fixed(r, f"Cloud SQL storage {int(gb)} GB SSD", storage, "per GB-month", "Cloud SQL storage")


def _gcp_kms(ctx: _Context, r: DeclaredResource) -> None:
    price = ctx.prices.get("kms_key_version_month")
    ctx.fixed(r, "Cloud KMS key (active version)", price, "per version-month; each rotation adds one", "KMS")


def _gcp_secret_version(ctx: _Context, r: DeclaredResource) -> None:
    ctx.fixed(r, "Secret Manager version", ctx.prices.get("secret_version_month"), "per version-month", "secrets")


def _gcp_bucket(ctx: _Context, r: DeclaredResource) -> None:
    ctx.usage("Cloud Storage", "object_store_gb_month", "GB-month")


def _gcp_registry(ctx: _Context, r: DeclaredResource) -> None:
    ctx.usage("Artifact Registry storage", "registry_gb_month", "GB-month")


def _gcp_nat(ctx: _Context, r: DeclaredResource) -> None:
    """Cloud NAT bills per VM that uses it (up to 32) plus data: the VMs are the node pools' nodes."""
    hourly = ctx.prices.get("nat_vm_hour")
    low = sum(p.min_nodes for p in ctx.estimate.pools)
    high = sum(p.max_nodes for p in ctx.estimate.pools)
    idle, max_ = _monthly(hourly, min(low, 32)), _monthly(hourly, min(high, 32))
    basis = f"{low}-{high} VMs × ${hourly}/VM-hour" if hourly is not None else ctx.prices.missing("Cloud NAT")
    ctx.add(r, "Cloud NAT gateway", idle, max_, basis)
    ctx.usage("Cloud NAT data processing", "nat_gb", "GB")


def _gcp_cloud_wide(ctx: _Context) -> None:
    for nat in ctx.run.of_type("gcp:compute/routerNat:RouterNat"):
        _gcp_nat(ctx, nat)  # after the node pools: it is priced per node


def _load_balanced_proxies(run: StackRun) -> list[DeclaredResource]:
    return [
        proxy
        for proxy in run.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
        if proxy.get("spec.provider.kubernetes.envoyService.type") == "LoadBalancer"
    ]


Pricer = Callable[[_Context, DeclaredResource], None]
PRICERS: dict[str, dict[str, Pricer]] = {
    "aws": {
        "aws:eks/cluster:Cluster": _aws_eks,
        "aws:eks/nodeGroup:NodeGroup": _aws_node_group,
        "kubernetes:karpenter.sh/v1:NodePool": _aws_karpenter_pool,
        "aws:ec2/natGateway:NatGateway": _aws_nat,
        "aws:ec2/eip:Eip": _aws_eip,
        "aws:rds/instance:Instance": _aws_rds,
        "aws:kms/key:Key": _aws_kms,
        "aws:secretsmanager/secret:Secret": _aws_secret,
        "aws:ec2/vpcEndpoint:VpcEndpoint": _aws_endpoint,
        "aws:s3/bucket:Bucket": _aws_bucket,
        "aws:s3/bucketV2:BucketV2": _aws_bucket,
        "aws:ecr/repository:Repository": _aws_registry,
    },
    "azure": {
        "azure-native:containerservice:ManagedCluster": _azure_cluster,
        "azure-native:containerservice:AgentPool": _azure_agent_pool,
        "azure-native:dbforpostgresql:Server": _azure_postgres,
        "azure-native:containerregistry:Registry": _azure_registry,
        "azure-native:storage:StorageAccount": _azure_storage,
        "azure-native:network:FlowLog": _azure_flow_log,
    },
    "gcp": {
        "gcp:container/cluster:Cluster": _gcp_cluster,
        "gcp:container/nodePool:NodePool": _gcp_node_pool,
        "gcp:sql/databaseInstance:DatabaseInstance": _gcp_sql,
        "gcp:kms/cryptoKey:CryptoKey": _gcp_kms,
        "gcp:secretmanager/secretVersion:SecretVersion": _gcp_secret_version,
        "gcp:storage/bucket:Bucket": _gcp_bucket,
        "gcp:artifactregistry/repository:Repository": _gcp_registry,
    },
}
CLOUD_WIDE: dict[str, list[Callable[[_Context], None]]] = {
    "aws": [_aws_load_balancers],
    "azure": [_azure_load_balancers],
    "gcp": [_gcp_cloud_wide],
}


# ---- output ---------------------------------------------------------------------------------------------------


def money(value: float | None) -> str:
    return "no price" if value is None else f"${value:,.2f}"


def folded_lines(lines: list[Line]) -> list[tuple[str, float | None, float | None, str]]:
    """Identical charges in one row (`4 × KMS key`), the dearest first."""
    groups: dict[tuple[str, str], list[Line]] = {}
    for line in lines:
        groups.setdefault((line.item, line.basis), []).append(line)
    rows = []
    for (item, basis), same in groups.items():
        idle = None if any(x.idle is None for x in same) else sum(x.idle or 0.0 for x in same)
        max_ = None if any(x.max is None for x in same) else sum(x.max or 0.0 for x in same)
        rows.append((f"{len(same)} × {item}" if len(same) > 1 else item, idle, max_, basis))
    return sorted(rows, key=lambda row: (-(row[2] if row[2] is not None else float("inf")), row[0]))


def render(result: Estimate) -> list[str]:
    """The estimate as plain text lines: totals first, then every billable line, then usage charges."""
    where = f"{result.cloud} {result.region}" if result.region else result.cloud
    out = [
        f"Estimated monthly cost ({where}, USD list prices): idle {result.figure('idle')}, "
        f"full scale {result.figure('max')}"
    ]
    if result.prices:
        out.append(f"  prices: offline/prices/{result.cloud}.yaml, transcribed {result.prices.get('transcribed')}")
    out += [f"  {note}" for note in result.notes]
    rows = folded_lines(result.lines)
    if rows:
        width = max(len(item) for item, _, _, _ in rows)
        out.append(f"  {'item':<{width}}  {'idle':>11}  {'full scale':>11}  basis")
        for item, idle, max_, basis in rows:
            out.append(f"  {item:<{width}}  {money(idle):>11}  {money(max_):>11}  {basis}")
    if not result.complete:
        out.append("  Incomplete: what has no price is not in the totals (add it to the price table, with its source).")
    if result.usage:
        out.append("  Usage-based, not in the totals: " + "; ".join(
            f"{u.item} ${u.unit_price:g}/{u.unit}" for u in result.usage
        ))  # fmt: skip
    return out


def stack_estimate(stack: str, root: Path = ROOT_DIR, run: StackRun | None = None) -> Estimate:
    """The estimate for a shipped stack file. The endpoint allow list bills nothing, and no shipped file can name
    the deployer's own address, so the figures are computed with the harness's stand-in deployer CIDR."""
    overrides = STAND_IN_DEPLOYER
    return estimate(run or run_stack(stack, root, overrides), stack_config(stack, root, overrides))


# ---- the figures in the docs ----------------------------------------------------------------------------------


def doc_files(root: Path = ROOT_DIR) -> list[Path]:
    return sorted({path for pattern in DOC_FILES for path in root.glob(pattern)})


def doc_markers(root: Path = ROOT_DIR) -> list[tuple[Path, str, str, str]]:
    """(file, stack, idle|max, figure written) for every cost marker in the docs."""
    return [
        (path, m["stack"], m["which"], m["figure"])
        for path in doc_files(root)
        for m in MARKER.finditer(path.read_text())
    ]


def rewrite_docs(estimates: dict[str, Estimate], root: Path = ROOT_DIR) -> list[Path]:
    """Write each marker's figure from `estimates`; returns the files that changed."""
    changed = []
    for path in doc_files(root):
        text = path.read_text()

        def figure(match: re.Match[str]) -> str:
            result = estimates[match["stack"]]
            return f"<!-- cost:{match['stack']}:{match['which']} -->{result.figure(match['which'])}<!-- /cost -->"

        new = MARKER.sub(figure, text)
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed


def _estimates(stacks: Iterable[str], root: Path) -> dict[str, Estimate]:
    return {stack: stack_estimate(stack, root) for stack in stacks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.cost", description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", help="stack names (default with --write-docs: the stacks the docs name)")
    parser.add_argument("--all", action="store_true", help="every Pulumi.<stack>.yaml")
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON (for CI comments)")
    parser.add_argument("--write-docs", action="store_true", help="rewrite the cost markers in README.md and docs/")
    parser.add_argument("--project-dir", type=Path, default=ROOT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.project_dir
    available = stack_files(root)
    try:
        if args.write_docs:
            named = sorted({stack for _, stack, _, _ in doc_markers(root)})
            unknown = [s for s in named if s not in available]
            if unknown:
                print(
                    f"the docs name cost figures of stacks without a stack file: {', '.join(unknown)}", file=sys.stderr
                )
                return 2
            for path in rewrite_docs(_estimates(named, root), root):
                print(f"updated {path.relative_to(root)}")
            return 0
        stacks = available if args.all else args.stacks
        if not stacks:
            parser.error(f"name a stack ({', '.join(available)}), --all or --write-docs")
        results = _estimates(known_stacks(stacks, available), root)
    except (ConfigError, UnknownStackError) as error:
        print(error, file=sys.stderr)
        return 2
    if args.json:
        payload = [r.to_json() for r in results.values()]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2))
    else:
        for result in results.values():
            print(f"Stack {result.stack!r}")
            print("\n".join(render(result)))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
