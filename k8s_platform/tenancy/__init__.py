"""Multi-team tenancy and cluster hardening: teams, network isolation, admission, logs and cost.

`Tenancy` is installed after the platform services (it needs their namespaces and, for admission, their
images to already run): every namespace it is given is isolated by default-deny NetworkPolicies, every
configured team gets its namespace, quota, RBAC and identity, and Kyverno checks every new pod.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pulumi

from clouds.contract import Flow, PlatformContract, Workloads
from config.model import Environment
from config.operations import Operations
from config.teams import Team
from k8s_platform.catalog import KYVERNO, LOKI, OPENCOST
from k8s_platform.options import ReadyComponent
from k8s_platform.placement import PlatformPods
from k8s_platform.tenancy.admission import Admission, AdmissionArgs
from k8s_platform.tenancy.network_policies import NetworkPolicies, NetworkPoliciesArgs, PlatformNamespaces
from k8s_platform.tenancy.observability import Logs, LogsArgs, OpenCost, OpenCostArgs
from k8s_platform.tenancy.teams import TeamArgs, TeamRoles, TeamTenancy

__all__ = ["PlatformNamespaces", "PlatformServices", "Prometheus", "Tenancy", "TenancyArgs"]


@dataclass(frozen=True)
class Prometheus:
    """Where OpenCost reads usage from (the monitoring component's Prometheus service)."""

    service: str = "kube-prometheus-stack-prometheus"
    port: int = 9090
    operator_crds: bool = True
    """The Prometheus Operator's CRDs exist, so add-ons may declare ServiceMonitors."""


@dataclass(frozen=True)
class PlatformServices:
    """What the platform layer (`MlopsPlatform.services`) tells Tenancy about what it installed."""

    namespaces: PlatformNamespaces
    """The namespaces the platform created and the flows its services need; Tenancy isolates each one."""
    mlflow_tracking_uri: pulumi.Input[str]
    """In-cluster MLflow URL written into each team's `mlflow` ConfigMap."""
    pods: PlatformPods
    """Placement and priority for Tenancy's own add-ons (Kyverno, Loki, Alloy, OpenCost)."""
    priority_classes: pulumi.Resource
    """The PriorityClasses, created by the platform before its own pods; Tenancy's pods wait for them too."""
    prometheus: Prometheus = field(default_factory=Prometheus)
    namespace_controllers: Sequence[pulumi.Resource] = ()
    """Controllers whose custom resources users create in team namespaces (the KServe and Argo Workflows
    releases): team namespaces wait for them, so `pulumi destroy` removes the namespaces first."""


@dataclass(frozen=True)
class TenancyArgs:
    contract: PlatformContract
    platform: PlatformServices
    teams: Sequence[Team]
    settings: Operations
    environment: Environment
    protect: bool
    """The stack's `protect`: team namespaces are protected unless the team is `forceRemove`d."""


class Tenancy(ReadyComponent):
    team_namespaces: dict[str, pulumi.Output[str]]
    """Team name -> its namespace."""

    def __init__(self, name: str, args: TenancyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        contract, platform = args.contract, args.platform
        opts = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(providers=[contract.kubernetes_provider], depends_on=list(contract.cluster_ready)),
            opts,
        )
        super().__init__("mlops:platform:Tenancy", name, opts)
        settings = args.settings
        priorities = platform.priority_classes
        after_priorities = self.child(priorities)

        roles = TeamRoles("team-roles", self.child())
        teams = {
            team.name: TeamTenancy(
                f"team-{team.name}",
                TeamArgs(
                    team=team,
                    identity=contract.identity_for(Workloads.team(team.name)),
                    mlflow_tracking_uri=platform.mlflow_tracking_uri,
                    protect=args.protect,
                    artifact_store=contract.artifact_store,
                ),
                self.child(priorities, roles, *platform.namespace_controllers),
            )
            for team in args.teams
        }
        self.team_namespaces = {team_name: t.namespace for team_name, t in teams.items()}

        own_namespaces: list[str] = []
        flows: list[Flow] = []
        add_ons: list[pulumi.Resource] = []
        if settings.admission.enabled:
            registries = [
                *([contract.registry_url] if contract.registry_url else []),
                *settings.admission.allowed_registries,
            ]
            add_ons.append(
                Admission(
                    "admission",
                    AdmissionArgs(
                        failure_action=settings.admission.failure_action(args.environment),
                        allowed_registries=registries,
                        pods=platform.pods,
                    ),
                    after_priorities,
                )
            )
            own_namespaces.append(KYVERNO.namespace)
        if settings.loki.enabled:
            add_ons.append(
                Logs("logs", LogsArgs(settings.loki, contract.default_storage_class, platform.pods), after_priorities)
            )
            own_namespaces.append(LOKI.namespace)
        if settings.opencost.enabled:
            monitoring, prometheus = platform.namespaces.monitoring, platform.prometheus
            add_ons.append(
                OpenCost(
                    "opencost",
                    OpenCostArgs(
                        cluster_name=contract.cluster_name,
                        prometheus_service=prometheus.service,
                        prometheus_namespace=monitoring,
                        prometheus_port=prometheus.port,
                        service_monitor=prometheus.operator_crds,
                        pods=platform.pods,
                    ),
                    after_priorities,
                )
            )
            own_namespaces.append(OPENCOST.namespace)
            flows.append(Flow(OPENCOST.namespace, monitoring, (prometheus.port,)))

        # The foundation's in-cluster services (local: Postgres, the S3 store) are isolated like the platform's.
        foundation = contract.in_cluster_services
        namespaces = platform.namespaces
        isolated = replace(
            namespaces,
            names=list(dict.fromkeys([*namespaces.names, *foundation.namespaces, *own_namespaces])),
            flows=[*namespaces.flows, *foundation.flows, *flows],
        )
        NetworkPolicies(
            "network-policies",
            NetworkPoliciesArgs(
                platform=isolated,
                team_namespaces=[Workloads.team(team_name).namespace for team_name in teams],
                database_port=contract.database.port,
                object_store_endpoint=contract.artifact_store.endpoint_url,
                identity_endpoints=contract.identity_endpoints,
                node_local_dns=contract.node_local_dns,
            ),
            self.child(*teams.values(), *add_ons),
        )
        self.register_outputs({"teamNamespaces": self.team_namespaces})
