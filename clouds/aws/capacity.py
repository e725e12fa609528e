"""Compute: the on-demand system node group, and every AWS resource Karpenter needs to run the spot pools.

Karpenter itself, its EC2NodeClass and the CPU/GPU NodePools are Kubernetes objects declared by the platform
layer from `KarpenterInputs`; this module provides the node role, the interruption queue, the controller's
IAM policy and the discovery tags they refer to.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from clouds.aws.cluster import Cluster
from clouds.aws.iam import (
    Partition,
    Statement,
    allow,
    attach_managed_policies,
    deny_insecure_transport,
    policy_document,
    service_role,
    trust_service,
)
from clouds.aws.identity import WorkloadRole, WorkloadRoleArgs
from clouds.aws.network import DISCOVERY_TAG
from clouds.contract import NODE_POOL_LABEL, Workloads
from clouds.machines import machine_type
from config.model import SystemNodePool, Taint, TaintEffect

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
SYSTEM_POOL_LABEL = {NODE_POOL_LABEL: "system"}

# EKS managed node groups spell taint effects the way the EKS API does.
EKS_TAINT_EFFECT = {
    TaintEffect.NO_SCHEDULE: "NO_SCHEDULE",
    TaintEffect.PREFER_NO_SCHEDULE: "PREFER_NO_SCHEDULE",
    TaintEffect.NO_EXECUTE: "NO_EXECUTE",
}

# The events Karpenter reacts to before AWS takes a node away (getting-started CloudFormation, Karpenter v1).
INTERRUPTION_EVENTS = {
    "health": ("aws.health", "AWS Health Event"),
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    "capacity-reservation": ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}


def prefix_delegation_max_pods(instance_types: Sequence[str]) -> int:
    """Pods per node once the VPC CNI hands out /28 prefixes instead of single addresses.

    Without prefixes an m6i.large takes 3 ENIs x (10 - 1) + 2 = 29 pods; with them every ENI slot holds 16
    addresses (3 x 9 x 16 + 2 = 434), so Kubernetes' own limit binds: EKS's max-pods calculator returns 110 below
    30 vCPUs and 250 above (awsdocs/amazon-eks-user-guide, latest/ug/nodes/choosing-instance-type.adoc), the
    same caps managed node groups enforce. A node group's types share one launch template: the smallest decides.
    """
    vcpus = []
    for name in instance_types:
        machine = machine_type("aws", name)
        if machine is None:
            raise ValueError(
                f"unknown EC2 instance type {name!r} for the system pool; add its facts to clouds/machines.py"
            )
        vcpus.append(machine.vcpu)
    return 110 if min(vcpus) < 30 else 250


def node_config_user_data(max_pods: int) -> str:
    """Launch-template user data (MIME, base64) with a nodeadm NodeConfig fragment; EKS merges in its own part
    (cluster name, endpoint, CA) for AL2023 managed node groups."""
    node_config = (
        "apiVersion: node.eks.aws/v1alpha1\n"
        "kind: NodeConfig\n"
        "spec:\n"
        "  kubelet:\n"
        "    config:\n"
        f"      maxPods: {max_pods}\n"
    )
    document = (
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="NODECONFIG"\n\n'
        f"--NODECONFIG\nContent-Type: application/node.eks.aws\n\n{node_config}\n--NODECONFIG--\n"
    )
    return base64.b64encode(document.encode()).decode()


def eks_taint(taint: Taint) -> aws.eks.NodeGroupTaintArgs:
    return aws.eks.NodeGroupTaintArgs(key=taint.key, value=taint.value or None, effect=EKS_TAINT_EFFECT[taint.effect])


def ami_type(instance_types: Sequence[str]) -> str:
    """AL2023 for the instances' architecture: Graviton families carry a `g` after the generation (m7g, t4g)."""
    graviton = [bool(re.match(r"^[a-z]+\d+g[a-z]*\.", t)) for t in instance_types]
    if any(graviton) and not all(graviton):
        raise ValueError(f"system pool mixes Arm and x86 instance types: {', '.join(instance_types)}")
    return "AL2023_ARM_64_STANDARD" if all(graviton) else "AL2023_x86_64_STANDARD"


