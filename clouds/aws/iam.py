"""IAM building blocks: policy statements as dicts, turned into JSON once, and roles for AWS services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

Statement = dict[str, Any]


@dataclass(frozen=True)
class Partition:
    """The AWS partition the stack's region belongs to (aws, aws-cn, aws-us-gov): ARNs never hard-code `arn:aws:`."""

    name: str
    dns_suffix: str
    """`amazonaws.com`, or `amazonaws.com.cn` in China: part of some service principals and endpoints."""

    def managed_policy(self, path: str) -> str:
        """An AWS-managed policy by its path under `policy/`, e.g. `service-role/AmazonEBSCSIDriverPolicy`."""
        return f"arn:{self.name}:iam::aws:policy/{path}"

    def host(self, service: str) -> str:
        """`<service>.<dns suffix>`: the EC2 principal and regional endpoints (kms:ViaService) differ in China."""
        return f"{service}.{self.dns_suffix}"


def lookup_partition(opts: pulumi.InvokeOptions) -> Partition:
    """The partition of the provider's region, asked of AWS (plain strings, so ARNs stay plain f-strings)."""
    found = aws.get_partition(opts=opts)
    return Partition(found.partition, found.dns_suffix)


def allow(
    actions: Sequence[str],
    resources: pulumi.Input[str] | Sequence[pulumi.Input[str]],
    condition: Mapping[str, Any] | None = None,
    sid: str | None = None,
) -> Statement:
    """One Allow statement; `resources` may hold Outputs (ARNs), resolved when the document is serialised."""
    statement: Statement = {"Effect": "Allow", "Action": list(actions), "Resource": resources}
    if condition:
        statement["Condition"] = dict(condition)
    if sid:
        statement["Sid"] = sid
    return statement


def deny_insecure_transport(service: str, resources: Sequence[pulumi.Input[str]]) -> Statement:
    """Resource-policy statement refusing any request that is not over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": f"{service}:*",
        "Resource": list(resources),
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """The one place a policy becomes JSON; nested Outputs (ARNs) are resolved first."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_service(service: str, actions: Sequence[str] = ("sts:AssumeRole",)) -> pulumi.Output[str]:
    return policy_document(
        [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
    )


def attach_managed_policies(
    name: str, role: aws.iam.Role, policy_arns: Sequence[str], opts: pulumi.ResourceOptions
) -> list[aws.iam.RolePolicyAttachment]:
    """Attach AWS-managed policies (ARNs from `Partition.managed_policy`), one attachment named after each."""
    return [
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy_arn.rsplit('/', 1)[-1].lower()}", role=role.name, policy_arn=policy_arn, opts=opts
        )
        for policy_arn in policy_arns
    ]


def service_role(
    name: str,
    service: str,
    managed_policies: Sequence[str],
    opts: pulumi.ResourceOptions,
    description: str,
) -> aws.iam.Role:
    """A role an AWS service (EC2, EKS, VPC Flow Logs) assumes, with AWS-managed policies (ARNs) attached."""
    role = aws.iam.Role(name, assume_role_policy=trust_service(service), description=description, opts=opts)
    attach_managed_policies(name, role, managed_policies, opts)
    return role
