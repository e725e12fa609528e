"""Default-deny NetworkPolicies in every platform and team namespace, plus the few flows the platform needs.

Every namespace gets `default-deny` (ingress and egress) and then only these allows: its own pods, DNS to
kube-system, HTTPS to the API server and cloud APIs (never the metadata endpoint), and scraping from the
monitoring namespace. On top: the gateway reaches UIs and inference services, teams and pipelines reach
MLflow, MLflow reaches its database and object store, and platform webhooks accept the API server's calls.

Standard NetworkPolicy cannot name a managed control plane or a cloud API by address, so "API server and
cloud APIs" is TCP 443/6443 to any address except 169.254.169.254: the cloud's instance metadata endpoint
would hand node credentials to any pod that reaches it, and team pods must use their own identity instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import Flow, LinkLocalEndpoint, NodeLocalDns, Workloads
from k8s_platform.options import ReadyComponent
from k8s_platform.tenancy.teams import TENANT_LABEL

METADATA_ENDPOINT = "169.254.169.254/32"
ANYWHERE = "0.0.0.0/0"
API_SERVER_PORTS = (443, 6443)
HTTPS = 443
NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by Kubernetes on every namespace: lets a policy select a namespace by name."""

Spec = Any
"""A NetworkPolicySpec as plain data (snake_case keys, as the SDK accepts)."""


@dataclass(frozen=True)
class PlatformNamespaces:
    """The namespaces the platform layer owns and the traffic between them that is not the default."""

    names: Sequence[str]
    """Every namespace the platform layer (and foundation) created; each gets default-deny."""
    gateway: str
    """Where the shared Gateway's proxies run: open to the world, may reach routed and team namespaces."""
    monitoring: str
    """Prometheus and Grafana: may reach every namespace; every namespace accepts it (scraping)."""
    routed: Sequence[str] = ()
    """Namespaces with UIs or inference services behind the gateway (MLflow, Argo, ArgoCD, Grafana, models)."""
    mlflow: str = Workloads.MLFLOW.namespace
    mlflow_port: int = 5000
    flows: Sequence[Flow] = ()
    """Anything else, e.g. `Flow("mlflow", "database", (5432,))` for an in-cluster database."""
    external_egress: Mapping[str, Sequence[int]] = field(default_factory=dict)
    """Namespace -> extra TCP ports it may open to addresses outside the cluster, e.g. cert-manager's HTTP-01
    self-check on 80 or Argo CD's SSH Git on 22 (HTTPS, 443, is open to every namespace already)."""
    webhook_ports: Sequence[int] = (6443, 8443, 9443, 10250)
    """Container ports admission webhooks and aggregated APIs (KEDA's metrics server) listen on; the API
    server calls them from an address NetworkPolicy cannot name, so any source may reach these ports."""


@dataclass(frozen=True)
class NetworkPoliciesArgs:
    platform: PlatformNamespaces
    team_namespaces: Sequence[str]
    database_port: int
    object_store_endpoint: pulumi.Input[str] | None = None
    """S3-compatible in-cluster store (local): its port is opened for MLflow too; cloud stores are HTTPS."""
    identity_endpoints: Sequence[LinkLocalEndpoint] = ()
    """Link-local endpoints workloads need for their cloud identity: the contract's `identity_endpoints`."""
    node_local_dns: NodeLocalDns | None = None
    """The contract's node-local DNS cache, where the cloud runs one: DNS is allowed to it as well."""


def _ports(ports: Sequence[Any], protocol: str = "TCP") -> list[dict[str, Any]]:
    return [{"protocol": protocol, "port": port} for port in ports]


def _namespaces(*names: str) -> dict[str, Any]:
    return {"namespace_selector": {"match_expressions": [{"key": NAME_LABEL, "operator": "In", "values": list(names)}]}}


TEAM_NAMESPACES = {"namespace_selector": {"match_labels": {TENANT_LABEL: "true"}}}
OUTSIDE_EXCEPT_METADATA = {"ip_block": {"cidr": ANYWHERE, "except": [METADATA_ENDPOINT]}}


def egress(to: list[dict[str, Any]], ports: Sequence[Any] = ()) -> Spec:
    rule: dict[str, Any] = {"to": to}
    if ports:
        rule["ports"] = _ports(ports)
    return {"pod_selector": {}, "policy_types": ["Egress"], "egress": [rule]}


def ingress(sources: list[dict[str, Any]] | None, ports: Sequence[Any] = ()) -> Spec:
    """`sources=None` admits any source (the port list is then the only restriction)."""
    rule: dict[str, Any] = {} if sources is None else {"from": sources}
    if ports:
        rule["ports"] = _ports(ports)
    return {"pod_selector": {}, "policy_types": ["Ingress"], "ingress": [rule]}


