"""Traffic: one shared Gateway with cert-manager TLS; UIs leave the cluster only behind single sign-on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clouds.contract import Workloads
from config import ConfigError, parse_stack_config
from config.model import Components, Dns, Kserve, ModelApi
from tests.conftest import team_stack_run as stack_run
from tests.k8s_platform.contracts import DOMAIN, aws_identities, platform_run
from tests.k8s_platform.helpers import custom_resources, release_names, values

DOMAIN_WITHOUT_SSO = Dns(domain=DOMAIN, acme_email="platform@example.com")
MODEL_API = Components(
    kserve=Kserve(
        public_api=ModelApi(
            issuer="https://login.example.com/realms/mlops",
            jwks_uri="https://login.example.com/realms/mlops/protocol/openid-connect/certs",
            audiences=["models"],
        )
    )
)


def _proxy_service(run) -> dict:
    (proxy,) = custom_resources(run, "EnvoyProxy")
    return proxy.get("spec.provider.kubernetes.envoyService")


def _listeners(run) -> dict[str, dict]:
    (gateway,) = custom_resources(run, "Gateway")
    return {listener["name"]: listener for listener in gateway.get("spec.listeners")}


def _kserve_gateway(run) -> dict:
    return values(run, "kserve")["kserve"]["controller"]["gateway"]


def test_ui_routes_are_published_on_their_own_hosts_with_a_domain_and_sso() -> None:
    routes = custom_resources(platform_run("gcs-nap"), "HTTPRoute")
    hosts = {h for r in routes for h in r.get("spec.hostnames", [])}
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


def test_each_published_ui_listener_admits_routes_only_from_its_uis_namespace() -> None:
    listeners = _listeners(platform_run("gcs-nap"))
    for ui, namespace in {"mlflow": "mlflow", "argocd": "argocd", "workflows": "argo", "grafana": "monitoring"}.items():
        admits = listeners[f"https-{ui}"]["allowedRoutes"]["namespaces"]
        assert admits == {
            "from": "Selector",
            "selector": {
                "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": [namespace]}]
            },
        }


def test_no_listener_admits_routes_from_every_namespace() -> None:
    for run in (platform_run("gcs-nap"), platform_run("gcs-nap", components=MODEL_API), stack_run("dev-local")):
        for listener in _listeners(run).values():
            assert listener["allowedRoutes"]["namespaces"]["from"] != "All", listener["name"]


def test_http_listener_admits_only_the_gateways_namespace_where_acme_solvers_and_the_redirect_live() -> None:
    assert _listeners(platform_run("gcs-nap"))["http"]["allowedRoutes"] == {"namespaces": {"from": "Same"}}


def test_http_listener_only_redirects_to_https() -> None:
    run = platform_run("gcs-nap")
    on_http = [
        r
        for r in custom_resources(run, "HTTPRoute")
        if any(ref.get("sectionName") == "http" for ref in r.get("spec.parentRefs"))
    ]
    assert [r.get("spec.rules") for r in on_http] == [
        [{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}]
    ]
    assert on_http[0].get("metadata.namespace") == "envoy-gateway-system"


def test_models_get_no_route_on_a_public_gateway_unless_the_model_api_is_configured() -> None:
    gateway = _kserve_gateway(platform_run("gcs-nap"))
    assert gateway["disableIngressCreation"] is True


def test_internal_gateway_listener_admits_only_namespaces_that_serve_models() -> None:
    (listener,) = _listeners(stack_run("dev-local")).values()
    assert listener["allowedRoutes"]["namespaces"] == {
        "from": "Selector",
        "selector": {"matchLabels": {"mlops-platform/serves-models": "true"}},
    }


def test_models_namespace_and_team_namespaces_serve_models() -> None:
    labelled = {
        ns.get("metadata.name")
        for ns in stack_run("dev-aws").of_type("kubernetes:core/v1:Namespace")
        if ns.get("metadata.labels", {}).get("mlops-platform/serves-models") == "true"
    }
    assert labelled == {"models", "team-fraud", "team-search"}


def test_public_models_are_served_on_their_own_listener_behind_jwt_validation() -> None:
    run = platform_run("gcs-nap", components=MODEL_API)
    listener = _listeners(run)["https-models"]
    assert listener["hostname"] == f"*.models.{DOMAIN}"
    assert listener["allowedRoutes"]["namespaces"]["selector"] == {
        "matchLabels": {"mlops-platform/serves-models": "true"}
    }
    (jwt,) = [p for p in custom_resources(run, "SecurityPolicy") if p.get("spec.jwt")]
    assert [ref["sectionName"] for ref in jwt.get("spec.targetRefs")] == ["https-models"]
    assert jwt.get("spec.jwt.providers") == [
        {
            "name": "model-clients",
            "issuer": "https://login.example.com/realms/mlops",
            "audiences": ["models"],
            "remoteJWKS": {"uri": "https://login.example.com/realms/mlops/protocol/openid-connect/certs"},
        }
    ]


def test_public_models_are_hosted_under_the_models_subdomain_over_https() -> None:
    gateway = _kserve_gateway(platform_run("gcs-nap", components=MODEL_API))
    assert (gateway["domain"], gateway["urlScheme"], gateway["disableIngressCreation"]) == (
        f"models.{DOMAIN}",
        "https",
        False,
    )


def test_models_wildcard_certificate_is_left_to_the_user_not_to_http01() -> None:
    (gateway,) = custom_resources(platform_run("gcs-nap", components=MODEL_API), "Gateway")
    assert gateway.get("metadata.annotations")["cert-manager.io/ignore-tls-listeners"] == "https-models"
    assert _listeners(platform_run("gcs-nap", components=MODEL_API))["https-models"]["tls"]["certificateRefs"] == [
        {"kind": "Secret", "name": "models-wildcard-tls"}
    ]


def test_a_public_model_api_without_published_uis_is_a_config_error() -> None:
    raw = {
        "cloud": "local",
        "components": {
            "kserve": {"publicApi": {"issuer": "https://idp.example.com", "jwksUri": "https://idp.example.com/k"}}
        },
    }
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, "Pulumi.dev-test.yaml")
    assert any("components.kserve.publicApi: needs dns.domain and dns.sso" in str(p) for p in caught.value.problems)
