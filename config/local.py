"""Settings for an existing local cluster (kind, k3d, minikube, Docker Desktop)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from config.model import CloudSettings


class LocalSettings(CloudSettings):
    cloud: Literal["local"] = "local"
    # A local cluster is whatever the user already runs; these are the versions the platform is tested on.
    SUPPORTED_KUBERNETES_VERSIONS: ClassVar[tuple[str, ...]] = ("1.31", "1.32", "1.33", "1.34", "1.35")

    kubeconfig_context: str = Field(default="kind-mlops", min_length=1)
    storage_class: str = Field(default="standard", min_length=1)
    """kind and minikube call their default class `standard`, k3d `local-path`."""
    object_store_size_gb: int = Field(default=20, ge=1, le=1024)
    database_size_gb: int = Field(default=10, ge=1, le=1024)
