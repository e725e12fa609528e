"""The VPC: custom mode, pod/service secondary ranges from the shared address plan, NAT, flow logs,
minimal firewall and private services access for Cloud SQL."""

from __future__ import annotations

from offline.harness import DeclaredResource, StackRun
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


NODE_TAG = "mlops-dev-nodes"


def test_firewall_opens_only_health_checks_and_control_plane_webhooks() -> None:
    rules = {rule.name: rule for rule in gcp().of_type("gcp:compute/firewall:Firewall")}
    assert set(rules) == {"network-allow-health-checks", "network-allow-webhooks"}
    assert all(rule.inputs["direction"] == "INGRESS" for rule in rules.values())


def test_health_checks_reach_only_the_platform_nodes_and_are_not_logged() -> None:
    rule = gcp().one("gcp:compute/firewall:Firewall", "network-allow-health-checks")
    assert sorted(rule.inputs["sourceRanges"]) == ["130.211.0.0/22", "35.191.0.0/16"]
    assert rule.inputs["targetTags"] == [NODE_TAG]
    assert "logConfig" not in rule.inputs


def test_control_plane_reaches_the_webhook_ports_gke_leaves_shut_on_the_platform_nodes() -> None:
    rule = gcp().one("gcp:compute/firewall:Firewall", "network-allow-webhooks")
    assert rule.inputs["sourceRanges"] == ["172.16.0.0/28"]
    assert rule.inputs["targetTags"] == [NODE_TAG]
    # KEDA's metrics API (6443); KServe, Kyverno, KEDA's and Envoy Gateway's webhooks (9443). cert-manager,
    # External Secrets and prometheus-operator serve on 10250, which GKE's own rule opens.
    assert rule.inputs["allows"] == [{"protocol": "tcp", "ports": ["6443", "9443"]}]


def test_every_node_carries_the_tag_the_firewall_rules_target() -> None:
    run = gcp()
    pools = run.of_type("gcp:container/nodePool:NodePool")
    assert pools and all(pool.inputs["nodeConfig"]["tags"] == [NODE_TAG] for pool in pools)
    cluster = run.one("gcp:container/cluster:Cluster").inputs
    assert cluster["nodePoolAutoConfig"] == {"networkTags": {"tags": [NODE_TAG]}}
    assert cluster["nodeConfig"]["tags"] == [NODE_TAG]


def test_private_services_connection_gives_up_its_peering_when_cloud_sql_still_holds_it() -> None:
    assert gcp().one("gcp:servicenetworking/connection:Connection").inputs["deletionPolicy"] == "REMOVE_PEERING"


def test_flow_logs_sample_the_share_the_stack_sets() -> None:
    log = gcp().one("gcp:compute/subnetwork:Subnetwork").inputs["logConfig"]
    assert log["flowSampling"] == 0.1
    assert log["aggregationInterval"] == "INTERVAL_1_MIN"


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


def waits_for(run: StackRun, resource: DeclaredResource, other: DeclaredResource) -> bool:
    """`resource` waits for `other`, directly or through what it waits for."""
    seen, todo = set(), [resource]
    while todo:
        current = todo.pop()
        if run.depends_on(current, other):
            return True
        for urn in set(current.dependencies) - seen:
            seen.add(urn)
            if any(r.urn == urn for r in run.resources):
                todo.append(run.by_urn(urn))
    return False


def test_charts_with_webhooks_wait_for_the_control_plane_rule() -> None:
    run = gcp()
    rule = run.one("gcp:compute/firewall:Firewall", "network-allow-webhooks")
    for release in ("kserve", "kyverno", "keda"):
        assert waits_for(run, run.one("kubernetes:helm.sh/v3:Release", release), rule), release
