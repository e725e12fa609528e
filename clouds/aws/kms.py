"""Customer-managed KMS keys: one per concern, rotated yearly, protected like the data they encrypt."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from clouds.aws.iam import Partition, policy_document


def customer_key(
    name: str,
    alias: str,
    description: str,
    parent: pulumi.Resource,
    protect: bool,
    policy: pulumi.Input[str] | None = None,
    provider: pulumi.ProviderResource | None = None,
) -> aws.kms.Key:
    """A symmetric key with rotation on and the maximum deletion window, so a mistaken delete can be undone.
    Without `policy` the key keeps KMS's default policy (the account's IAM policies decide)."""
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, provider=provider),
    )
    aws.kms.Alias(
        f"{name}-alias",
        name=f"alias/{alias}",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    return key


def log_group_key(
    name: str,
    alias: str,
    account_id: pulumi.Input[str],
    region: str,
    partition: Partition,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource | None = None,
) -> aws.kms.Key:
    """A key CloudWatch Logs may use for this account's log groups in this region, and only for them.

    The key policy keeps the account's own administration (KMS's default first statement) and lets the regional
    Logs service principal use the key when the encryption context names one of the account's log groups
    (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS").
    """
    log_groups = pulumi.Output.concat(f"arn:{partition.name}:logs:{region}:", account_id, ":log-group:*")
    policy = policy_document(
        [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": pulumi.Output.concat(f"arn:{partition.name}:iam::", account_id, ":root")},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncrypts",
                "Effect": "Allow",
                "Principal": {"Service": partition.host(f"logs.{region}")},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            },
        ]
    )
    return customer_key(
        name,
        alias,
        "CloudWatch Logs: control-plane, flow and database logs",
        parent,
        protect=False,
        policy=policy,
        provider=provider,
    )
