"""The platform's secrets in AWS Secrets Manager, for External Secrets to copy into the cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from clouds.aws.kms import customer_key
from clouds.contract import PlatformSecrets


@dataclass(frozen=True)
class SecretsArgs:
    path: str
    """Name prefix of every secret, e.g. `mlops/dev`: the External Secrets role may read exactly these."""
    given: Mapping[str, pulumi.Input[str]]
    """Secrets generated elsewhere (database password), by logical name."""
    recovery_window_days: int
    """0 deletes at once (dev, so a re-created stack can reuse the names); 7-30 keeps a recovery window."""
    region: str
    protect: bool


class Secrets(pulumi.ComponentResource):
    """The secrets the platform layer reads (generated here) plus those other components generated."""

    secret_keys: dict[str, str]
    """Logical name -> Secrets Manager secret name (the ExternalSecret remoteRef key)."""
    secret_arns: list[pulumi.Output[str]]
    key: aws.kms.Key
    provider: dict[str, object]
    """The ClusterSecretStore `spec.provider` block."""

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:Secrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.key = customer_key(
            f"{name}-key",
            alias=args.path.replace("/", "-") + "-secrets",
            description=f"Platform secrets under {args.path}/",
            parent=self,
            protect=args.protect,
        )
        values: dict[str, pulumi.Input[str]] = dict(args.given)
        for logical in PlatformSecrets.all():
            values[logical] = random.RandomPassword(f"{name}-{logical}", length=32, special=False, opts=child).result

        self.secret_keys = {}
        self.secret_arns = []
        for logical, value in values.items():
            secret = aws.secretsmanager.Secret(
                f"{name}-{logical}",
                name=f"{args.path}/{logical}",
                description=f"{logical} (read by External Secrets)",
                kms_key_id=self.key.arn,
                recovery_window_in_days=args.recovery_window_days,
                opts=child,
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{logical}",
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(value),
                opts=child,
            )
            self.secret_keys[logical] = f"{args.path}/{logical}"
            self.secret_arns.append(secret.arn)

        # No auth block: External Secrets' controller uses its own Pod Identity credentials.
        self.provider = {"aws": {"service": "SecretsManager", "region": args.region}}
        self.register_outputs({"secretNames": list(self.secret_keys.values())})
