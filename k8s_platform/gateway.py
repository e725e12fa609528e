"""Traffic: Envoy Gateway, the one shared Gateway with cert-manager TLS, UI routes and single sign-on.

The gateway is reachable from outside only when the UIs are published behind OIDC single sign-on
(`dns.domain` and `dns.sso` set); otherwise its Service is ClusterIP and users port-forward.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import Ingress, LoadBalancerProvisioner, WorkloadIdentity, Workloads
from config.model import Component, Dns, ModelApi
from k8s_platform.catalog import AWS_LOAD_BALANCER_CONTROLLER, ENVOY_GATEWAY
from k8s_platform.cert_manager import GATEWAY_NAME, gateway_issuer
from k8s_platform.external_secrets import ExternalSecrets
from k8s_platform.helm import helm_release, pinned
from k8s_platform.namespace import NAME_LABEL, SERVES_MODELS_LABEL, namespace, namespace_name
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
HTTP_PROXY_PORT = 80 + 10000
"""The Envoy container port behind the port-80 listener: Envoy Gateway shifts ports below 1024 by 10000 so the
proxy runs without NET_BIND_SERVICE (envoyproxy/gateway v1.9.0, internal/gatewayapi/listener.go)."""
MODELS_LISTENER = "https-models"
MODEL_NAMESPACES = {"from": "Selector", "selector": {"matchLabels": {SERVES_MODELS_LABEL: "true"}}}
"""Namespaces whose InferenceServices' HTTPRoutes a model listener admits: `models` and every team's."""


@dataclass(frozen=True)
class ModelExposure:
    """Where KServe's HTTPRoutes go. KServe names no listener (`sectionName`) in them, so they attach to every
    listener that admits their namespace and host: only model listeners admit model namespaces."""

    domain: str
    """KServe's ingress domain: hosts are `<name>-<namespace>.<domain>`."""
    routes: bool
    """Whether KServe creates HTTPRoutes at all."""
    url_scheme: str = "https"


def model_exposure(dns: Dns, public_api: ModelApi | None) -> ModelExposure:
    """In-cluster gateway: model routes on the internal listener. Public gateway: on `https-models` behind JWT
    when `components.kserve.publicApi` asks for it, else no routes at all (callers use the predictor Service)."""
    if not dns.publishes_uis or not dns.domain:
        return ModelExposure(INTERNAL_DOMAIN, routes=True)
    if public_api is None:
        return ModelExposure(INTERNAL_DOMAIN, routes=False)
    return ModelExposure(f"models.{dns.domain}", routes=True)


