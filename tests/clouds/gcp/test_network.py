"""The VPC: custom mode, pod/service secondary ranges from the shared address plan, NAT, flow logs,
minimal firewall and private services access for Cloud SQL."""

from __future__ import annotations

from offline.harness import StackRun
from tests.conftest import stack_run


def gcp() -> StackRun:
    return stack_run("dev-gcp")


def test_vpc_is_custom_mode() -> None:
    assert gcp().one("gcp:compute/network:Network").inputs["autoCreateSubnetworks"] is False


def test_subnet_carries_the_shared_pod_and_service_ranges() -> None:
    subnet = gcp().one("gcp:compute/subnetwork:Subnetwork")
    assert subnet.inputs["ipCidrRange"] == "10.40.0.0/20"
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet.inputs["secondaryIpRanges"]} == {
        "pods": "10.44.0.0/14",
        "services": "10.48.0.0/20",
    }


def test_cluster_uses_the_subnet_secondary_ranges() -> None:
    policy = gcp().one("gcp:container/cluster:Cluster").inputs["ipAllocationPolicy"]
    assert policy == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}


def test_subnet_has_flow_logs_and_private_google_access() -> None:
    subnet = gcp().one("gcp:compute/subnetwork:Subnetwork")
    assert subnet.inputs["logConfig"]["flowSampling"] > 0
    assert subnet.inputs["privateIpGoogleAccess"] is True


def test_private_nodes_reach_the_internet_through_cloud_nat_on_the_subnet() -> None:
    run = gcp()
    nat = run.one("gcp:compute/routerNat:RouterNat")
    assert nat.inputs["router"] == run.one("gcp:compute/router:Router").inputs["name"]
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert nat.inputs["subnetworks"] == [
        {
            "name": "projects/acme-mlops-dev/regions/europe-west4/subnetworks/mlops-dev-nodes",
            "sourceIpRangesToNats": ["ALL_IP_RANGES"],
        }
    ]


def test_firewall_only_opens_load_balancer_health_checks() -> None:
    (rule,) = gcp().of_type("gcp:compute/firewall:Firewall")
    assert rule.inputs["direction"] == "INGRESS"
    assert sorted(rule.inputs["sourceRanges"]) == ["130.211.0.0/22", "35.191.0.0/16"]


def test_cloud_sql_peering_uses_the_reserved_private_services_range() -> None:
    run = gcp()
    address = run.one("gcp:compute/globalAddress:GlobalAddress")
    assert (address.inputs["purpose"], address.inputs["address"], address.inputs["prefixLength"]) == (
        "VPC_PEERING",
        "10.41.0.0",
        20,
    )
    connection = run.one("gcp:servicenetworking/connection:Connection")
    assert connection.inputs["reservedPeeringRanges"] == [address.inputs["name"]]


def test_flow_logs_are_kept_for_the_configured_retention() -> None:
    run = gcp()
    bucket = run.one("gcp:logging/projectBucketConfig:ProjectBucketConfig")
    assert bucket.inputs["retentionDays"] == 30
    sink = run.one("gcp:logging/projectSink:ProjectSink")
    assert sink.inputs["destination"] == f"logging.googleapis.com/{bucket.outputs['name']}"
    assert 'log_id("compute.googleapis.com/vpc_flows")' in sink.inputs["filter"]
