"""Every namespace is default-deny; the only allowed flows are the platform's; team pods never reach metadata."""

from __future__ import annotations

import ipaddress

from k8s_platform.tenancy.network_policies import METADATA_ENDPOINT
from tests.conftest import stack_run
from tests.k8s_platform.helpers import published_run
from tests.k8s_platform.tenancy.scenarios import PLATFORM_NAMESPACES, TEAMS, dev_run

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
TEAM_NAMESPACES = [f"team-{t.name}" for t in TEAMS]
OWN_NAMESPACES = ["kyverno", "logging", "opencost"]
METADATA = ipaddress.IPv4Network(METADATA_ENDPOINT)


def _policies(namespace: str) -> dict[str, dict]:
    return {
        p.get("metadata.name"): p.get("spec")
        for p in dev_run().of_type(POLICY)
        if p.get("metadata.namespace") == namespace
    }


def _namespaces_of(peer: dict) -> list[str]:
    return peer["namespaceSelector"]["matchExpressions"][0]["values"]


def test_every_platform_team_and_add_on_namespace_has_default_deny():
    for namespace in [*PLATFORM_NAMESPACES.names, *OWN_NAMESPACES, *TEAM_NAMESPACES]:
        deny = _policies(namespace).get("default-deny")
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, namespace


def test_team_egress_never_reaches_the_metadata_endpoint():
    for namespace in TEAM_NAMESPACES:
        for name, spec in _policies(namespace).items():
            for rule in spec.get("egress", []):
                assert rule.get("to"), f"{namespace}/{name} allows egress to every destination"
                for peer in rule["to"]:
                    if "ipBlock" in peer and METADATA.subnet_of(ipaddress.IPv4Network(peer["ipBlock"]["cidr"])):
                        assert METADATA_ENDPOINT in peer["ipBlock"].get("except", []), f"{namespace}/{name}"


def test_dns_is_allowed_to_kube_dns_in_kube_system_only():
    rule = _policies("team-vision")["allow-dns"]["egress"][0]
    assert _namespaces_of(rule["to"][0]) == ["kube-system"]
    assert rule["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert {(p["protocol"], p["port"]) for p in rule["ports"]} == {("UDP", 53), ("TCP", 53)}


def test_only_the_gateway_accepts_any_source_on_any_port():
    open_to_all = [
        (p.get("metadata.namespace"), p.get("metadata.name"))
        for p in dev_run().of_type(POLICY)
        for rule in p.get("spec.ingress", [])
        if "from" not in rule and "ports" not in rule
    ]
    assert open_to_all == [(PLATFORM_NAMESPACES.gateway, "allow-ingress-from-anywhere")]


def test_team_workloads_reach_mlflow_and_mlflow_admits_them():
    egress = _policies("team-nlp")["allow-to-mlflow"]["egress"][0]
    assert _namespaces_of(egress["to"][0]) == ["mlflow"] and egress["ports"] == [{"protocol": "TCP", "port": 5000}]
    ingress = _policies("mlflow")["allow-from-teams"]["ingress"][0]
    assert ingress["from"] == [{"namespaceSelector": {"matchLabels": {"mlops-platform/tenant": "true"}}}]


def test_mlflow_reaches_its_database_and_object_store():
    rule = _policies("mlflow")["allow-to-database-and-object-store"]["egress"][0]
    assert {p["port"] for p in rule["ports"]} == {5432, 443}


def test_prometheus_scrapes_every_namespace():
    (rule,) = _policies("monitoring")["allow-scrape-everything"]["egress"]
    assert rule["to"][0] == {"namespaceSelector": {}} and "ports" not in rule
    for namespace in ["mlflow", "kyverno", *TEAM_NAMESPACES]:
        rule = _policies(namespace)["allow-from-monitoring"]["ingress"][0]
        assert _namespaces_of(rule["from"][0]) == ["monitoring"], namespace


def test_gateway_reaches_uis_and_team_inference_services():
    to = _policies(PLATFORM_NAMESPACES.gateway)["allow-to-routed-services"]["egress"][0]["to"]
    assert _namespaces_of(to[0]) == list(PLATFORM_NAMESPACES.routed)
    assert to[1] == {"namespaceSelector": {"matchLabels": {"mlops-platform/tenant": "true"}}}
    assert "allow-from-gateway" in _policies("team-vision") and "allow-from-gateway" in _policies("mlflow")
    assert "allow-from-gateway" not in _policies("cert-manager")


def test_pods_reach_the_pod_identity_agent_when_the_cloud_uses_it():
    rule = _policies("team-vision")["allow-workload-identity"]["egress"][0]
    assert rule == {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"protocol": "TCP", "port": 80}]}