@dataclass(frozen=True)
class CapacityArgs:
    cluster: Cluster
    subnet_ids: Sequence[pulumi.Input[str]]
    system_pool: SystemNodePool
    account_id: pulumi.Input[str]
    region: str
    partition: Partition
    karpenter: bool
    """Declare what Karpenter needs (node role, interruption queue, controller role); False when it is disabled."""


@dataclass(frozen=True)
class KarpenterResources:
    node_role: aws.iam.Role
    interruption_queue: aws.sqs.Queue
    controller: WorkloadRole
    node_access: list[pulumi.Resource]
    """The node role's policies and access entry: Karpenter's nodes need them to join and run."""


class Capacity(pulumi.ComponentResource):
    system_nodes: aws.eks.NodeGroup
    karpenter: KarpenterResources | None
    """None when the stack does not install Karpenter: nothing of it exists in AWS either."""

    def __init__(self, name: str, args: CapacityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:Capacity", name, None, opts)
        self.system_nodes = self._system_node_group(name, args)
        self.karpenter = self._karpenter(name, args) if args.karpenter else None
        outputs: dict[str, pulumi.Input[str]] = {"systemNodeGroup": self.system_nodes.node_group_name}
        if self.karpenter:
            outputs["karpenterNodeRole"] = self.karpenter.node_role.name
            outputs["interruptionQueue"] = self.karpenter.interruption_queue.name
        self.register_outputs(outputs)

    def _karpenter(self, name: str, args: CapacityArgs) -> KarpenterResources:
        child = pulumi.ResourceOptions(parent=self)
        cluster = args.cluster
        # Karpenter's nodes join through an EC2_LINUX access entry (API auth mode; there is no aws-auth).
        node_role = aws.iam.Role(
            f"{name}-karpenter-node",
            assume_role_policy=trust_service(args.partition.host("ec2")),
            description=f"Nodes Karpenter launches for {cluster.cluster_name}",
            opts=child,
        )
        node_policies = attach_managed_policies(
            f"{name}-karpenter-node", node_role, [args.partition.managed_policy(p) for p in NODE_POLICIES], child
        )
        access_entry = aws.eks.AccessEntry(
            f"{name}-karpenter-node",
            cluster_name=cluster.eks.name,
            principal_arn=node_role.arn,
            type="EC2_LINUX",
            opts=child,
        )
        # Karpenter launches nodes into security groups carrying the discovery tag: the EKS cluster group.
        aws.ec2.Tag(
            f"{name}-cluster-sg-discovery",
            resource_id=cluster.security_group_id,
            key=DISCOVERY_TAG,
            value=cluster.cluster_name,
            opts=child,
        )

        queue = self._interruption_queue(name, cluster.cluster_name)
        controller = WorkloadRole(
            f"{name}-karpenter",
            WorkloadRoleArgs(
                cluster_name=cluster.eks.name,
                cluster_arn=cluster.arn,
                account_id=args.account_id,
                workload=Workloads.KARPENTER,
                statements=karpenter_controller_policy(
                    cluster_name=cluster.cluster_name,
                    cluster_arn=cluster.arn,
                    account_id=args.account_id,
                    region=args.region,
                    partition=args.partition,
                    queue_arn=queue.arn,
                    node_role_arn=node_role.arn,
                ),
            ),
            child,
        )
        return KarpenterResources(node_role, queue, controller, [*node_policies, access_entry])

    def _system_node_group(self, name: str, args: CapacityArgs) -> aws.eks.NodeGroup:
        """On-demand nodes for controllers (CoreDNS, Karpenter itself): never spot, so the autoscaler survives."""
        child = pulumi.ResourceOptions(parent=self)
        pool = args.system_pool
        role = service_role(
            f"{name}-system-node",
            args.partition.host("ec2"),
            [args.partition.managed_policy(p) for p in NODE_POLICIES],
            child,
            description=f"System node group of {args.cluster.cluster_name}",
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-system",
            description="System node group: encrypted gp3 root volume, IMDSv2 only, pod density from IP prefixes",
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=pool.disk_size_gb, volume_type="gp3", encrypted="true", delete_on_termination="true"
                    ),
                )
            ],
            # Hop limit 1: pods cannot reach the node role's credentials through IMDS (they use Pod Identity).
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            # The platform's controllers (about 58 pods in production, plus about 14 system pods) outgrow 29 pods
            # per m6i.large; with prefix delegation on the VPC CNI (clouds/aws/cluster.py) the kubelet admits more.
            user_data=node_config_user_data(prefix_delegation_max_pods(pool.machine_types)),
            update_default_version=True,
            opts=child,
        )
        return aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=args.cluster.eks.name,
            node_group_name_prefix="system-",
            node_role_arn=role.arn,
            subnet_ids=list(args.subnet_ids),
            capacity_type="ON_DEMAND",
            instance_types=list(pool.machine_types),
            ami_type=ami_type(pool.machine_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=pool.min_size, max_size=pool.max_size, desired_size=pool.min_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={**pool.labels, **SYSTEM_POOL_LABEL},
            taints=[eks_taint(t) for t in pool.taints],
            # Nodes need the CNI before they turn Ready; Pod Identity before any workload asks for credentials.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=args.cluster.networking_addons,
                # Karpenter, not this group, does the scaling that matters; don't fight a manual resize.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

    def _interruption_queue(self, name: str, cluster_name: str) -> aws.sqs.Queue:
        """Spot interruptions, rebalance hints, health events and state changes, for Karpenter to drain ahead."""
        child = pulumi.ResourceOptions(parent=self)
        queue = aws.sqs.Queue(
            f"{name}-interruptions",
            name=f"{cluster_name}-karpenter",
            message_retention_seconds=300,  # an interruption notice is useless after two minutes
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-interruptions",
            queue_url=queue.url,
            policy=policy_document(
                [
                    {
                        # Karpenter's CloudFormation names these principals alike in every partition.
                        "Sid": "EventBridgeSends",
                        "Effect": "Allow",
                        "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                        "Action": "sqs:SendMessage",
                        "Resource": queue.arn,
                    },
                    deny_insecure_transport("sqs", [queue.arn]),
                ]
            ),
            opts=child,
        )
        for event, (source, detail_type) in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{event}",
                description=f"{detail_type} -> Karpenter ({cluster_name})",
                event_pattern=json.dumps({"source": [source], "detail-type": [detail_type]}),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{event}", rule=rule.name, arn=queue.arn, target_id="KarpenterInterruptionQueue", opts=child
            )
        return queue


