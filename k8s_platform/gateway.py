"""Traffic: Envoy Gateway, the one shared Gateway with cert-manager TLS, UI routes and single sign-on.

The gateway is reachable from outside only when the UIs are published behind OIDC single sign-on
(`dns.domain` and `dns.sso` set); otherwise its Service is ClusterIP and users port-forward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import Ingress, LoadBalancerProvisioner, WorkloadIdentity, Workloads
from config.model import Component, Dns
from k8s_platform.catalog import AWS_LOAD_BALANCER_CONTROLLER, ENVOY_GATEWAY
from k8s_platform.cert_manager import GATEWAY_NAME, gateway_issuer
from k8s_platform.external_secrets import ExternalSecrets
from k8s_platform.helm import helm_release, pinned
from k8s_platform.namespace import namespace, namespace_name
from k8s_platform.options import children_of
from k8s_platform.placement import PlatformPods
from k8s_platform.sizing import SIZES

GATEWAY_CLASS = "envoy"
PROXY_NAME = "platform-proxy"
INTERNAL_DOMAIN = "mlops.internal"
"""Host suffix when nothing is published: in-cluster names only, under a self-signed wildcard certificate."""
PROXY_LABELS = {"app.kubernetes.io/component": "proxy", "gateway.envoyproxy.io/owning-gateway-name": GATEWAY_NAME}
"""Labels Envoy Gateway puts on the shared Gateway's proxy pods."""
LOAD_BALANCER_CONTROLLER_LABELS = {"app.kubernetes.io/name": "aws-load-balancer-controller"}
GATEWAY_API = "gateway.networking.k8s.io/v1"
ENVOY_API = "gateway.envoyproxy.io/v1alpha1"


@dataclass(frozen=True)
class PublishedUi:
    """A UI behind the gateway: its host prefix and the Service that serves it."""

    name: str
    namespace: str
    service: str
    port: int

    def host(self, domain: str) -> str:
        return f"{self.name}.{domain}"


@dataclass(frozen=True)
class GatewayArgs:
    component: Component
    ingress: Ingress
    dns: Dns
    uis: Sequence[PublishedUi]
    load_balancer_identity: WorkloadIdentity
    secrets: ExternalSecrets | None
    pods: PlatformPods


