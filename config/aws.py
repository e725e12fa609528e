"""Settings only the AWS foundation understands (`mlops-platform:aws` in the stack file)."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from config.model import CloudSettings

if TYPE_CHECKING:
    from config.stack import StackConfig

AWS_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "sa-east-1", "me-central-1",
    "cn-north-1", "cn-northwest-1",  # aws-cn
    "us-gov-west-1", "us-gov-east-1",  # aws-us-gov
)  # fmt: skip

LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
"""The only retention periods CloudWatch Logs accepts."""

IAM_ROLE_ARN = r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$"
"""An IAM role in any partition: aws, aws-cn (China) or aws-us-gov (GovCloud)."""
IamRoleArn = Annotated[str, StringConstraints(pattern=IAM_ROLE_ARN)]
ControlPlaneLog = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
"""The EKS control-plane log types (EKS API `LogType`)."""
PRODUCTION_AUDIT_RETENTION_DAYS = 365


class AwsSettings(CloudSettings):
    cloud: Literal["aws"] = "aws"
    SUPPORTED_KUBERNETES_VERSIONS: ClassVar[tuple[str, ...]] = ("1.32", "1.33", "1.34", "1.35")
    PRIVATE_ENDPOINT: ClassVar[str | None] = (
        "EKS keeps only its private endpoint, reachable from inside the VPC (docs/aws.md: a runner in the VPC)"
    )

    region: Literal[AWS_REGIONS] = "us-east-1"  # type: ignore[valid-type]
    """AWS region of every resource (the provider is built with it; the ambient AWS_REGION is ignored)."""
    availability_zones: int = Field(default=3, ge=2, le=6)
    """How many zones the VPC spans: one public and one private subnet in each."""
    nat_gateway_per_az: bool = False
    """One NAT gateway (cheap, one AZ's failure cuts egress) or one per AZ (production)."""
    private_subnet_prefix_length: int = Field(default=19, ge=16, le=26)
    """Size of each private subnet (nodes and pods: the VPC CNI gives every pod a VPC address, so keep it big)."""
    public_subnet_prefix_length: int = Field(default=24, ge=16, le=28)
    """Size of each public subnet (load balancers and NAT gateways only)."""
    database_instance_class: str = Field(default="db.t4g.medium", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    """RDS instance class of the MLflow database."""
    karpenter_ami_alias: str = Field(default="al2023@latest", pattern=r"^al2023@(latest|v\d{8})$")
    """EC2NodeClass AMI alias for Karpenter nodes; pin a release (`al2023@v20261101`) outside dev."""
    admin_role_arns: list[IamRoleArn] = []
    """IAM roles granted cluster-admin through EKS access entries (besides the identity that ran `pulumi up`, which
    EKS makes admin itself: do not list it)."""
    control_plane_logs: list[ControlPlaneLog] = ["api", "audit", "authenticator"]
    """EKS control-plane log types sent to CloudWatch Logs; `api` is the largest. Outside dev `audit` is required."""
    control_plane_log_retention_days: int | None = None
    """Retention of the control-plane (audit) logs; default `network.flowLogRetentionDays`. Outside dev >= 365."""
    flow_log_aggregation_seconds: Literal[60, 600] = 60
    """VPC flow-log aggregation window: 600 writes fewer, coarser records (cheaper CloudWatch ingestion)."""

    def subnet_plan(self, cidr: ipaddress.IPv4Network) -> list[tuple[str, str]]:
        """(private, public) CIDR per zone: the private subnets first, the public ones in the space after them.

        Raises ValueError when the VPC range is too small for the requested sizes.
        """
        zones = self.availability_zones
        if self.private_subnet_prefix_length < cidr.prefixlen or self.public_subnet_prefix_length < cidr.prefixlen:
            raise ValueError(f"subnets cannot be larger than the VPC range {cidr}")
        private = list(cidr.subnets(new_prefix=self.private_subnet_prefix_length))[:zones]
        free = (
            net
            for net in cidr.subnets(new_prefix=self.public_subnet_prefix_length)
            if not any(net.overlaps(p) for p in private)
        )
        public = [net for _, net in zip(range(zones), free, strict=False)]
        if len(private) < zones or len(public) < zones:
            raise ValueError(
                f"{cidr} cannot hold {zones} private /{self.private_subnet_prefix_length} and {zones} public "
                f"/{self.public_subnet_prefix_length} subnets; use a larger network.cidr or smaller subnets"
            )
        return [(str(p), str(q)) for p, q in zip(private, public, strict=True)]

    def check(self, stack: StackConfig) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        try:
            self.subnet_plan(stack.network.cidr)
        except ValueError as error:
            problems.append(("aws.privateSubnetPrefixLength", str(error)))
        if stack.network.flow_log_retention_days not in LOG_RETENTION_DAYS:
            problems.append(
                (
                    "network.flowLogRetentionDays",
                    f"got {stack.network.flow_log_retention_days}; CloudWatch Logs accepts "
                    f"{', '.join(map(str, LOG_RETENTION_DAYS))}",
                )
            )
        retention = self.control_plane_log_retention_days
        if retention is not None and retention not in LOG_RETENTION_DAYS:
            problems.append(
                (
                    "aws.controlPlaneLogRetentionDays",
                    f"got {retention}; CloudWatch Logs accepts {', '.join(map(str, LOG_RETENTION_DAYS))}",
                )
            )
        if not stack.is_dev:
            if "audit" not in self.control_plane_logs:
                problems.append(("aws.controlPlaneLogs", "outside dev the audit log is required: add 'audit'"))
            kept = retention if retention is not None else stack.network.flow_log_retention_days
            if kept < PRODUCTION_AUDIT_RETENTION_DAYS:
                problems.append(
                    (
                        "aws.controlPlaneLogRetentionDays",
                        f"audit logs would be kept {kept} days; outside dev keep them at least "
                        f"{PRODUCTION_AUDIT_RETENTION_DAYS} (set aws.controlPlaneLogRetentionDays)",
                    )
                )
        if not stack.is_dev and self.karpenter_ami_alias.endswith("@latest"):
            problems.append(
                (
                    "aws.karpenterAmiAlias",
                    "al2023@latest rolls every node onto each new AMI; pin a release (al2023@vYYYYMMDD) outside dev",
                )
            )
        for index, team in enumerate(stack.teams):
            if not re.match(IAM_ROLE_ARN, team.identity_group):
                problems.append(
                    (
                        f"teams.{index}.identityGroup",
                        f"got {team.identity_group!r}; on AWS this is the IAM role ARN the team signs in with "
                        "(arn:<partition>:iam::<account>:role/<name>)",
                    )
                )
        return problems
