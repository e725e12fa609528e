"""The VPC: three zones, tagged subnets, NAT egress, flow logs, an S3 gateway endpoint."""

from __future__ import annotations

import ipaddress
import json

import pytest

from config.aws import AwsSettings
from offline.harness import StackRun
from tests.clouds.aws.conftest import dev

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"


def _subnets(run: StackRun, kind: str) -> list:
    return [s for s in run.of_type(SUBNET) if s.name.startswith(f"network-{kind}-")]


def test_vpc_spans_three_zones_with_a_public_and_a_private_subnet_in_each() -> None:
    run = dev()
    for kind in ("public", "private"):
        assert sorted(s.inputs["availabilityZone"] for s in _subnets(run, kind)) == [
            "eu-west-1a",
            "eu-west-1b",
            "eu-west-1c",
        ]


def test_subnets_do_not_overlap_and_stay_inside_the_vpc() -> None:
    run = dev()
    vpc = ipaddress.IPv4Network(run.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"])
    nets = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in run.of_type(SUBNET)]
    assert all(n.subnet_of(vpc) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])


def test_private_subnets_are_tagged_for_internal_load_balancers_and_karpenter_discovery() -> None:
    for subnet in _subnets(dev(), "private"):
        assert subnet.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert subnet.inputs["tags"]["karpenter.sh/discovery"] == "mlops-dev-eks"


def test_public_subnets_host_internet_facing_load_balancers_but_give_no_public_ips() -> None:
    for subnet in _subnets(dev(), "public"):
        assert subnet.inputs["tags"]["kubernetes.io/role/elb"] == "1"
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
        assert "karpenter.sh/discovery" not in subnet.inputs["tags"]


def test_dev_shares_one_nat_gateway_between_the_zones() -> None:
    run = dev()
    assert len(run.of_type(NAT)) == 1
    private_routes = [t for t in run.of_type(ROUTE_TABLE) if "private" in t.name]
    targets = {t.inputs["routes"][0]["natGatewayId"] for t in private_routes}
    assert len(private_routes) == 3
    assert len(targets) == 1
    assert targets.pop().startswith("nat-")


def test_nat_gateway_per_az_gives_each_zone_its_own_egress(prod: StackRun) -> None:
    nats = prod.of_type(NAT)
    assert len(nats) == 3
    private_routes = [t for t in prod.of_type(ROUTE_TABLE) if "private" in t.name]
    assert len({t.inputs["routes"][0]["natGatewayId"] for t in private_routes}) == 3


def test_flow_logs_record_all_traffic_into_a_log_group_with_retention() -> None:
    run = dev()
    flow_log = run.one("aws:ec2/flowLog:FlowLog")
    log_group = run.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == log_group.outputs["arn"]
    assert log_group.inputs["retentionInDays"] == 14


def test_s3_traffic_from_private_subnets_bypasses_the_nat_gateway() -> None:
    run = dev()
    endpoint = run.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.eu-west-1.s3"
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert len(endpoint.inputs["routeTableIds"]) == 3


def test_default_security_group_admits_nothing() -> None:
    group = dev().one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")


def test_subnet_plan_puts_large_private_subnets_first() -> None:
    plan = AwsSettings().subnet_plan(ipaddress.IPv4Network("10.40.0.0/16"))
    assert plan == [
        ("10.40.0.0/19", "10.40.96.0/24"),
        ("10.40.32.0/19", "10.40.97.0/24"),
        ("10.40.64.0/19", "10.40.98.0/24"),
    ]


def test_subnet_plan_refuses_a_vpc_too_small_for_the_subnets() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        AwsSettings().subnet_plan(ipaddress.IPv4Network("10.40.0.0/18"))


def test_flow_log_role_trusts_vpc_flow_logs_only_for_this_accounts_flow_logs() -> None:
    role = dev().one("aws:iam/role:Role", "network-flow-logs")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*"},
    }


def test_dev_aggregates_flow_logs_over_ten_minutes() -> None:
    assert dev().one("aws:ec2/flowLog:FlowLog").inputs["maxAggregationInterval"] == 600
