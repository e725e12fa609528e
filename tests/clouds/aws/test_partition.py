"""ARNs and partition-specific service names follow the region's partition: aws, aws-cn or aws-us-gov."""

from __future__ import annotations

import json
import re
from typing import Any

from offline.harness import StackRun
from tests.clouds.aws.conftest import dev, role_policy, statements

ARN = re.compile(r"arn:[a-z-]+:")


def arn_partitions(run: StackRun) -> set[str]:
    """The partition of every ARN anywhere in the inputs the program declares."""
    found = {m for r in run.resources for m in ARN.findall(json.dumps(r.inputs, default=str))}
    return {m.split(":")[1] for m in found}


def statement(run: StackRun, role: str, sid: str) -> dict[str, Any]:
    return next(s for s in role_policy(run, role) if s.get("Sid") == sid)


def karpenter_node_trust(run: StackRun) -> dict[str, Any]:
    (trust,) = statements(
        json.loads(run.one("aws:iam/role:Role", "capacity-karpenter-node").inputs["assumeRolePolicy"])
    )
    return trust


def test_a_china_stack_names_every_arn_in_the_aws_cn_partition(china: StackRun) -> None:
    assert arn_partitions(china) == {"aws-cn"}


def test_a_govcloud_stack_names_every_arn_in_the_aws_us_gov_partition(govcloud: StackRun) -> None:
    assert arn_partitions(govcloud) == {"aws-us-gov"}


def test_a_commercial_stack_keeps_the_aws_partition() -> None:
    assert arn_partitions(dev()) == {"aws"}


def test_managed_policies_are_attached_from_the_stacks_partition(china: StackRun) -> None:
    attached = [a.inputs["policyArn"] for a in china.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert "arn:aws-cn:iam::aws:policy/AmazonEKSWorkerNodePolicy" in attached
    assert all(arn.startswith("arn:aws-cn:iam::aws:policy/") for arn in attached)


def test_cluster_admins_get_the_china_partitions_access_policy(china: StackRun) -> None:
    (admin,) = china.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert admin.inputs["policyArn"] == "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert admin.inputs["principalArn"] == "arn:aws-cn:iam::123456789012:role/admins"


def test_karpenter_nodes_trust_ec2_by_its_china_principal(china: StackRun) -> None:
    assert karpenter_node_trust(china)["Principal"] == {"Service": "ec2.amazonaws.com.cn"}
    passing = next(
        s
        for s in statements(
            json.loads(china.one("aws:iam/rolePolicy:RolePolicy", "capacity-karpenter").inputs["policy"])
        )
        if s.get("Sid") == "AllowPassingInstanceRole"
    )
    # Upstream's policy names both spellings in every partition; the China one is among them.
    assert "ec2.amazonaws.com.cn" in passing["Condition"]["StringEquals"]["iam:PassedToService"]


def test_karpenter_nodes_trust_ec2_by_its_usual_principal_in_govcloud(govcloud: StackRun) -> None:
    assert karpenter_node_trust(govcloud)["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_bucket_key_is_usable_only_through_s3_at_its_china_endpoint(china: StackRun) -> None:
    condition = statement(china, "mlflow", "BucketKey")["Condition"]
    assert condition == {"StringEquals": {"kms:ViaService": "s3.cn-north-1.amazonaws.com.cn"}}


def test_secrets_key_is_usable_only_through_secrets_manager_at_its_china_endpoint(china: StackRun) -> None:
    condition = statement(china, "external-secrets", "SecretsKey")["Condition"]
    assert condition == {"StringEquals": {"kms:ViaService": "secretsmanager.cn-north-1.amazonaws.com.cn"}}
