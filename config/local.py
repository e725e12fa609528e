"""Settings for an existing local cluster (kind, k3d, minikube, Docker Desktop)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from config.model import CloudSettings

if TYPE_CHECKING:
    from config.stack import StackConfig


class LocalSettings(CloudSettings):
    cloud: Literal["local"] = "local"
    # A local cluster is whatever the user already runs; these are the versions the platform is tested on.
    SUPPORTED_KUBERNETES_VERSIONS: ClassVar[tuple[str, ...]] = ("1.31", "1.32", "1.33", "1.34", "1.35")

    kubeconfig_context: str = Field(default="kind-mlops", min_length=1)
    storage_class: str = Field(default="standard", min_length=1)
    """kind and minikube call their default class `standard`, k3d `local-path`."""
    object_store_size_gb: int = Field(default=20, ge=1, le=1024)
    database_size_gb: int = Field(default=10, ge=1, le=1024)

    def check(self, stack: StackConfig) -> list[tuple[str, str]]:
        """What cannot work on the one-node cluster the README has users create (`kind create cluster`)."""
        problems: list[tuple[str, str]] = []
        if stack.components.argocd.enabled and stack.components.argocd.high_availability:
            problems.append(
                (
                    "components.argocd.highAvailability",
                    "needs 3+ nodes (redis-ha runs three Redis and three HAProxy pods on distinct nodes); "
                    "a local cluster has one: set it to false",
                )
            )
        if stack.dns.publishes_uis:
            problems.append(
                (
                    "dns.sso",
                    "publishing UIs asks Let's Encrypt to validate HTTP-01 on the domain's port 80, which a local "
                    "cluster's NodePort gateway never serves; remove dns.domain/dns.sso and use kubectl port-forward",
                )
            )
        return problems
