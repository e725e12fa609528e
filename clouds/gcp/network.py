"""The VPC: one custom-mode network, a subnet with pod/service secondary ranges, NAT for private nodes, and
private services access so Cloud SQL gets an address inside it."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from config.model import Network as NetworkSettings

PODS_RANGE = "pods"
SERVICES_RANGE = "services"
# Google's load-balancer health checkers; Gateway/Service load balancers probe nodes from these.
HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")
MAX_LOG_RETENTION_DAYS = 3650


@dataclass(frozen=True)
class NetworkArgs:
    project: str
    region: str
    settings: NetworkSettings
    private_services_cidr: ipaddress.IPv4Network
    naming: Callable[[str], str]
    """Purpose -> stable cloud name (`StackConfig.resource_name`)."""
    node_tag: str
    """Network tag on every node (declared pools and auto-provisioned ones): the firewall rules' target."""
    control_plane_cidr: ipaddress.IPv4Network
    """The private control plane's range (`gcp.masterCidr`): where webhook calls come from."""
    webhook_ports: Sequence[int]
    """Node ports the API server calls beyond those GKE's own firewall rule opens (`clouds.webhooks`)."""
    flow_log_sampling: float = 0.5
    depends_on: Sequence[pulumi.Resource] = ()
    """The compute, service networking and logging APIs."""


class Network(pulumi.ComponentResource):
    network: gcp.compute.Network
    subnet: gcp.compute.Subnetwork
    private_services: gcp.servicenetworking.Connection
    """Cloud SQL's private IP depends on this peering."""
    webhook_firewall: gcp.compute.Firewall | None
    """Charts with webhooks must wait for this rule, or their first admission calls time out."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        settings = args.settings
        named = args.naming

        self.network = gcp.compute.Network(
            f"{name}-vpc",
            name=named("vpc"),
            project=args.project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            opts=child,
        )
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-nodes",
            name=named("nodes"),
            project=args.project,
            network=self.network.id,
            region=args.region,
            ip_cidr_range=str(settings.cidr),
            secondary_ip_ranges=[
                {"range_name": PODS_RANGE, "ip_cidr_range": str(settings.pod_cidr)},
                {"range_name": SERVICES_RANGE, "ip_cidr_range": str(settings.service_cidr)},
            ],
            # Private nodes reach Google APIs (Artifact Registry, GCS, Secret Manager) without NAT.
            private_ip_google_access=True,
            log_config={
                # Coarser aggregation and sampling keep log volume (billed per GiB ingested) low; the metadata
                # names the pods and nodes, which is what makes a flow readable.
                "aggregation_interval": "INTERVAL_1_MIN",
                "flow_sampling": args.flow_log_sampling,
                "metadata": "INCLUDE_ALL_METADATA",
            },
            opts=child,
        )

        # Flow logs land in Cloud Logging; a dedicated log bucket keeps them for the configured retention.
        flow_logs = gcp.logging.ProjectBucketConfig(
            f"{name}-flow-logs",
            project=args.project,
            location=args.region,
            bucket_id=named("flow-logs"),
            retention_days=min(settings.flow_log_retention_days, MAX_LOG_RETENTION_DAYS),
            opts=child,
        )
        gcp.logging.ProjectSink(
            f"{name}-flow-logs",
            project=args.project,
            name=named("flow-logs"),
            destination=pulumi.Output.concat("logging.googleapis.com/", flow_logs.id),
            filter=(
                f'log_id("compute.googleapis.com/vpc_flows") AND resource.labels.subnetwork_name="{named("nodes")}"'
            ),
            opts=child,
        )

        router = gcp.compute.Router(
            f"{name}-router",
            project=args.project,
            name=named("router"),
            network=self.network.id,
            region=args.region,
            opts=child,
        )
        gcp.compute.RouterNat(
            f"{name}-nat",
            name=named("nat"),
            project=args.project,
            router=router.name,
            region=args.region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[{"name": self.subnet.id, "source_ip_ranges_to_nats": ["ALL_IP_RANGES"]}],
            log_config={"enable": True, "filter": "ERRORS_ONLY"},
            opts=child,
        )

        # Custom-mode VPCs deny ingress by default and GKE adds the rules it needs for its own traffic. Two holes
        # more, both to the platform's nodes only: load-balancer health checks (unlogged: they probe every few
        # seconds), and the control plane's calls to webhooks on ports GKE's own rule (443, 10250) leaves shut.
        gcp.compute.Firewall(
            f"{name}-allow-health-checks",
            name=named("health-checks"),
            project=args.project,
            network=self.network.id,
            direction="INGRESS",
            source_ranges=list(HEALTH_CHECK_RANGES),
            target_tags=[args.node_tag],
            allows=[{"protocol": "tcp"}],
            opts=child,
        )
        self.webhook_firewall = None
        if args.webhook_ports:
            self.webhook_firewall = gcp.compute.Firewall(
                f"{name}-allow-webhooks",
                name=named("control-plane-webhooks"),
                project=args.project,
                network=self.network.id,
                direction="INGRESS",
                description="GKE control plane to admission webhooks and aggregated APIs (clouds/webhooks.py)",
                source_ranges=[str(args.control_plane_cidr)],
                target_tags=[args.node_tag],
                allows=[{"protocol": "tcp", "ports": [str(port) for port in args.webhook_ports]}],
                opts=child,
            )

        services_range = gcp.compute.GlobalAddress(
            f"{name}-private-services",
            name=named("private-services"),
            project=args.project,
            network=self.network.id,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=str(args.private_services_cidr.network_address),
            prefix_length=args.private_services_cidr.prefixlen,
            opts=child,
        )
        self.private_services = gcp.servicenetworking.Connection(
            f"{name}-private-services",
            network=self.network.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[services_range.name],
            # Cloud SQL keeps using the peering for a while after its instance is deleted, so deleting the
            # connection fails; this removes the peering instead, so the network can go too.
            deletion_policy="REMOVE_PEERING",
            opts=child,
        )
        self.register_outputs({"network": self.network.self_link, "subnet": self.subnet.self_link})
