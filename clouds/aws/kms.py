"""Customer-managed KMS keys: one per concern, rotated yearly, protected like the data they encrypt."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def customer_key(name: str, alias: str, description: str, parent: pulumi.Resource, protect: bool) -> aws.kms.Key:
    """A symmetric key with rotation on and the maximum deletion window, so a mistaken delete can be undone."""
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    aws.kms.Alias(
        f"{name}-alias", name=f"alias/{alias}", target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=parent)
    )
    return key
