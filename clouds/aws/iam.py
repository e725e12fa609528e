"""IAM building blocks: policy statements as dicts, turned into JSON once, and roles for AWS services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

Statement = dict[str, Any]

MANAGED_POLICY = "arn:aws:iam::aws:policy/"


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


def service_role(
    name: str,
    service: str,
    managed_policies: Sequence[str],
    opts: pulumi.ResourceOptions,
    description: str,
) -> aws.iam.Role:
    """A role an AWS service (EC2, EKS, VPC Flow Logs) assumes, with AWS-managed policies attached."""
    role = aws.iam.Role(name, assume_role_policy=trust_service(service), description=description, opts=opts)
    for policy in managed_policies:
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy.rsplit('/', 1)[-1].lower()}",
            role=role.name,
            policy_arn=f"{MANAGED_POLICY}{policy}",
            opts=opts,
        )
    return role
