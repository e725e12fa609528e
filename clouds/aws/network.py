"""The VPC: public and private subnets per zone, NAT egress, VPC flow logs and an S3 gateway endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from clouds.aws.iam import Partition, allow, policy_document

DISCOVERY_TAG = "karpenter.sh/discovery"


@dataclass(frozen=True)
class NetworkArgs:
    name: str
    """Prefix of every Name tag, e.g. `mlops-dev`."""
    cidr: str
    zones: Sequence[str]
    subnets: Sequence[tuple[str, str]]
    """(private, public) CIDR per zone, from AwsSettings.subnet_plan."""
    nat_gateway_per_zone: bool
    cluster_name: str
    """Value of the Karpenter discovery tag on the private subnets."""
    flow_log_retention_days: int
    region: str
    account_id: pulumi.Input[str]
    partition: Partition
    flow_log_aggregation_seconds: int = 60
    """60 or 600: the coarser window writes fewer records (cheaper ingestion) at a 10-minute resolution."""
    log_key_arn: pulumi.Input[str] | None = None
    """Customer key of the flow-log group (outside dev); None: CloudWatch Logs' own encryption."""


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # EKS nodes and interface endpoints need DNS hostnames
            tags={"Name": args.name},
            opts=child,
        )
        # The default security group would admit all traffic between its members; nothing should use it.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": args.name}, opts=child)

        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags={"Name": f"{args.name}-public"},
            opts=child,
        )

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        for zone, (private_cidr, public_cidr) in zip(args.zones, args.subnets, strict=True):
            public = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=vpc.id,
                cidr_block=public_cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,  # only load balancers and NAT gateways live here
                tags={"Name": f"{args.name}-public-{zone}", "kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=public.id, route_table_id=public_rt.id, opts=child
            )
            public_subnets.append(public)
            private_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-private-{zone}",
                    vpc_id=vpc.id,
                    cidr_block=private_cidr,
                    availability_zone=zone,
                    tags={
                        "Name": f"{args.name}-private-{zone}",
                        "kubernetes.io/role/internal-elb": "1",
                        DISCOVERY_TAG: args.cluster_name,
                    },
                    opts=child,
                )
            )

        nat_zones = args.zones if args.nat_gateway_per_zone else args.zones[:1]
        nat_gateways = []
        for zone, public in zip(nat_zones, public_subnets, strict=False):
            eip = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc", tags={"Name": f"{args.name}-nat-{zone}"}, opts=child)
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone}",
                    allocation_id=eip.allocation_id,
                    subnet_id=public.id,
                    tags={"Name": f"{args.name}-nat-{zone}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        private_route_tables = []
        for index, (zone, subnet) in enumerate(zip(args.zones, private_subnets, strict=True)):
            nat = nat_gateways[index if args.nat_gateway_per_zone else 0]
            table = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags={"Name": f"{args.name}-private-{zone}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
            private_route_tables.append(table)

        # Artifact and image-layer traffic to S3 bypasses the NAT gateway: free, and faster.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in private_route_tables],
            tags={"Name": f"{args.name}-s3"},
            opts=child,
        )

        self._flow_logs(name, args, vpc)

        self.vpc_id = vpc.id
        self.private_subnet_ids = [s.id for s in private_subnets]
        self.public_subnet_ids = [s.id for s in public_subnets]
        self.register_outputs({"vpcId": self.vpc_id, "privateSubnetIds": self.private_subnet_ids})

    def _flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc) -> None:
        """Every accepted and rejected flow goes to CloudWatch Logs, kept for the configured retention."""
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/aws/vpc/{args.name}/flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.log_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            # The flow-logs principal is the same in every partition. Only for this account's flow logs in this
            # region (confused deputy: VPC Flow Logs acting for another account cannot use the role).
            assume_role_policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": args.account_id},
                            "ArnLike": {
                                "aws:SourceArn": pulumi.Output.concat(
                                    f"arn:{args.partition.name}:ec2:{args.region}:", args.account_id, ":vpc-flow-log/*"
                                )
                            },
                        },
                    }
                ]
            ),
            description=f"VPC flow logs of {args.name} write to their log group",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=policy_document(
                [
                    allow(
                        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        [log_group.arn, pulumi.Output.concat(log_group.arn, ":*")],
                    )
                ]
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=args.flow_log_aggregation_seconds,
            tags={"Name": args.name},
            opts=child,
        )
