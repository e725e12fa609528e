"""ArgoCD: GitOps delivery of model deployments. Non-HA by default, HA by `components.argocd.highAvailability`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import PlatformSecrets
from config.model import ArgoCd as ArgoCdSettings
from config.model import GitRepository
from k8s_platform.catalog import ARGOCD
from k8s_platform.external_secrets import ExternalSecrets
from k8s_platform.helm import helm_release, pinned
from k8s_platform.namespace import namespace, namespace_name
from k8s_platform.options import children_of
from k8s_platform.placement import PlatformPods
from k8s_platform.sizing import SIZES

SERVICE = "argocd-server"
PORT = 80
REPOSITORY_LABEL = {"argocd.argoproj.io/secret-type": "repository"}


@dataclass(frozen=True)
class ArgoCdArgs:
    settings: ArgoCdSettings
    host: str
    """The UI's host name (public behind SSO, or internal); ArgoCD builds links and redirects from it."""
    secrets: ExternalSecrets | None
    pods: PlatformPods


def over_ssh(repo: GitRepository) -> bool:
    """ArgoCD reaches every non-HTTPS repository URL (`ssh://`, `git@`) over SSH."""
    return not repo.url.startswith("https://")


HA_COMPONENTS = ("controller", "server", "repoServer", "applicationSet")
"""The components that run `replicas` pods in HA mode; each gets a PodDisruptionBudget then."""


SIZED_COMPONENTS: dict[str, dict[str, Any]] = {
    "controller": {"resources": SIZES["argocd-controller"]},
    "repoServer": {"resources": SIZES["argocd-repo-server"], "copyutil": {"resources": SIZES["argocd-copyutil"]}},
    "server": {"resources": SIZES["argocd-server"]},
    "redis": {"resources": SIZES["argocd-redis"]},
    "applicationSet": {"resources": SIZES["argocd-applicationset"]},
    "notifications": {"resources": SIZES["argocd-notifications"]},
    "redisSecretInit": {"resources": SIZES["argocd-redis-secret-init"]},
}
"""Every pod the chart (10.1.1) renders with our values, by its values key."""


def values(settings: ArgoCdSettings, host: str, pods: PlatformPods) -> dict[str, Any]:
    replicas = 2 if settings.high_availability else 1
    tolerations = pods.tolerations()
    node_affinity = [
        {"key": key, "operator": "In", "values": [value]} for key, value in pods.placement.preferred_node_labels.items()
    ]
    chart_values: dict[str, Any] = {
        # The chart's presets: soft anti-affinity across nodes (its default) and a soft node affinity.
        "global": {
            "domain": host,
            # argo-cd 10.1.1 renders a NetworkPolicy per component by default, argocd-server's admitting every
            # source (`ingress: [{}]`), which would override the tenancy layer's default-deny: the program's
            # policies are the network design, the chart's are off.
            "networkPolicy": {"create": False},
            "tolerations": tolerations,
            "priorityClassName": pods.priority_class,
            "affinity": {
                "podAntiAffinity": "soft",
                "nodeAffinity": {"type": "soft", "matchExpressions": node_affinity},
            },
        },
        # TLS ends at the gateway; single sign-on is the gateway's, so Dex is not needed.
        "configs": {
            "params": {"server.insecure": True},
            "cm": {"admin.enabled": True, "exec.enabled": False},
            "secret": {"createSecret": True},
        },
        "dex": {"enabled": False},
        "redis-ha": {
            "enabled": settings.high_availability,
            "tolerations": tolerations,
            "haproxy": {"tolerations": tolerations},
        },
        **{
            component: {"replicas": replicas, "pdb": {"enabled": replicas > 1, "maxUnavailable": 1}}
            for component in HA_COMPONENTS
        },
    }
    for component, sized in SIZED_COMPONENTS.items():
        chart_values[component] = {**chart_values.get(component, {}), **sized}
    return chart_values


class ArgoCd(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: ArgoCdArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:ArgoCd", name, None, opts)
        child = children_of(self, opts)
        # redis-ha's haproxy and sentinel images are not restricted-compliant; the single-redis setup is.
        ns = namespace_name(
            namespace(ARGOCD.namespace, child, "baseline" if args.settings.high_availability else "restricted")
        )
        self.release = helm_release(
            "argocd",
            ARGOCD,
            values(args.settings, args.host, args.pods),
            child,
            version=pinned(ARGOCD, args.settings),
            namespace=ns,
        )
        if args.secrets is not None:
            # The chart owns argocd-secret; the admin password hash is merged into it once it exists.
            args.secrets.external_secret(
                "admin-password",
                ns,
                "argocd-secret",
                {"password": PlatformSecrets.ARGOCD_ADMIN_PASSWORD},
                pulumi.ResourceOptions(parent=self, depends_on=[self.release]),
                template={"data": {"admin.password": "{{ .password | bcrypt }}"}},
                merge=True,
            )
        for repo in args.settings.repositories:
            self._repository(repo, ns, args.secrets, child)
        self.register_outputs({"host": args.host})

    def _repository(
        self, repo: GitRepository, ns: pulumi.Input[str], secrets: ExternalSecrets | None, child: pulumi.ResourceOptions
    ) -> None:
        """A repository Secret; a private one's credential comes from the secret store, never from config.

        Over HTTPS the secret-store entry is a token (ArgoCD's `password`); over SSH it is the deploy key's
        private key (`sshPrivateKey`), the only credential ArgoCD uses for an SSH URL."""
        ssh = over_ssh(repo)
        data = {"type": "git", "url": repo.url} if ssh else {"type": "git", "url": repo.url, "username": repo.username}
        if repo.token_key and secrets is not None:
            field = "sshPrivateKey" if ssh else "password"
            secrets.external_secret(
                f"repo-{repo.name}",
                ns,
                f"repo-{repo.name}",
                {"credential": repo.token_key},
                child,
                template={"metadata": {"labels": REPOSITORY_LABEL}, "data": {**data, field: "{{ .credential }}"}},
            )
        else:
            k8s.core.v1.Secret(
                f"repo-{repo.name}",
                metadata={"name": f"repo-{repo.name}", "namespace": ns, "labels": REPOSITORY_LABEL},
                string_data=data,
                opts=child,
            )
