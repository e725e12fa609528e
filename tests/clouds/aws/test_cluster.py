"""The EKS control plane: pinned version, access entries, a guarded endpoint, encrypted secrets, add-ons."""

from __future__ import annotations

import json

from offline.harness import StackRun
from tests.clouds.aws.conftest import dev
from tests.conftest import DEPLOYER_CIDR

CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"


def test_cluster_runs_the_configured_kubernetes_version() -> None:
    assert dev().one(CLUSTER).inputs["version"] == "1.34"


def test_cluster_authenticates_with_access_entries_not_the_aws_auth_config_map() -> None:
    assert dev().one(CLUSTER).inputs["accessConfig"]["authenticationMode"] == "API"


def test_public_endpoint_is_limited_to_the_allow_list() -> None:
    vpc_config = dev().one(CLUSTER).inputs["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is True
    assert vpc_config["publicAccessCidrs"] == [DEPLOYER_CIDR]


def test_public_endpoint_is_off_when_the_allow_list_is_empty(prod: StackRun) -> None:
    vpc_config = prod.one(CLUSTER).inputs["vpcConfig"]
    assert vpc_config["endpointPublicAccess"] is False
    assert vpc_config["endpointPrivateAccess"] is True
    assert "publicAccessCidrs" not in vpc_config


def test_a_deployer_inside_the_vpc_may_reach_the_private_endpoint_over_https(prod: StackRun) -> None:
    (rule,) = prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    cluster_group = prod.one(CLUSTER).outputs["vpcConfig"]["clusterSecurityGroupId"]
    assert rule.inputs["securityGroupId"] == cluster_group
    assert (rule.inputs["cidrIpv4"], rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == (
        "10.40.0.0/16",
        "tcp",
        443,
        443,
    )


def test_the_private_endpoint_admits_nothing_new_when_the_deployer_is_outside() -> None:
    assert dev().of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []


def test_kubernetes_secrets_are_envelope_encrypted_with_a_rotated_customer_key() -> None:
    run = dev()
    key = run.one("aws:kms/key:Key", "cluster-secrets-key")
    encryption = run.one(CLUSTER).inputs["encryptionConfig"]
    assert encryption == {"resources": ["secrets"], "provider": {"keyArn": key.outputs["arn"]}}
    assert key.inputs["enableKeyRotation"] is True


def test_dev_sends_only_the_authenticator_log_with_the_flow_log_retention() -> None:
    run = dev()
    assert run.one(CLUSTER).inputs["enabledClusterLogTypes"] == ["authenticator"]
    log_group = run.one("aws:cloudwatch/logGroup:LogGroup", "cluster-logs")
    assert log_group.inputs["name"] == "/aws/eks/mlops-dev-eks/cluster"
    assert log_group.inputs["retentionInDays"] == 14


def test_production_keeps_the_audit_log_a_year_encrypted_with_the_stacks_log_key(prod: StackRun) -> None:
    assert prod.one(CLUSTER).inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    key_arn = prod.one("aws:kms/key:Key", "logs-key").outputs["arn"]
    log_group = prod.one("aws:cloudwatch/logGroup:LogGroup", "cluster-logs")
    assert log_group.inputs["retentionInDays"] == 365
    assert {g.inputs.get("kmsKeyId") for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")} == {key_arn}


def test_the_log_key_admits_cloudwatch_logs_only_for_this_accounts_log_groups(prod: StackRun) -> None:
    policy = json.loads(prod.one("aws:kms/key:Key", "logs-key").inputs["policy"])
    (logs,) = [s for s in policy["Statement"] if s["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}]
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*"}
    }


def test_managed_addons_cover_networking_dns_storage_and_pod_identity() -> None:
    names = {a.inputs["addonName"] for a in dev().of_type(ADDON)}
    assert names == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "eks-pod-identity-agent"}


def test_vpc_cni_enforces_network_policies() -> None:
    cni = next(a for a in dev().of_type(ADDON) if a.inputs["addonName"] == "vpc-cni")
    assert json.loads(cni.inputs["configurationValues"])["enableNetworkPolicy"] == "true"


def test_coredns_and_ebs_csi_wait_for_the_system_nodes() -> None:
    run = dev()
    nodes = run.one("aws:eks/nodeGroup:NodeGroup")
    waiting = [a for a in run.of_type(ADDON) if a.inputs["addonName"] in ("coredns", "aws-ebs-csi-driver")]
    assert len(waiting) == 2
    for addon in waiting:
        assert run.depends_on(addon, nodes), addon.name


def test_ebs_csi_driver_has_its_own_pod_identity_role() -> None:
    run = dev()
    ebs = next(a for a in run.of_type(ADDON) if a.inputs["addonName"] == "aws-ebs-csi-driver")
    role = run.one("aws:iam/role:Role", "addons-ebs-csi")
    assert ebs.inputs["podIdentityAssociations"] == [
        {"roleArn": role.outputs["arn"], "serviceAccount": "ebs-csi-controller-sa"}
    ]
    attachment = run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "addons-ebs-csi-amazonebscsidriverpolicy")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"


def test_gp3_is_the_encrypted_default_storage_class() -> None:
    storage_class = dev().one("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage_class.inputs["metadata"]["name"] == "gp3"
    assert storage_class.inputs["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert storage_class.inputs["provisioner"] == "ebs.csi.aws.com"
    assert storage_class.inputs["parameters"] == {"type": "gp3", "encrypted": "true", "fsType": "ext4"}
    assert storage_class.inputs["volumeBindingMode"] == "WaitForFirstConsumer"


def test_each_team_role_joins_its_teams_kubernetes_group_and_nothing_more() -> None:
    entry = dev().one("aws:eks/accessEntry:AccessEntry", "cluster-team-fraud").inputs
    assert entry["principalArn"] == "arn:aws:iam::123456789012:role/ds-fraud"
    assert entry["kubernetesGroups"] == ["mlops-team-fraud"]


def test_no_eks_access_policy_is_attached_to_a_team_role() -> None:
    # EKS's edit policy would let a team rewrite its own NetworkPolicies; the team's RoleBinding is the grant.
    principals = {a.inputs["principalArn"] for a in dev().of_type(ACCESS_POLICY)}
    assert not any(p.endswith(("/ds-fraud", "/ds-search")) for p in principals)


def test_configured_admin_roles_get_cluster_admin(prod: StackRun) -> None:
    admin = prod.one(ACCESS_POLICY, "cluster-admin-0").inputs
    assert admin["principalArn"] == "arn:aws:iam::123456789012:role/platform-admins"
    assert admin["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert admin["accessScope"] == {"type": "cluster"}


def test_addons_run_the_default_version_for_the_cluster_kubernetes_version() -> None:
    cni = next(a for a in dev().of_type(ADDON) if a.inputs["addonName"] == "vpc-cni")
    assert cni.inputs["addonVersion"] == "v1.20.4-eksbuild.1"
