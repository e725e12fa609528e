"""Settings only the GCP foundation understands (`mlops-platform:gcp` in the stack file)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from config.model import CloudSettings

GCP_REGIONS = (
    "us-central1", "us-east1", "us-east4", "us-east5", "us-west1", "us-west2", "us-west4", "northamerica-northeast1",
    "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-north1",
    "asia-east1", "asia-northeast1", "asia-south1", "asia-southeast1", "australia-southeast1", "southamerica-east1",
)  # fmt: skip


class GcpSettings(CloudSettings):
    cloud: Literal["gcp"] = "gcp"
    SUPPORTED_KUBERNETES_VERSIONS: ClassVar[tuple[str, ...]] = ("1.32", "1.33", "1.34", "1.35")

    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    region: Literal[GCP_REGIONS] = "europe-west4"  # type: ignore[valid-type]
    database_tier: str = Field(default="db-custom-2-7680", pattern=r"^db-[a-z0-9-]+$")
