"""The EKS control plane (access entries, private endpoint, KMS envelope encryption, audit logs) and its add-ons."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from clouds.aws.iam import Partition, service_role
from clouds.aws.identity import WorkloadRole, WorkloadRoleArgs
from clouds.aws.kms import customer_key
from clouds.common import exec_kubeconfig
from clouds.contract import Workload

CONTROL_PLANE_LOGS = ("api", "audit", "authenticator")
VPC_CNI_CONFIGURATION = {
    "enableNetworkPolicy": "true",
    "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"},
}
CLUSTER_ADMIN_POLICY = "cluster-access-policy/AmazonEKSClusterAdminPolicy"
DEFAULT_STORAGE_CLASS = "gp3"
EBS_CSI_CONTROLLER = Workload("ebs-csi-controller", "kube-system", "ebs-csi-controller-sa")
"""The EBS CSI add-on's controller service account (the add-on installs it in kube-system)."""


@dataclass(frozen=True)
class TeamAccess:
    """A data-science team's IAM role and the Kubernetes group its sessions carry.

    No EKS access policy: the team's RoleBinding (k8s_platform/tenancy) grants that group a role limited to its
    namespace, narrower than EKS's namespace-scoped edit policy, which would let a team rewrite its own
    NetworkPolicies and quotas."""

    team: str
    role_arn: str
    kubernetes_group: str


@dataclass(frozen=True)
class ClusterArgs:
    name: str
    kubernetes_version: str
    region: str
    partition: Partition
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets: the control plane's network interfaces and the nodes live there."""
    service_cidr: str
    endpoint_allow_list: Sequence[str]
    """CIDRs allowed on the public endpoint; empty turns the public endpoint off."""
    private_api_clients: Sequence[str]
    """CIDRs inside the network allowed on the private endpoint (HTTPS into the cluster security group): the VPC
    when `pulumi up` runs in it (`cluster.deployerInNetwork`); empty otherwise (only the cluster itself)."""
    admin_role_arns: Sequence[str]
    team_access: Sequence[TeamAccess]
    log_retention_days: int
    protect: bool
    control_plane_logs: Sequence[str] = CONTROL_PLANE_LOGS
    log_key_arn: pulumi.Input[str] | None = None
    """Customer key of the log group (outside dev); None: CloudWatch Logs' own encryption."""