def karpenter_controller_policy(
    cluster_name: str,
    cluster_arn: pulumi.Input[str],
    account_id: pulumi.Input[str],
    region: str,
    partition: Partition,
    queue_arn: pulumi.Input[str],
    node_role_arn: pulumi.Input[str],
) -> list[Statement]:
    """Karpenter's controller policy, statement for statement as its getting-started CloudFormation at the
    pinned chart version (website/content/en/docs/getting-started/getting-started-with-karpenter/
    cloudformation.yaml at v1.14.1: NodeLifecycle, IAMIntegration, EKSIntegration, Interruption, ZonalShift and
    ResourceDiscovery policies). tests/clouds/aws/test_upstream_policies.py compares it with a fixture of that
    file, so a chart bump fails until this is reviewed against the new version.

    Launching is limited to resources tagged for this cluster and a NodePool, termination to instances
    Karpenter launched for it, instance profiles to those it made for an EC2NodeClass, PassRole to the node role.
    """
    ec2 = f"arn:{partition.name}:ec2:{region}"
    owned = f"kubernetes.io/cluster/{cluster_name}"
    created = [
        f"{ec2}:*:{kind}/*"
        for kind in ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")
    ]
    request_tags = {f"aws:RequestTag/{owned}": "owned", "aws:RequestTag/eks:eks-cluster-name": cluster_name}
    resource_owned = {f"aws:ResourceTag/{owned}": "owned"}
    nodepool_resource = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    profiles = [pulumi.Output.concat(f"arn:{partition.name}:iam::", account_id, ":instance-profile/*")]
    profile_resource_tags = {**resource_owned, "aws:ResourceTag/topology.kubernetes.io/region": region}
    profile_request_tags = {**request_tags, "aws:RequestTag/topology.kubernetes.io/region": region}
    nodeclass_resource = {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}
    nodeclass_request = {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}
    return [
        # NodeLifecyclePolicy
        allow(
            ["ec2:RunInstances", "ec2:CreateFleet"],
            [
                f"{ec2}::image/*",
                f"{ec2}::snapshot/*",
                f"{ec2}:*:security-group/*",
                f"{ec2}:*:subnet/*",
                f"{ec2}:*:capacity-reservation/*",
                f"{ec2}:*:placement-group/*",
            ],
            sid="AllowScopedEC2InstanceAccessActions",
        ),
        allow(
            ["ec2:RunInstances", "ec2:CreateFleet"],
            [f"{ec2}:*:launch-template/*"],
            {"StringEquals": resource_owned, "StringLike": nodepool_resource},
            sid="AllowScopedEC2LaunchTemplateAccessActions",
        ),
        allow(
            ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            created,
            {"StringEquals": request_tags, "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
            sid="AllowScopedEC2InstanceActionsWithTags",
        ),
        allow(
            ["ec2:CreateTags"],
            created,
            {
                "StringEquals": {
                    **request_tags,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
            sid="AllowScopedResourceCreationTagging",
        ),
        allow(
            ["ec2:CreateTags"],
            [f"{ec2}:*:instance/*"],
            {
                "StringEquals": resource_owned,
                "StringLike": nodepool_resource,
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
            sid="AllowScopedResourceTagging",
        ),
        allow(
            ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
            {"StringEquals": resource_owned, "StringLike": nodepool_resource},
            sid="AllowScopedDeletion",
        ),
        # IAMIntegrationPolicy. Upstream names both spellings of EC2's principal (aws and aws-cn) in every partition.
        allow(
            ["iam:PassRole"],
            [node_role_arn],
            {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
            sid="AllowPassingInstanceRole",
        ),
        allow(
            ["iam:CreateInstanceProfile"],
            profiles,
            {"StringEquals": profile_request_tags, "StringLike": nodeclass_request},
            sid="AllowScopedInstanceProfileCreationActions",
        ),
        allow(
            ["iam:TagInstanceProfile"],
            profiles,
            {
                "StringEquals": {**profile_resource_tags, **profile_request_tags},
                "StringLike": {**nodeclass_resource, **nodeclass_request},
            },
            sid="AllowScopedInstanceProfileTagActions",
        ),
        allow(
            ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
            profiles,
            {"StringEquals": profile_resource_tags, "StringLike": nodeclass_resource},
            sid="AllowScopedInstanceProfileActions",
        ),
        # EKSIntegrationPolicy
        allow(["eks:DescribeCluster"], [cluster_arn], sid="AllowAPIServerEndpointDiscovery"),
        # InterruptionPolicy
        allow(
            ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            [queue_arn],
            sid="AllowInterruptionQueueActions",
        ),
        # ZonalShiftPolicy: Karpenter avoids zones ARC has shifted the cluster away from.
        allow(
            ["arc-zonal-shift:GetManagedResource"],
            ["*"],
            {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": cluster_arn}},
            sid="AllowZonalShiftStatusReadOnly",
        ),
        # ResourceDiscoveryPolicy
        allow(
            [
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            ["*"],
            {"StringEquals": {"aws:RequestedRegion": region}},
            sid="AllowRegionalReadActions",
        ),
        allow(
            ["ssm:GetParameter"],
            [f"arn:{partition.name}:ssm:{region}::parameter/aws/service/*"],
            sid="AllowSSMReadActions",
        ),
        allow(["pricing:GetProducts"], ["*"], sid="AllowPricingReadActions"),
        # The EC2NodeClass finalizer lists instance profiles before it deletes its own; without it destroy hangs.
        allow(["iam:ListInstanceProfiles"], ["*"], sid="AllowUnscopedInstanceProfileListAction"),
        allow(["iam:GetInstanceProfile"], profiles, sid="AllowInstanceProfileReadActions"),
    ]
