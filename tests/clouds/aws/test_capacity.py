"""Compute: an on-demand system node group, and everything Karpenter needs for the spot pools."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from clouds.aws.capacity import ami_type, eks_taint, prefix_delegation_max_pods
from config.model import Taint, TaintEffect
from tests.clouds.aws.conftest import dev, statements

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def _karpenter_statements() -> dict[str, dict]:
    policy = json.loads(dev().one(ROLE_POLICY, "capacity-karpenter").inputs["policy"])
    return {s["Sid"]: s for s in statements(policy)}


def test_system_node_group_is_on_demand_labelled_and_sized_from_config() -> None:
    group = dev().one(NODE_GROUP).inputs
    assert group["capacityType"] == "ON_DEMAND"
    assert group["instanceTypes"] == ["m7g.large"]
    assert group["amiType"] == "AL2023_ARM_64_STANDARD"
    assert group["labels"]["mlops-platform/pool"] == "system"
    assert group["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 1}


def test_system_nodes_require_imdsv2_and_boot_from_encrypted_gp3() -> None:
    template = dev().one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    ebs = template["blockDeviceMappings"][0]["ebs"]
    assert (ebs["volumeType"], ebs["encrypted"], ebs["volumeSize"]) == ("gp3", "true", 50)


def test_the_vpc_cni_hands_out_ip_prefixes_before_any_node_joins() -> None:
    run = dev()
    cni = run.one("aws:eks/addon:Addon", "cluster-vpc-cni")
    env = json.loads(cni.inputs["configurationValues"])["env"]
    assert env["ENABLE_PREFIX_DELEGATION"] == "true"
    assert run.depends_on(run.one(NODE_GROUP), cni)


def test_system_nodes_admit_110_pods_not_the_29_their_enis_would_allow() -> None:
    user_data = base64.b64decode(dev().one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]).decode()
    assert "Content-Type: application/node.eks.aws" in user_data
    node_config = yaml.safe_load(user_data.split("application/node.eks.aws\n\n", 1)[1].split("\n--", 1)[0])
    assert node_config["kind"] == "NodeConfig"
    assert node_config["spec"]["kubelet"]["config"]["maxPods"] == 110


@pytest.mark.parametrize(("types", "pods"), [(["m6i.large"], 110), (["t4g.small"], 110), (["m7i.2xlarge"], 110)])
def test_prefix_delegation_max_pods_follows_the_eks_calculator_caps(types: list[str], pods: int) -> None:
    assert prefix_delegation_max_pods(types) == pods


def test_an_instance_type_without_facts_is_refused_for_the_system_pool() -> None:
    with pytest.raises(ValueError, match=r"clouds/machines\.py"):
        prefix_delegation_max_pods(["x9z.huge"])


def test_taint_effects_are_translated_to_the_eks_spelling() -> None:
    taint = eks_taint(Taint(key="CriticalAddonsOnly", value="true", effect=TaintEffect.NO_SCHEDULE))
    assert (taint.key, taint.value, taint.effect) == ("CriticalAddonsOnly", "true", "NO_SCHEDULE")
    assert eks_taint(Taint(key="x", effect=TaintEffect.NO_EXECUTE)).effect == "NO_EXECUTE"


def test_graviton_system_pools_get_the_arm_ami_and_mixed_pools_are_refused() -> None:
    assert ami_type(["m7g.large", "t4g.large"]) == "AL2023_ARM_64_STANDARD"
    assert ami_type(["m6i.large"]) == "AL2023_x86_64_STANDARD"
    with pytest.raises(ValueError, match="mixes"):
        ami_type(["m7g.large", "m6i.large"])


def test_karpenter_nodes_join_through_an_ec2_linux_access_entry() -> None:
    run = dev()
    role = run.one("aws:iam/role:Role", "capacity-karpenter-node")
    entry = run.one("aws:eks/accessEntry:AccessEntry", "capacity-karpenter-node").inputs
    assert (entry["type"], entry["principalArn"]) == ("EC2_LINUX", role.outputs["arn"])


def test_karpenter_node_role_has_exactly_the_node_policies() -> None:
    attached = {
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in dev().of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name.startswith("capacity-karpenter-node-")
    }
    assert attached == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryPullOnly",
        "AmazonSSMManagedInstanceCore",
    }


def test_interruption_queue_holds_notices_five_minutes_encrypted() -> None:
    queue = dev().one("aws:sqs/queue:Queue").inputs
    assert queue["messageRetentionSeconds"] == 300
    assert queue["sqsManagedSseEnabled"] is True


def test_interruption_queue_admits_only_eventbridge_and_only_over_tls() -> None:
    policy = statements(json.loads(dev().one("aws:sqs/queuePolicy:QueuePolicy").inputs["policy"]))
    allows = [s for s in policy if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}]
    assert allows[0]["Action"] == "sqs:SendMessage"
    assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false" for s in policy)


def test_eventbridge_forwards_the_five_interruption_events_to_the_queue() -> None:
    run = dev()
    queue_arn = run.one("aws:sqs/queue:Queue").outputs["arn"]
    patterns = {
        json.loads(r.inputs["eventPattern"])["detail-type"][0]
        for r in run.of_type("aws:cloudwatch/eventRule:EventRule")
    }
    assert patterns == {
        "AWS Health Event",
        "EC2 Spot Instance Interruption Warning",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
        "EC2 Capacity Reservation Instance Interruption Warning",
    }
    assert {t.inputs["arn"] for t in run.of_type("aws:cloudwatch/eventTarget:EventTarget")} == {queue_arn}


def test_karpenter_may_pass_only_its_node_role_and_only_to_ec2() -> None:
    node_role = dev().one("aws:iam/role:Role", "capacity-karpenter-node").outputs["arn"]
    pass_role = _karpenter_statements()["AllowPassingInstanceRole"]
    assert pass_role["Resource"] == [node_role]
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}
    }


def test_karpenter_terminates_only_instances_it_launched_for_this_cluster() -> None:
    deletion = _karpenter_statements()["AllowScopedDeletion"]
    assert deletion["Condition"]["StringEquals"] == {"aws:ResourceTag/kubernetes.io/cluster/mlops-dev-eks": "owned"}
    assert deletion["Condition"]["StringLike"] == {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    assert all(r.startswith("arn:aws:ec2:eu-west-1:") for r in deletion["Resource"])


def test_karpenter_reads_only_its_interruption_queue_and_describes_only_its_cluster() -> None:
    run = dev()
    found = _karpenter_statements()
    assert found["AllowInterruptionQueueActions"]["Resource"] == [run.one("aws:sqs/queue:Queue").outputs["arn"]]
    assert found["AllowAPIServerEndpointDiscovery"]["Resource"] == [run.one("aws:eks/cluster:Cluster").outputs["arn"]]


def test_cluster_security_group_carries_the_karpenter_discovery_tag() -> None:
    run = dev()
    tag = run.one("aws:ec2/tag:Tag").inputs
    cluster = run.one("aws:eks/cluster:Cluster")
    assert (tag["key"], tag["value"]) == ("karpenter.sh/discovery", "mlops-dev-eks")
    assert tag["resourceId"] == cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]