def _from_namespaces(*names: str) -> dict[str, object]:
    return {
        "from": "Selector",
        "selector": {"matchExpressions": [{"key": NAME_LABEL, "operator": "In", "values": list(names)}]},
    }


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
    model_api: ModelApi | None = None
    """`components.kserve.publicApi`: publish models behind JWT validation."""


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
        controller: list[pulumi.Resource] = []
        if published and args.ingress.load_balancer == LoadBalancerProvisioner.AWS_LOAD_BALANCER_CONTROLLER:
            # Without it the in-tree controller would make a Classic ELB that ignores the NLB annotations.
            lbc = helm_release(
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
                    # Its Service mutator is a cluster-wide webhook with failurePolicy Fail: while the controller's
                    # pods start, every Service anywhere is rejected. The gateway's Service names the controller
                    # through its `aws-load-balancer-type: external` annotation, so the default-claiming webhook
                    # is not needed (chart 3.5.0 `enableServiceMutatorWebhook`).
                    "enableServiceMutatorWebhook": False,
                },
                child,
            )
            controller = [lbc]
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        # The proxy's Service is the NLB the LBC makes: on destroy it goes while the LBC can still delete the NLB.
        load_balanced = pulumi.ResourceOptions(parent=self, depends_on=[self.release, *controller])
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
            opts=load_balanced,
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
            metadata={"name": GATEWAY_NAME, "namespace": gateway_ns, "annotations": self._annotations(args)},
            spec={"gatewayClassName": GATEWAY_CLASS, "listeners": self._listeners(args)},
            opts=load_balanced,
        )
        self.routes = []
        if published:
            assert args.dns.domain and args.dns.sso  # publishes_uis guarantees both
            self.routes = [self._route(ui, args.dns.domain, after_crds) for ui in args.uis]
            self._redirect_to_https(gateway_ns, after_crds)
            self._single_sign_on(args, gateway_ns, child, after_crds)
            if args.model_api is not None:
                self._model_api(args.model_api, gateway_ns, after_crds)
        self.register_outputs({"gateway": GATEWAY_NAME})

    @staticmethod
    def _annotations(args: GatewayArgs) -> dict[str, str]:
        annotations = {"cert-manager.io/cluster-issuer": gateway_issuer(args.dns)}
        if args.dns.publishes_uis and args.model_api is not None:
            # The models' wildcard certificate is the user's (HTTP-01 cannot issue it): gateway-shim leaves it be.
            annotations["cert-manager.io/ignore-tls-listeners"] = MODELS_LISTENER
        return annotations

    @staticmethod
    def _listeners(args: GatewayArgs) -> list[dict[str, object]]:
        """Every listener admits routes only from the namespaces it serves, so no team can attach a route to a
        UI's host, and no model route lands on a listener without the authentication the user chose."""

        def https(name: str, host: str, admits: Mapping[str, object], secret: str = "") -> dict[str, object]:
            return {
                "name": name,
                "protocol": "HTTPS",
                "port": 443,
                "hostname": host,
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": secret or f"{name}-tls"}]},
                "allowedRoutes": {"namespaces": admits},
            }

        if not args.dns.publishes_uis or not args.dns.domain:
            # The gateway is a ClusterIP Service here: in-cluster clients reach models by host name.
            return [https("https-internal", f"*.{INTERNAL_DOMAIN}", MODEL_NAMESPACES)]
        domain = args.dns.domain
        # HTTP carries ACME HTTP-01 challenges (cert-manager puts its solver routes in the Gateway's namespace)
        # and the redirect to HTTPS, nothing else; wildcards would need DNS-01, so one listener per UI host.
        http = {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "Same"}}}
        listeners = [http] + [
            https(f"https-{ui.name}", ui.host(domain), _from_namespaces(ui.namespace)) for ui in args.uis
        ]
        if args.model_api is not None:
            models = https(MODELS_LISTENER, f"*.models.{domain}", MODEL_NAMESPACES, args.model_api.certificate_secret)
            listeners.append(models)
        return listeners

    def _redirect_to_https(self, gateway_ns: pulumi.Input[str], opts: pulumi.ResourceOptions) -> None:
        """Plain HTTP answers only with a redirect (ACME challenge routes are more specific and win)."""
        k8s.apiextensions.CustomResource(
            "route-http-to-https",
            api_version=GATEWAY_API,
            kind="HTTPRoute",
            metadata={"name": "http-to-https", "namespace": gateway_ns},
            spec={
                "parentRefs": [{"name": GATEWAY_NAME, "namespace": ENVOY_GATEWAY.namespace, "sectionName": "http"}],
                "rules": [
                    {
                        "filters": [
                            {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
                        ]
                    }
                ],
            },
            opts=opts,
        )

    def _model_api(self, api: ModelApi, gateway_ns: pulumi.Input[str], opts: pulumi.ResourceOptions) -> None:
        """No request reaches a model on the public listener without a valid JWT from the configured issuer."""
        provider: dict[str, object] = {
            "name": "model-clients",
            "issuer": api.issuer,
            "remoteJWKS": {"uri": api.jwks_uri},
        }
        if api.audiences:
            provider["audiences"] = list(api.audiences)
        k8s.apiextensions.CustomResource(
            "model-api-jwt",
            api_version=ENVOY_API,
            kind="SecurityPolicy",
            metadata={"name": "model-api-jwt", "namespace": gateway_ns},
            spec={
                "targetRefs": [_listener_target(MODELS_LISTENER)],
                "jwt": {"providers": [provider]},
            },
            opts=opts,
        )

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
                "targetRefs": [_listener_target(f"https-{ui.name}") for ui in args.uis],
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


def _listener_target(listener: str) -> dict[str, str]:
    """A policy's target: one listener of the platform Gateway (Envoy Gateway's `targetRefs` with `sectionName`)."""
    return {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": GATEWAY_NAME, "sectionName": listener}