class Cluster(pulumi.ComponentResource):
    cluster_name: str
    eks: aws.eks.Cluster
    endpoint: pulumi.Output[str]
    arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    """The cluster security group EKS creates: on the control plane, managed nodes and Karpenter nodes."""
    kubeconfig: pulumi.Output[str]
    networking_addons: list[aws.eks.Addon]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        key = customer_key(
            f"{name}-secrets-key",
            alias=f"{args.name}-secrets",
            description=f"Envelope encryption of Kubernetes Secrets in {args.name}",
            parent=self,
            protect=args.protect,
        )
        role = service_role(
            f"{name}-role",
            "eks.amazonaws.com",  # EKS keeps this principal in every partition, China included
            [args.partition.managed_policy("AmazonEKSClusterPolicy")],
            child,
            description=f"EKS control plane of {args.name}",
        )
        # Created first so EKS does not create it with infinite retention.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/eks/{args.name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key_arn,
            opts=child,
        )

        public = bool(args.endpoint_allow_list)
        self.eks = aws.eks.Cluster(
            name,
            name=args.name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(args.endpoint_allow_list) if public else None,
            ),
            # Access entries, not the aws-auth ConfigMap: access is an AWS API object, audited in CloudTrail.
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
            ),
            enabled_cluster_log_types=list(args.control_plane_logs),
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                service_ipv4_cidr=args.service_cidr, ip_family="ipv4"
            ),
            # The CNI, kube-proxy and CoreDNS come as managed add-ons below, versioned with the cluster.
            bootstrap_self_managed_addons=False,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )

        self.cluster_name = args.name
        self.endpoint = self.eks.endpoint
        self.arn = self.eks.arn
        self.security_group_id = self.eks.vpc_config.cluster_security_group_id
        self.kubeconfig = kubeconfig(args.name, args.region, self.eks.endpoint, self.eks.certificate_authority.data)
        # The cluster security group admits only its own members; a deployer in the VPC needs its own way in.
        for index, cidr in enumerate(args.private_api_clients):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-private-api-{index}",
                security_group_id=self.security_group_id,
                cidr_ipv4=cidr,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="Kubernetes API from inside the VPC (deployer, CI runner)",
                opts=child,
            )

        # Needed before any node joins: pod networking (with NetworkPolicy enforcement), Services, Pod Identity.
        self.networking_addons = [
            # NetworkPolicies are only enforced when the CNI's network-policy agent is on. Prefix delegation gives
            # each ENI slot a /28 (16 addresses), so a node's pod count is no longer capped by its ENIs (29 pods on
            # an m6i.large); WARM_PREFIX_TARGET 1 keeps one spare prefix per node, not a spare ENI's worth.
            addon(self, f"{name}-vpc-cni", self.eks, "vpc-cni", json.dumps(VPC_CNI_CONFIGURATION)),
            addon(self, f"{name}-kube-proxy", self.eks, "kube-proxy"),
            addon(self, f"{name}-pod-identity-agent", self.eks, "eks-pod-identity-agent"),
        ]

        for index, principal in enumerate(args.admin_role_arns):
            self._cluster_admin(f"{name}-admin-{index}", principal, args.partition)
        for access in args.team_access:
            aws.eks.AccessEntry(
                f"{name}-team-{access.team}",
                cluster_name=self.eks.name,
                principal_arn=access.role_arn,
                kubernetes_groups=[access.kubernetes_group],
                type="STANDARD",
                opts=child,
            )

        self.register_outputs({"name": args.name, "endpoint": self.endpoint, "arn": self.arn})

    def _cluster_admin(self, name: str, principal: str, partition: Partition) -> None:
        entry = aws.eks.AccessEntry(
            name,
            cluster_name=self.eks.name,
            principal_arn=principal,
            type="STANDARD",
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.eks.AccessPolicyAssociation(
            name,
            cluster_name=self.eks.name,
            principal_arn=entry.principal_arn,
            policy_arn=f"arn:{partition.name}:eks::aws:{CLUSTER_ADMIN_POLICY}",
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=pulumi.ResourceOptions(parent=self),
        )


def addon(
    parent: pulumi.Resource,
    name: str,
    cluster: aws.eks.Cluster,
    addon_name: str,
    configuration_values: str | None = None,
    pod_identity_associations: Sequence[aws.eks.AddonPodIdentityAssociationArgs] | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> aws.eks.Addon:
    """An EKS managed add-on at AWS's default version for the cluster's Kubernetes version.

    The version is looked up, not left empty: a `cluster.kubernetesVersion` bump then shows up in the plan
    as an add-on upgrade, instead of leaving add-ons on the version they were created with.
    """
    version = aws.eks.get_addon_version_output(
        addon_name=addon_name,
        kubernetes_version=cluster.version,
        most_recent=False,
        opts=pulumi.InvokeOutputOptions(parent=parent),
    ).version
    return aws.eks.Addon(
        name,
        cluster_name=cluster.name,
        addon_name=addon_name,
        addon_version=version,
        configuration_values=configuration_values,
        pod_identity_associations=pod_identity_associations,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def kubeconfig(
    cluster_name: str, region: str, endpoint: pulumi.Input[str], certificate_authority: pulumi.Input[str]
) -> pulumi.Output[str]:
    """A kubeconfig that asks `aws eks get-token` for short-lived tokens: no credentials are stored in it."""
    doc = pulumi.Output.all(endpoint, certificate_authority).apply(
        lambda values: exec_kubeconfig(
            cluster_name,
            values[0],
            values[1],
            "aws",
            args=["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
            interactiveMode="Never",
        )
    )
    return pulumi.Output.secret(doc)


@dataclass(frozen=True)
class ClusterAddonsArgs:
    cluster: Cluster
    account_id: pulumi.Input[str]
    partition: Partition
    kubernetes_provider: k8s.Provider
    nodes: Sequence[pulumi.Resource]
    """What must exist before these add-ons: CoreDNS and the EBS CSI controller need a node to run on."""


class ClusterAddons(pulumi.ComponentResource):
    """Add-ons that run as pods (CoreDNS, EBS CSI driver) and the gp3 default StorageClass."""

    addons: list[aws.eks.Addon]

    def __init__(self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:ClusterAddons", name, None, opts)
        cluster = args.cluster

        ebs_role = WorkloadRole(
            f"{name}-ebs-csi",
            WorkloadRoleArgs(
                cluster_name=cluster.eks.name,
                cluster_arn=cluster.arn,
                account_id=args.account_id,
                statements=[],
                managed_policies=[args.partition.managed_policy("service-role/AmazonEBSCSIDriverPolicy")],
                workload=EBS_CSI_CONTROLLER,
                associate=False,  # the add-on creates the association itself (below)
            ),
            pulumi.ResourceOptions(parent=self),
        )
        coredns = addon(self, f"{name}-coredns", cluster.eks, "coredns", depends_on=args.nodes)
        ebs_csi = addon(
            self,
            f"{name}-ebs-csi-driver",
            cluster.eks,
            "aws-ebs-csi-driver",
            # The add-on creates the Pod Identity association for its own controller service account.
            pod_identity_associations=[
                aws.eks.AddonPodIdentityAssociationArgs(
                    role_arn=ebs_role.role.arn, service_account=EBS_CSI_CONTROLLER.service_account
                )
            ],
            depends_on=args.nodes,
        )
        # EKS 1.30+ no longer marks gp2 as default, so this is the cluster's only default class.
        k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=DEFAULT_STORAGE_CLASS,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "fsType": "ext4"},
            volume_binding_mode="WaitForFirstConsumer",  # create the volume in the zone the pod lands in
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[ebs_csi]),
        )
        self.addons = [coredns, ebs_csi]
        self.register_outputs({})
