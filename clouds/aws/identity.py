"""Workload identities: one IAM role per workload, bound to its service account with EKS Pod Identity.

Pod Identity rather than IRSA: the trust policy names one service principal instead of the cluster's OIDC
issuer, so roles need no per-cluster OIDC provider and survive a cluster rebuild; the namespace/service-account
binding lives in an EKS association (auditable, no service-account annotation for the platform layer to get
right); and session tags carry the cluster and namespace into CloudTrail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from clouds.aws.iam import Partition, Statement, allow, attach_managed_policies, policy_document
from clouds.contract import LinkLocalEndpoint, Workload, WorkloadIdentity

# The same in every partition (EKS documents no `.amazonaws.com.cn` form for the Pod Identity principal).
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
POD_IDENTITY_AGENT = LinkLocalEndpoint("169.254.170.23/32", 80)
"""The Pod Identity agent DaemonSet serves credentials here (not on the metadata endpoint, which stays blocked)."""


@dataclass(frozen=True)
class WorkloadRoleArgs:
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    statements: Sequence[Statement]
    """The role's whole inline policy: exactly what this workload touches."""
    workload: Workload | None = None
    """The namespace/service account the role serves: its trust admits only that account's sessions."""
    associate: bool = True
    """Create the Pod Identity association; False when an EKS add-on creates it itself (EBS CSI)."""
    managed_policies: Sequence[str] = field(default_factory=tuple)
    """AWS-managed policy ARNs (`Partition.managed_policy`), for add-ons AWS maintains a policy for."""


class WorkloadRole(pulumi.ComponentResource):
    role: aws.iam.Role
    identity: WorkloadIdentity | None
    ready: list[pulumi.Resource]
    """The role's policies and association: what its pods need while they run."""

    def __init__(self, name: str, args: WorkloadRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:WorkloadRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.role = aws.iam.Role(
            name,
            assume_role_policy=policy_document([pod_identity_trust(args.account_id, args.cluster_arn, args.workload)]),
            description=f"Pod Identity role of {args.workload.subject if args.workload else name}",
            opts=child,
        )
        # What the workload's pods need while they run: the platform layer makes their release depend on it.
        self.ready = []
        if args.statements:
            self.ready.append(
                aws.iam.RolePolicy(name, role=self.role.id, policy=policy_document(args.statements), opts=child)
            )
        self.ready += attach_managed_policies(name, self.role, args.managed_policies, child)

        self.identity = None
        if args.workload is not None and args.associate:
            association = aws.eks.PodIdentityAssociation(
                name,
                cluster_name=args.cluster_name,
                namespace=args.workload.namespace,
                service_account=args.workload.service_account,
                role_arn=self.role.arn,
                opts=child,
            )
            self.ready.append(association)
            # Pod Identity needs nothing on the service account or pod: the association is the binding.
            self.identity = WorkloadIdentity(args.workload, principal=self.role.arn, ready=list(self.ready))
        self.register_outputs({"roleArn": self.role.arn})


def pod_identity_trust(
    account_id: pulumi.Input[str], cluster_arn: pulumi.Input[str], workload: Workload | None = None
) -> Statement:
    """Only the Pod Identity agent, acting for this cluster (and this service account), may assume the role.

    Scoped by the session tags EKS Pod Identity sets on every AssumeRole (EKS User Guide, "List of session tags
    added by EKS Pod Identity": eks-cluster-arn, kubernetes-namespace, kubernetes-service-account, ...).
    `aws:SourceArn` is not the cluster: EKS passes the association's ARN there, so a cluster-ARN condition
    on it never matches and STS denies every pod.
    """
    tags: dict[str, pulumi.Input[str]] = {
        "aws:SourceAccount": account_id,
        "aws:RequestTag/eks-cluster-arn": cluster_arn,
    }
    if workload is not None:
        tags["aws:RequestTag/kubernetes-namespace"] = workload.namespace
        tags["aws:RequestTag/kubernetes-service-account"] = workload.service_account
    return {
        "Effect": "Allow",
        "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": tags},
    }


def s3_prefix_access(
    bucket_arn: pulumi.Input[str],
    prefixes: Sequence[str],
    key_arn: pulumi.Input[str],
    region: str,
    partition: Partition,
    write: bool,
) -> list[Statement]:
    """List, read (and write) objects under `prefixes` of one bucket, and use its key only through S3."""
    objects = [pulumi.Output.concat(bucket_arn, f"/{prefix}/*") for prefix in prefixes]
    object_actions = ["s3:GetObject", "s3:GetObjectVersion"]
    key_actions = ["kms:Decrypt"]
    if write:
        object_actions += ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        key_actions += ["kms:GenerateDataKey"]
    return [
        allow(
            ["s3:ListBucket"],
            [bucket_arn],
            {"StringLike": {"s3:prefix": [p for prefix in prefixes for p in (prefix, f"{prefix}/*")]}},
            sid="ListOwnPrefix",
        ),
        allow(["s3:GetBucketLocation"], [bucket_arn], sid="LocateBucket"),
        allow(object_actions, objects, sid="ObjectsUnderOwnPrefix"),
        allow(
            key_actions,
            [key_arn],
            {"StringEquals": {"kms:ViaService": partition.host(f"s3.{region}")}},
            sid="BucketKey",
        ),
    ]


