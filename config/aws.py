"""Settings only the AWS foundation understands (`mlops-platform:aws` in the stack file)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from config.model import CloudSettings

AWS_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "sa-east-1", "me-central-1",
)  # fmt: skip


class AwsSettings(CloudSettings):
    cloud: Literal["aws"] = "aws"
    SUPPORTED_KUBERNETES_VERSIONS: ClassVar[tuple[str, ...]] = ("1.32", "1.33", "1.34", "1.35")

    region: Literal[AWS_REGIONS] = "us-east-1"  # type: ignore[valid-type]
    availability_zones: int = Field(default=3, ge=2, le=6)
    nat_gateway_per_az: bool = False
    """One NAT gateway (cheap, one AZ's failure cuts egress) or one per AZ (production)."""
    database_instance_class: str = Field(default="db.t4g.medium", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