class Gateway(pulumi.ComponentResource):
    """Envoy Gateway, its GatewayClass and proxy settings, the shared Gateway, and (when published) UI routes."""

    release: k8s.helm.v3.Release
    gateway: k8s.apiextensions.CustomResource
    routes: list[k8s.apiextensions.CustomResource]

    def __init__(self, name: str, args: GatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:Gateway", name, None, opts)
        child = children_of(self, opts)
        published = args.dns.publishes_uis
        ns = namespace(ENVOY_GATEWAY.namespace, child, pod_security="baseline")
        gateway_ns = namespace_name(ns)
        pods = args.pods
        placed = {"tolerations": pods.tolerations(), "affinity": pods.affinity()}
        self.release = helm_release(
            "envoy-gateway",
            ENVOY_GATEWAY,
            {
                "deployment": {"priorityClassName": pods.priority_class, "pod": placed},
                "certgen": {"job": {**placed, "resources": SIZES["envoy-gateway-certgen"]}},
            },
            child,
            version=pinned(ENVOY_GATEWAY, args.component),
            namespace=gateway_ns,
        )
        if published and args.ingress.load_balancer == LoadBalancerProvisioner.AWS_LOAD_BALANCER_CONTROLLER:
            # Without it the in-tree controller would make a Classic ELB that ignores the NLB annotations.
            helm_release(
                "aws-load-balancer-controller",
                AWS_LOAD_BALANCER_CONTROLLER,
                {
                    **dict(args.ingress.load_balancer_controller_settings),
                    "serviceAccount": {
                        "name": Workloads.AWS_LOAD_BALANCER_CONTROLLER.service_account,
                        "annotations": dict(args.load_balancer_identity.service_account_annotations),
                    },
                    "podLabels": dict(args.load_balancer_identity.pod_labels),
                    # Its priority stays the chart's system-cluster-critical: without it no load balancer heals.
                    **pods.pod_values(LOAD_BALANCER_CONTROLLER_LABELS, priority=False),
                    "replicaCount": pods.replicas(),
                    "podDisruptionBudget": {"maxUnavailable": 1},
                },
                child,
            )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        k8s.apiextensions.CustomResource(
            "envoy-proxy",
            api_version=ENVOY_API,
            kind="EnvoyProxy",
            metadata={"name": PROXY_NAME, "namespace": gateway_ns},
            spec={
                "provider": {
                    "type": "Kubernetes",
                    "kubernetes": {
                        "envoyService": {
                            "type": args.ingress.service_type if published else "ClusterIP",
                            "annotations": dict(args.ingress.service_annotations) if published else {},
                        },
                        "envoyDeployment": {
                            "replicas": pods.replicas(),
                            "pod": {**pods.pod_values(PROXY_LABELS)},
                        },
                        **({"envoyPDB": {"maxUnavailable": 1}} if pods.replicas() > 1 else {}),
                    },
                }
            },
            opts=after_crds,
        )
        k8s.apiextensions.CustomResource(
            "gateway-class",
            api_version=GATEWAY_API,
            kind="GatewayClass",
            metadata={"name": GATEWAY_CLASS},
            spec={
                "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                "parametersRef": {
                    "group": "gateway.envoyproxy.io",
                    "kind": "EnvoyProxy",
                    "name": PROXY_NAME,
                    "namespace": ENVOY_GATEWAY.namespace,
                },
            },
            opts=after_crds,
        )
        self.gateway = k8s.apiextensions.CustomResource(
            "gateway",
            api_version=GATEWAY_API,
            kind="Gateway",
            # cert-manager's gateway-shim issues one certificate per HTTPS listener from this issuer.
            metadata={
                "name": GATEWAY_NAME,
                "namespace": gateway_ns,
                "annotations": {"cert-manager.io/cluster-issuer": gateway_issuer(args.dns)},
            },
            spec={"gatewayClassName": GATEWAY_CLASS, "listeners": self._listeners(args)},
            opts=after_crds,
        )
        self.routes = []
        if published:
            assert args.dns.domain and args.dns.sso  # publishes_uis guarantees both
            self.routes = [self._route(ui, args.dns.domain, after_crds) for ui in args.uis]
            self._single_sign_on(args, gateway_ns, child, after_crds)
        self.register_outputs({"gateway": GATEWAY_NAME})

    @staticmethod
    def _listeners(args: GatewayArgs) -> list[dict[str, object]]:
        def https(name: str, host: str) -> dict[str, object]:
            return {
                "name": name,
                "protocol": "HTTPS",
                "port": 443,
                "hostname": host,
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": f"{name}-tls"}]},
                "allowedRoutes": {"namespaces": {"from": "All"}},
            }

        if not args.dns.publishes_uis or not args.dns.domain:
            return [https("https-internal", f"*.{INTERNAL_DOMAIN}")]
        # HTTP only carries ACME HTTP-01 challenges; wildcards would need DNS-01, so one listener per UI host.
        http = {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}
        return [http] + [https(f"https-{ui.name}", ui.host(args.dns.domain)) for ui in args.uis]

    def _route(self, ui: PublishedUi, domain: str, opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"route-{ui.name}",
            api_version=GATEWAY_API,
            kind="HTTPRoute",
            metadata={"name": ui.name, "namespace": ui.namespace},
            spec={
                "parentRefs": [
                    {"name": GATEWAY_NAME, "namespace": ENVOY_GATEWAY.namespace, "sectionName": f"https-{ui.name}"}
                ],
                "hostnames": [ui.host(domain)],
                "rules": [{"backendRefs": [{"name": ui.service, "port": ui.port}]}],
            },
            opts=opts,
        )

    def _single_sign_on(
        self,
        args: GatewayArgs,
        gateway_ns: pulumi.Input[str],
        child: pulumi.ResourceOptions,
        after_crds: pulumi.ResourceOptions,
    ) -> None:
        """OIDC on every HTTPS listener: nobody reaches a UI without logging in at the identity provider."""
        sso, domain = args.dns.sso, args.dns.domain
        assert sso and domain and args.secrets, "publishing UIs needs SSO settings and External Secrets"
        args.secrets.external_secret(
            "sso-client-secret", gateway_ns, "platform-sso", {"client-secret": sso.client_secret_key}, child
        )
        k8s.apiextensions.CustomResource(
            "single-sign-on",
            api_version=ENVOY_API,
            kind="SecurityPolicy",
            metadata={"name": "platform-sso", "namespace": gateway_ns},
            spec={
                "targetRefs": [
                    {
                        "group": "gateway.networking.k8s.io",
                        "kind": "Gateway",
                        "name": GATEWAY_NAME,
                        "sectionName": f"https-{ui.name}",
                    }
                    for ui in args.uis
                ],
                "oidc": {
                    "provider": {"issuer": sso.issuer},
                    "clientID": sso.client_id,
                    "clientSecret": {"name": "platform-sso"},
                    # Off the default /oauth2/callback, which Argo Workflows' own SSO uses behind the gateway.
                    "redirectURL": "%REQ(x-forwarded-proto)%://%REQ(:authority)%/gateway/oauth2/callback",
                    "cookieDomain": domain,
                    "logoutPath": "/logout",
                },
            },
            opts=after_crds,
        )