def _dns_servers(cache: NodeLocalDns | None) -> list[dict[str, Any]]:
    """The cluster DNS pods and, where the cloud runs one, the node-local cache: its hostNetwork pods and the
    link-local address pods' queries are answered on."""
    servers: list[dict[str, Any]] = [
        {**_namespaces("kube-system"), "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}}}
    ]
    if cache is not None:
        servers += [
            {**_namespaces(cache.namespace), "pod_selector": {"match_labels": dict(cache.pod_labels)}},
            {"ip_block": {"cidr": f"{cache.address}/32"}},
        ]
    return servers


def baseline_policies(namespace: str, args: NetworkPoliciesArgs) -> dict[str, Spec]:
    """What every namespace, platform or team, gets."""
    platform = args.platform
    policies: dict[str, Spec] = {
        "default-deny": {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
        "allow-same-namespace": {
            "pod_selector": {},
            "policy_types": ["Ingress", "Egress"],
            "ingress": [{"from": [{"pod_selector": {}}]}],
            "egress": [{"to": [{"pod_selector": {}}]}],
        },
        "allow-dns": {
            "pod_selector": {},
            "policy_types": ["Egress"],
            "egress": [{"to": _dns_servers(args.node_local_dns), "ports": _ports([53], "UDP") + _ports([53], "TCP")}],
        },
        "allow-api-server-and-cloud-apis": egress([OUTSIDE_EXCEPT_METADATA], API_SERVER_PORTS),
    }
    if namespace != platform.monitoring:
        policies["allow-from-monitoring"] = ingress([_namespaces(platform.monitoring)])
    if args.identity_endpoints:
        policies["allow-workload-identity"] = {
            "pod_selector": {},
            "policy_types": ["Egress"],
            "egress": [
                {"to": [{"ip_block": {"cidr": e.cidr}}], "ports": _ports([e.port], e.protocol)}
                for e in args.identity_endpoints
            ],
        }
    return policies


def team_policies(args: NetworkPoliciesArgs) -> dict[str, Spec]:
    """A team namespace: served through the gateway, logs to MLflow; nothing else beyond the baseline."""
    platform = args.platform
    return {
        "allow-from-gateway": ingress([_namespaces(platform.gateway)]),
        "allow-to-mlflow": egress([_namespaces(platform.mlflow)], [platform.mlflow_port]),
    }


def platform_policies(namespace: str, args: NetworkPoliciesArgs) -> dict[str, Spec]:
    platform = args.platform
    policies: dict[str, Spec] = {"allow-webhooks": ingress(None, platform.webhook_ports)}
    if namespace in platform.routed:
        policies["allow-from-gateway"] = ingress([_namespaces(platform.gateway)])
    if namespace == platform.gateway:
        policies["allow-ingress-from-anywhere"] = ingress(None)
        policies["allow-to-routed-services"] = egress([_namespaces(*platform.routed), TEAM_NAMESPACES])
    if namespace == platform.monitoring:
        # Pods in every namespace, plus node agents on host networking (kubelet, node-exporter) and alert receivers.
        policies["allow-scrape-everything"] = egress([{"namespace_selector": {}}, OUTSIDE_EXCEPT_METADATA])
    if namespace in platform.external_egress:
        policies["allow-external-egress"] = egress([OUTSIDE_EXCEPT_METADATA], platform.external_egress[namespace])
    if namespace == platform.mlflow:
        clients = [TEAM_NAMESPACES]
        policies["allow-from-teams"] = ingress(clients, [platform.mlflow_port])
        store_ports: list[Any] = [args.database_port, HTTPS]
        if args.object_store_endpoint is not None:
            store_ports.append(pulumi.Output.from_input(args.object_store_endpoint).apply(_port_of))
        # In-cluster stores (local) are pods, which ipBlock does not reliably match: name them as pods too.
        policies["allow-to-database-and-object-store"] = egress(
            [OUTSIDE_EXCEPT_METADATA, {"namespace_selector": {}}], store_ports
        )
    for flow in platform.flows:
        if flow.source == namespace:
            policies[f"allow-to-{flow.destination}"] = egress([_namespaces(flow.destination)], flow.ports)
        if flow.destination == namespace:
            policies[f"allow-from-{flow.source}"] = ingress([_namespaces(flow.source)], flow.ports)
    return policies


def _port_of(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def policies_by_namespace(args: NetworkPoliciesArgs) -> dict[str, dict[str, Spec]]:
    """Namespace -> policy name -> NetworkPolicy spec: the whole design as data, in one place to test."""
    out: dict[str, dict[str, Spec]] = {}
    for ns in args.platform.names:
        out[ns] = {**baseline_policies(ns, args), **platform_policies(ns, args)}
    for ns in args.team_namespaces:
        out[ns] = {**baseline_policies(ns, args), **team_policies(args)}
    return out


class NetworkPolicies(ReadyComponent):
    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:NetworkPolicies", name, opts)
        child = self.child()
        for ns, policies in policies_by_namespace(args).items():
            for policy_name, spec in policies.items():
                k8s.networking.v1.NetworkPolicy(
                    f"{ns}-{policy_name}",
                    metadata={"name": policy_name, "namespace": ns},
                    spec=spec,
                    opts=child,
                )
        self.register_outputs({})
