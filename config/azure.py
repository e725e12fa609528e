"""Settings only the Azure foundation understands (`mlops-platform:azure` in the stack file)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from config.model import CloudSettings

AZURE_LOCATIONS = (
    "eastus", "eastus2", "westus2", "westus3", "centralus", "southcentralus", "canadacentral",
    "northeurope", "westeurope", "uksouth", "francecentral", "germanywestcentral", "swedencentral",
    "switzerlandnorth", "australiaeast", "japaneast", "koreacentral", "southeastasia", "centralindia",
)  # fmt: skip


class AzureSettings(CloudSettings):
    cloud: Literal["azure"] = "azure"
    SUPPORTED_KUBERNETES_VERSIONS: ClassVar[tuple[str, ...]] = ("1.32", "1.33", "1.34", "1.35")

    location: Literal[AZURE_LOCATIONS] = "westeurope"  # type: ignore[valid-type]
    database_sku: str = Field(default="Standard_B2s", pattern=r"^Standard_[A-Za-z0-9_]+$")
    database_tier: Literal["Burstable", "GeneralPurpose", "MemoryOptimized"] = "Burstable"
