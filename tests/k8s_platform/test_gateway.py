"""Traffic: one shared Gateway with cert-manager TLS; UIs leave the cluster only behind single sign-on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clouds.contract import Workloads
from config.model import Dns
from tests.conftest import stack_run
from tests.k8s_platform.contracts import DOMAIN, aws_identities, platform_run
from tests.k8s_platform.helpers import custom_resources, release_names, values

DOMAIN_WITHOUT_SSO = Dns(domain=DOMAIN, acme_email="platform@example.com")


def _proxy_service(run) -> dict:
    (proxy,) = custom_resources(run, "EnvoyProxy")
    return proxy.get("spec.provider.kubernetes.envoyService")


def test_ui_routes_are_published_on_their_own_hosts_with_a_domain_and_sso() -> None:
    hosts = {h for r in custom_resources(platform_run("gcs-nap"), "HTTPRoute") for h in r.get("spec.hostnames")}
    assert hosts == {f"{ui}.{DOMAIN}" for ui in ("mlflow", "argocd", "workflows", "grafana")}


def test_every_published_listener_requires_oidc_login() -> None:
    run = platform_run("gcs-nap")
    (policy,) = custom_resources(run, "SecurityPolicy")
    (gateway,) = custom_resources(run, "Gateway")
    https = {listener["name"] for listener in gateway.get("spec.listeners") if listener["protocol"] == "HTTPS"}
    assert {ref["sectionName"] for ref in policy.get("spec.targetRefs")} == https
    assert policy.get("spec.oidc.provider.issuer") == "https://login.example.com/realms/mlops"


def test_uis_stay_internal_without_single_sign_on() -> None:
    run = platform_run("gcs-nap", dns=DOMAIN_WITHOUT_SSO)
    assert not custom_resources(run, "HTTPRoute")
    assert _proxy_service(run)["type"] == "ClusterIP"


def test_local_stack_publishes_nothing() -> None:
    run = stack_run("dev-local")
    assert not custom_resources(run, "HTTPRoute")
    assert _proxy_service(run)["type"] == "ClusterIP"


def test_published_gateway_gets_the_contracts_load_balancer_annotations() -> None:
    service = _proxy_service(platform_run("aws-karpenter"))
    assert service["type"] == "LoadBalancer"
    assert service["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-type": "external"}


def test_aws_load_balancer_controller_runs_only_where_the_contract_asks_for_it() -> None:
    assert "aws-load-balancer-controller" in release_names(platform_run("aws-karpenter"))
    assert "aws-load-balancer-controller" not in release_names(platform_run("gcs-nap"))


def test_aws_load_balancer_controller_uses_its_identity_and_cluster_settings() -> None:
    controller = values(platform_run("aws-karpenter"), "aws-load-balancer-controller")
    workload = Workloads.AWS_LOAD_BALANCER_CONTROLLER
    assert controller["serviceAccount"]["annotations"] == aws_identities()[workload.name].service_account_annotations
    assert (controller["clusterName"], controller["region"], controller["vpcId"]) == ("mlops-dev", "eu-west-1", "vpc-1")


def test_published_gateway_certificates_come_from_lets_encrypt() -> None:
    (gateway,) = custom_resources(platform_run("gcs-nap"), "Gateway")
    assert gateway.get("metadata.annotations")["cert-manager.io/cluster-issuer"] == "letsencrypt-staging"


def test_internal_gateway_uses_the_self_signed_issuer() -> None:
    (gateway,) = custom_resources(stack_run("dev-local"), "Gateway")
    assert gateway.get("metadata.annotations")["cert-manager.io/cluster-issuer"] == "selfsigned"


def test_acme_staging_and_production_issuers_exist_with_a_domain() -> None:
    issuers = {i.get("metadata.name") for i in custom_resources(platform_run("gcs-nap"), "ClusterIssuer")}
    assert issuers == {"selfsigned", "letsencrypt-staging", "letsencrypt-production"}


def test_only_the_self_signed_issuer_exists_without_a_domain() -> None:
    issuers = {i.get("metadata.name") for i in custom_resources(stack_run("dev-local"), "ClusterIssuer")}
    assert issuers == {"selfsigned"}


def test_single_sign_on_without_a_domain_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match=r"needs dns\.domain"):
        Dns(sso={"issuer": "https://login.example.com", "clientId": "mlops"})
