"""What the platform tells the tenancy layer is derived from the components actually enabled."""

from __future__ import annotations

from clouds.contract import Flow
from config.model import Component, Components, Environment
from k8s_platform import MlopsPlatform, MlopsPlatformArgs
from k8s_platform.tenancy import PlatformServices
from offline.harness import run_program
from tests.k8s_platform.contracts import FLAVOURS, SSO_DNS


def _services(components: Components) -> PlatformServices:
    built: list[PlatformServices] = []

    def program() -> None:
        platform = MlopsPlatform(
            "platform",
            MlopsPlatformArgs(
                contract=FLAVOURS["gcs-nap"](), components=components, dns=SSO_DNS, environment=Environment.DEV
            ),
        )
        built.append(platform.services)

    run_program(program, stack="platform-services")
    return built[0]


def test_every_enabled_component_reports_its_namespaces_and_routed_uis() -> None:
    namespaces = _services(Components()).namespaces
    assert {"mlflow", "argo", "argocd", "models", "kserve", "monitoring", "envoy-gateway-system"} <= set(
        namespaces.names
    )
    assert set(namespaces.routed) == {"mlflow", "argo", "argocd", "models", "monitoring"}
    assert Flow("argo", "mlflow", (5000,)) in namespaces.flows


def test_a_disabled_component_reports_no_namespace_and_no_flow() -> None:
    namespaces = _services(
        Components(mlflow=Component(enabled=False), argo_workflows=Component(enabled=False))
    ).namespaces
    assert not {"mlflow", "argo"} & set(namespaces.names)
    assert not {"mlflow", "argo"} & set(namespaces.routed)
    assert not [f for f in namespaces.flows if {f.source, f.destination} & {"mlflow", "argo"}]


def test_cert_manager_may_self_check_http01_only_when_acme_is_configured() -> None:
    assert _services(Components()).namespaces.external_egress == {"cert-manager": (80,)}