def secrets_read(
    secret_arns: Sequence[pulumi.Input[str]], key_arn: pulumi.Input[str], region: str, partition: Partition
) -> list[Statement]:
    """Read exactly the platform's secrets (External Secrets), decrypting only through Secrets Manager."""
    return [
        allow(
            [
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:ListSecretVersionIds",
            ],
            list(secret_arns),
            sid="PlatformSecrets",
        ),
        allow(
            ["kms:Decrypt"],
            [key_arn],
            {"StringEquals": {"kms:ViaService": partition.host(f"secretsmanager.{region}")}},
            sid="SecretsKey",
        ),
    ]


# Read-only and certificate/WAF actions of the AWS Load Balancer Controller (docs/install/iam_policy.json, v3.5.0).
LB_DESCRIBE_ACTIONS = (
    "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags",
    "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
)  # fmt: skip
LB_CERTIFICATE_AND_WAF_ACTIONS = (
    "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
    "iam:ListServerCertificates", "iam:GetServerCertificate",
    "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
    "waf-regional:DisassociateWebACL",
    "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
    "shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
)  # fmt: skip
LB_OWNED_MUTATIONS = (
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
    "elasticloadbalancing:ModifyIpPools",
)  # fmt: skip


def load_balancer_controller_policy(partition: Partition) -> list[Statement]:
    """The AWS Load Balancer Controller's policy (docs/install/iam_policy.json at v3.5.0), as data.

    Kept statement for statement with upstream (no Sids, as there), so a controller upgrade is a diff against
    that file; tests/clouds/aws/test_upstream_policies.py compares it with a fixture of that file at the pinned
    chart version. Mutations are conditioned on the controller's own `elbv2.k8s.aws/cluster` tag. Upstream's
    iam_policy_cn.json and iam_policy_us-gov.json differ only in the ARN partition (and the order of two
    statements).
    """
    request_tag = "aws:RequestTag/elbv2.k8s.aws/cluster"
    resource_tag = "aws:ResourceTag/elbv2.k8s.aws/cluster"
    elb = f"arn:{partition.name}:elasticloadbalancing:*:*"
    load_balancers = [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*"]
    listeners = [f"{elb}:{kind}/{lb}/*/*/*" for kind in ("listener", "listener-rule") for lb in ("net", "app")]
    security_groups = [f"arn:{partition.name}:ec2:*:*:security-group/*"]
    return [
        allow(
            ["iam:CreateServiceLinkedRole"],
            ["*"],
            # Upstream keeps this service name in every partition's policy.
            {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        ),
        allow(LB_DESCRIBE_ACTIONS, ["*"]),
        allow(LB_CERTIFICATE_AND_WAF_ACTIONS, ["*"]),
        allow(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], ["*"]),
        allow(["ec2:CreateSecurityGroup"], ["*"]),
        allow(
            ["ec2:CreateTags"],
            security_groups,
            {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, "Null": {request_tag: "false"}},
        ),
        allow(
            ["ec2:CreateTags", "ec2:DeleteTags"],
            security_groups,
            {"Null": {request_tag: "true", resource_tag: "false"}},
        ),
        allow(
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
            ["*"],
            {"Null": {resource_tag: "false"}},
        ),
        allow(
            ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            ["*"],
            {"Null": {request_tag: "false"}},
        ),
        allow(
            [f"elasticloadbalancing:{a}" for a in ("CreateListener", "DeleteListener", "CreateRule", "DeleteRule")],
            ["*"],
        ),
        allow(
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            load_balancers,
            {"Null": {request_tag: "true", resource_tag: "false"}},
        ),
        allow(["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], listeners),
        allow(LB_OWNED_MUTATIONS, ["*"], {"Null": {resource_tag: "false"}}),
        allow(
            ["elasticloadbalancing:AddTags"],
            load_balancers,
            {
                "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                "Null": {request_tag: "false"},
            },
        ),
        allow(
            ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            [f"{elb}:targetgroup/*/*"],
        ),
        allow(
            [
                f"elasticloadbalancing:{a}"
                for a in (
                    "SetWebAcl",
                    "ModifyListener",
                    "AddListenerCertificates",
                    "RemoveListenerCertificates",
                    "ModifyRule",
                    "SetRulePriorities",
                )
            ],
            ["*"],
        ),
    ]
