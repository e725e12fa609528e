"""An S3-compatible object store inside the cluster (SeaweedFS), standing in for S3/Blob/GCS on a laptop.

SeaweedFS rather than MinIO: MinIO's community edition stopped shipping images and its chart is no
longer maintained, while SeaweedFS is Apache-2.0, released monthly and has an all-in-one mode that
fits a laptop. The bucket is created by the chart with versioning on, and the keys are generated here.
The values follow the chart's all-in-one mode from 4.15.0 on (bucket hook with versioning); auth is also set
through the top-level `s3` keys, which every 4.x chart honours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from clouds.contract import ArtifactStore, ArtifactStoreKind, S3Credentials
from k8s_platform.catalog import SEAWEEDFS
from k8s_platform.helm import helm_release
from k8s_platform.namespace import namespace
from k8s_platform.pod_security import enabled, restricted_container, restricted_pod

S3_PORT = 8333
SEAWEEDFS_UID = 1000
"""A non-root user for the SeaweedFS image (its default user is root); `fsGroup` gives it the data volume."""
CREDENTIALS_SECRET = "object-store-admin"
S3_CONFIG_KEY = "seaweedfs_s3_config"
"""The key SeaweedFS reads its S3 identities from (`-s3.config`) in the secret named by `existingConfigSecret`."""


def s3_identities(access_key: str, secret_key: str) -> str:
    """SeaweedFS's S3 identity file: one identity, the platform's, with the generated keys; nobody anonymous."""
    identity = {
        "name": "mlops-platform",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write"],
    }
    return json.dumps({"identities": [identity]})


@dataclass(frozen=True)
class ObjectStoreArgs:
    bucket: str
    prefix: str
    storage_class: str
    size_gb: int
    protect: bool


class ObjectStore(pulumi.ComponentResource):
    artifact_store: ArtifactStore

    def __init__(self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:local:ObjectStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ns = namespace(SEAWEEDFS.namespace, child)
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])

        access_key = random.RandomString(f"{name}-access-key", length=20, special=False, upper=True, opts=child)
        secret_key = random.RandomPassword(f"{name}-secret-key", length=40, special=False, opts=child)
        credentials = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CREDENTIALS_SECRET, namespace=SEAWEEDFS.namespace),
            string_data={
                S3_CONFIG_KEY: pulumi.Output.all(access_key.result, secret_key.result).apply(
                    lambda k: s3_identities(*k)
                )
            },
            opts=in_ns,
        )

        # `object-store` enforces Pod Security `restricted`: both pods the chart renders need a restricted
        # context, each read from its own keys (chart 4.44.0: the all-in-one Deployment reads `allInOne.*`, the
        # bucket hook Job `templates/shared/post-install-bucket-hook.yaml` reads `filer.*` even with the filer off).
        pod_security = {
            "podSecurityContext": enabled(restricted_pod(SEAWEEDFS_UID)),
            "containerSecurityContext": enabled(restricted_container()),
        }
        release = helm_release(
            "seaweedfs",
            SEAWEEDFS,
            {
                # One pod runs master, volume, filer and the S3 gateway: right-sized for a laptop.
                "master": {"enabled": False},
                "volume": {"enabled": False},
                "filer": {"enabled": False, **pod_security},
                "allInOne": {
                    "enabled": True,
                    **pod_security,
                    "s3": {
                        "enabled": True,
                        "enableAuth": True,
                        "existingConfigSecret": CREDENTIALS_SECRET,
                        "createBuckets": [{"name": args.bucket, "anonymousRead": False, "versioning": "Enabled"}],
                        # The hook runs `weed shell` once per install/upgrade.
                        "createBucketsHook": {
                            "resources": {
                                "requests": {"cpu": "50m", "memory": "64Mi"},
                                "limits": {"memory": "256Mi"},
                            }
                        },
                    },
                    "data": {
                        "type": "persistentVolumeClaim",
                        "size": f"{args.size_gb}Gi",
                        "storageClass": args.storage_class,
                    },
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "256Mi"},
                        "limits": {"cpu": "1", "memory": "1Gi"},
                    },
                },
                # Charts before 4.15 read auth for the all-in-one S3 gateway from here only.
                "s3": {"port": S3_PORT, "enableAuth": True, "existingConfigSecret": CREDENTIALS_SECRET},
            },
            pulumi.ResourceOptions(parent=self, depends_on=[credentials], protect=args.protect),
        )

        endpoint = f"http://seaweedfs-all-in-one.{SEAWEEDFS.namespace}.svc.cluster.local:{S3_PORT}"
        self.artifact_store = ArtifactStore(
            kind=ArtifactStoreKind.S3_COMPATIBLE,
            bucket=args.bucket,
            prefix=args.prefix,
            uri=release.status.apply(lambda _: f"s3://{args.bucket}/{args.prefix}"),
            region="us-east-1",  # S3 clients insist on a region; SeaweedFS ignores it
            endpoint_url=endpoint,
            credentials=S3Credentials(
                access_key_id=pulumi.Output.secret(access_key.result),
                secret_access_key=pulumi.Output.secret(secret_key.result),
            ),
        )
        self.register_outputs({"endpoint": endpoint, "bucket": args.bucket})
