"""cert-manager and the ClusterIssuers the gateway's certificate comes from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import WorkloadIdentity, Workloads
from config.model import Dns
from k8s_platform.catalog import CERT_MANAGER, ENVOY_GATEWAY
from k8s_platform.helm import helm_release
from k8s_platform.namespace import namespace, namespace_name
from k8s_platform.options import children_of
from k8s_platform.placement import PlatformPods
from k8s_platform.sizing import SIZES

SELF_SIGNED_ISSUER = "selfsigned"
ACME_SERVERS = {
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "production": "https://acme-v02.api.letsencrypt.org/directory",
}
GATEWAY_NAME = "platform"
"""The one shared Gateway (declared in gateway.py); ACME HTTP-01 challenges are answered on its `http` listener."""


def acme_issuer_name(server: str) -> str:
    return f"letsencrypt-{server}"


@dataclass(frozen=True)
class CertManagerArgs:
    version: str
    identity: WorkloadIdentity
    dns: Dns
    pods: PlatformPods
    gateway_api_crds: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """With Gateway API support on, the controller refuses to start until the Gateway API CRDs exist."""


class CertManager(pulumi.ComponentResource):
    """cert-manager with Gateway API support, a self-signed issuer, and Let's Encrypt issuers for a domain."""

    release: k8s.helm.v3.Release
    issuers: list[k8s.apiextensions.CustomResource]

    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:CertManager", name, None, opts)
        child = children_of(self, opts)
        ns = namespace(CERT_MANAGER.namespace, child)
        pods = args.pods
        placed = {"tolerations": pods.tolerations(), "affinity": pods.affinity()}
        self.release = helm_release(
            "cert-manager",
            CERT_MANAGER,
            {
                "crds": {"enabled": True, "keep": True},
                "config": {
                    "apiVersion": "controller.config.cert-manager.io/v1alpha1",
                    "kind": "ControllerConfiguration",
                    "gatewayAPI": {"enabled": bool(args.gateway_api_crds)},
                },
                "serviceAccount": {
                    "name": Workloads.CERT_MANAGER.service_account,
                    "annotations": dict(args.identity.service_account_annotations),
                },
                "podLabels": dict(args.identity.pod_labels),
                "global": {"priorityClassName": pods.priority_class},
                **placed,
                "resources": SIZES["cert-manager-controller"],
                # The webhook is fail-closed for every cert-manager resource: outside dev it runs two replicas
                # under a disruption budget, so a drain never leaves certificates unmanageable.
                "webhook": {
                    **placed,
                    "replicaCount": pods.replicas(),
                    "podDisruptionBudget": {"enabled": pods.high_availability, "maxUnavailable": 1},
                    "resources": SIZES["cert-manager-webhook"],
                },
                "cainjector": {**placed, "resources": SIZES["cert-manager-cainjector"]},
                "startupapicheck": {**placed, "resources": SIZES["cert-manager-startupapicheck"]},
            },
            pulumi.ResourceOptions(parent=self, depends_on=list(args.gateway_api_crds)),
            version=args.version,
            namespace=namespace_name(ns),
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        self.issuers = [
            k8s.apiextensions.CustomResource(
                "issuer-selfsigned",
                api_version="cert-manager.io/v1",
                kind="ClusterIssuer",
                metadata={"name": SELF_SIGNED_ISSUER},
                spec={"selfSigned": {}},
                opts=after_crds,
            )
        ]
        if args.dns.domain and args.dns.acme_email:
            self.issuers += [
                k8s.apiextensions.CustomResource(
                    f"issuer-{acme_issuer_name(server)}",
                    api_version="cert-manager.io/v1",
                    kind="ClusterIssuer",
                    metadata={"name": acme_issuer_name(server)},
                    spec={
                        "acme": {
                            "server": url,
                            "email": args.dns.acme_email,
                            "privateKeySecretRef": {"name": f"{acme_issuer_name(server)}-account-key"},
                            "solvers": [
                                {
                                    "http01": {
                                        "gatewayHTTPRoute": {
                                            "parentRefs": [
                                                {
                                                    "group": "gateway.networking.k8s.io",
                                                    "kind": "Gateway",
                                                    "name": GATEWAY_NAME,
                                                    "namespace": ENVOY_GATEWAY.namespace,
                                                    "sectionName": "http",
                                                }
                                            ],
                                            # The solver pods cert-manager starts per challenge: on the system
                                            # pool like the controller, or they never run on a tainted cluster.
                                            "podTemplate": {
                                                "spec": {
                                                    "tolerations": pods.tolerations(),
                                                    "affinity": pods.affinity(),
                                                    "priorityClassName": pods.priority_class,
                                                }
                                            },
                                        }
                                    }
                                }
                            ],
                        }
                    },
                    opts=after_crds,
                )
                for server, url in ACME_SERVERS.items()
            ]
        self.register_outputs({})


def gateway_issuer(dns: Dns) -> str:
    """Let's Encrypt only when the gateway is public (UIs published behind SSO); self-signed otherwise."""
    return acme_issuer_name(dns.acme_server) if dns.publishes_uis else SELF_SIGNED_ISSUER
