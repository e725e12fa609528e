"""Where the platform's secret material lives: Cloud KMS keys (envelope encryption) and Secret Manager secrets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from clouds.contract import PlatformSecrets

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


@dataclass(frozen=True)
class EncryptionKeysArgs:
    project: str
    region: str
    keys: Mapping[str, Sequence[pulumi.Input[str]]]
    """Key purpose -> the service agents (IAM members) that encrypt and decrypt with it."""
    rotation_days: int
    naming: Callable[[str], str]
    protect: bool
    depends_on: Sequence[pulumi.Resource] = ()
    labels: Mapping[str, str] | None = None


class EncryptionKeys(pulumi.ComponentResource):
    """One key ring and one key per purpose, each usable only by the service agents named for it."""

    keys: dict[str, gcp.kms.CryptoKey]
    grants: dict[str, list[gcp.kms.CryptoKeyIAMMember]]
    """A resource encrypted with a key must wait for its grant, or creation fails with a permission error."""

    def __init__(self, name: str, args: EncryptionKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:EncryptionKeys", name, None, opts)
        # Key rings and keys cannot be deleted in Cloud KMS (only their versions destroyed), and data encrypted
        # with a destroyed version is lost: both are protected.
        protected = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on), protect=args.protect)
        ring = gcp.kms.KeyRing(
            f"{name}-ring", project=args.project, name=args.naming("keys"), location=args.region, opts=protected
        )
        self.keys, self.grants = {}, {}
        for purpose, members in args.keys.items():
            key = gcp.kms.CryptoKey(
                f"{name}-{purpose}",
                name=purpose,
                key_ring=ring.id,
                purpose="ENCRYPT_DECRYPT",
                rotation_period=f"{args.rotation_days * 86400}s",
                labels=dict(args.labels or {}),
                opts=protected,
            )
            self.keys[purpose] = key
            self.grants[purpose] = [
                gcp.kms.CryptoKeyIAMMember(
                    f"{name}-{purpose}-{index}",
                    crypto_key_id=key.id,
                    role=ENCRYPTER_DECRYPTER,
                    member=member,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                for index, member in enumerate(members)
            ]
        self.register_outputs({purpose: key.id for purpose, key in self.keys.items()})


@dataclass(frozen=True)
class SecretManagerSecretsArgs:
    project: str
    provided: Mapping[str, pulumi.Output[str]]
    """Logical name -> value of secrets created elsewhere (e.g. the database password)."""
    naming: Callable[[str], str]
    residency_region: str | None = None
    """Replicate the secrets only in this region (data residency); None lets Google choose."""
    depends_on: Sequence[pulumi.Resource] = ()
    labels: Mapping[str, str] | None = None


class SecretManagerSecrets(pulumi.ComponentResource):
    """One Secret Manager secret per platform credential; External Secrets copies them into the cluster."""

    secret_keys: dict[str, pulumi.Output[str]]
    """Logical name -> Secret Manager secret ID (what an ExternalSecret's `remoteRef.key` names)."""
    secrets: list[gcp.secretmanager.Secret]

    def __init__(self, name: str, args: SecretManagerSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:SecretManagerSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        values: dict[str, pulumi.Output[str]] = {k: pulumi.Output.secret(v) for k, v in args.provided.items()}
        # The platform's own credentials are generated here; the database password comes from the database.
        for logical in PlatformSecrets.all():
            password = random.RandomPassword(f"{name}-{logical}", length=32, special=False, opts=child)
            values[logical] = pulumi.Output.secret(password.result)

        self.secret_keys, self.secrets = {}, []
        for logical, value in values.items():
            secret = gcp.secretmanager.Secret(
                f"{name}-{logical}",
                project=args.project,
                secret_id=args.naming(logical),
                replication={"user_managed": {"replicas": [{"location": args.residency_region}]}}
                if args.residency_region
                else {"auto": {}},
                labels=dict(args.labels or {}),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
            )
            gcp.secretmanager.SecretVersion(
                f"{name}-{logical}",
                secret=secret.id,
                secret_data=value,
                opts=child,
            )
            self.secret_keys[logical] = secret.secret_id
            self.secrets.append(secret)
        self.register_outputs({"secretKeys": self.secret_keys})