def test_platform_webhooks_accept_the_api_server():
    rule = _policies("kyverno")["allow-webhooks"]["ingress"][0]
    assert "from" not in rule and {"protocol": "TCP", "port": 9443} in rule["ports"]


def test_opencost_reaches_prometheus_on_both_sides():
    assert _policies("opencost")["allow-to-monitoring"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 9090}]
    assert _namespaces_of(_policies("monitoring")["allow-from-opencost"]["ingress"][0]["from"][0]) == ["opencost"]


def _stack_policy(stack: str, namespace: str, name: str) -> dict:
    (policy,) = [
        p
        for p in stack_run(stack).of_type(POLICY)
        if p.get("metadata.namespace") == namespace and p.get("metadata.name") == name
    ]
    return policy.get("spec")


def test_dns_reaches_gkes_node_local_cache_pods_and_its_link_local_address():
    (rule,) = _stack_policy("dev-gcp", "team-vision", "allow-dns")["egress"]
    assert {"ipBlock": {"cidr": "169.254.20.10/32"}} in rule["to"]
    cache_pods = [
        peer for peer in rule["to"] if peer.get("podSelector") == {"matchLabels": {"k8s-app": "node-local-dns"}}
    ]
    assert [_namespaces_of(peer) for peer in cache_pods] == [["kube-system"]]


def test_dns_reaches_only_the_cluster_dns_pods_where_the_cloud_runs_no_node_local_cache():
    for stack in ("dev-aws", "dev-azure", "dev-local"):
        (rule,) = _stack_policy(stack, "mlflow", "allow-dns")["egress"]
        assert [peer["podSelector"] for peer in rule["to"]] == [{"matchLabels": {"k8s-app": "kube-dns"}}], stack


def test_cert_manager_self_check_reaches_the_envoy_pods_behind_listener_80_where_the_lb_ip_short_circuits():
    run = published_run("dev-gcp")
    egress = [p for p in run.of_type(POLICY) if p.get("metadata.name") == "allow-to-envoy-gateway-system"]
    (spec,) = [p.get("spec") for p in egress if p.get("metadata.namespace") == "cert-manager"]
    assert spec["egress"][0]["ports"] == [{"protocol": "TCP", "port": 10080}]
    assert _namespaces_of(spec["egress"][0]["to"][0]) == ["envoy-gateway-system"]


def test_keda_on_helm_gets_egress_to_prometheus_and_prometheus_admits_it():
    assert _stack_policy("dev-aws", "keda", "allow-to-monitoring")["egress"][0]["ports"] == [
        {"protocol": "TCP", "port": 9090}
    ]
    assert _stack_policy("dev-aws", "monitoring", "allow-from-keda")["ingress"][0]["ports"] == [
        {"protocol": "TCP", "port": 9090}
    ]


def test_prometheus_admits_akss_keda_add_on_from_kube_system():
    (rule,) = _stack_policy("dev-azure", "monitoring", "allow-from-kube-system")["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9090}]
    assert _namespaces_of(rule["from"][0]) == ["kube-system"]


ARGOCD_CHART_NETWORK_POLICY_DEFAULT = {"chart": "argo-cd", "version": "10.1.1", "global.networkPolicy.create": True}
"""Fact from argoproj/argo-helm, tag argo-cd-10.1.1, charts/argo-cd/values.yaml: every component's NetworkPolicy is
rendered unless turned off, argocd-server's with `ingress: [{}]` (templates/argocd-server/networkpolicy.yaml)."""


def test_argocd_chart_renders_none_of_its_own_network_policies():
    from k8s_platform.catalog import ARGOCD
    from tests.k8s_platform.helpers import values

    assert ARGOCD.version == ARGOCD_CHART_NETWORK_POLICY_DEFAULT["version"]
    assert values(stack_run("dev-aws"), "argocd")["global"]["networkPolicy"] == {"create": False}
