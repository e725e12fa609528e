"""The artifact store: a private, KMS-encrypted, versioned S3 bucket reachable only over TLS."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from clouds.aws.iam import Statement, deny_insecure_transport, policy_document
from clouds.aws.kms import customer_key
from clouds.contract import ArtifactStore, ArtifactStoreKind
from config.model import ObjectStore as ObjectStoreSettings


@dataclass(frozen=True)
class ArtifactBucketArgs:
    bucket_name: pulumi.Input[str]
    """Globally unique; the foundation derives it from the stack, the account and the region."""
    key_alias: str
    account_id: pulumi.Input[str]
    settings: ObjectStoreSettings
    region: str
    protect: bool
    access_log_bucket_name: pulumi.Input[str] | None = None
    """Where server access logs go (with `objectStore.accessLogging`); see `access_log_bucket_name`."""


S3_BUCKET_NAME_MAX = 63


def access_log_bucket_name(artifact_bucket: str, short: str) -> str:
    """`<artifact bucket>-logs` while that fits S3's 63 characters (the name stacks already have), else `short`:
    a 15-character prefix, `staging` and a 14-character region leave no room for the suffix."""
    long = f"{artifact_bucket}-logs"
    return long if len(long) <= S3_BUCKET_NAME_MAX else short


class ArtifactBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    key: aws.kms.Key
    artifact_store: ArtifactStore

    def __init__(self, name: str, args: ArtifactBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:ArtifactBucket", name, None, opts)
        settings = args.settings

        self.key = customer_key(
            f"{name}-key",
            alias=args.key_alias,
            description="Artifact store (MLflow artifacts, models, pipeline outputs)",
            parent=self,
            protect=args.protect,
        )
        self.bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        private_bucket(self, name, self.bucket, statements=[])
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=self.key.arn
                    ),
                    bucket_key_enabled=True,  # one KMS call per object batch, not per object: far cheaper
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-old-versions-and-abandoned-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=settings.noncurrent_version_expiration_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=settings.abort_incomplete_upload_days
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        if settings.access_logging:
            self._access_logs(name, args)

        self.artifact_store = ArtifactStore(
            kind=ArtifactStoreKind.S3,
            bucket=self.bucket.bucket,
            prefix=settings.artifact_prefix,
            uri=pulumi.Output.concat("s3://", self.bucket.bucket, "/", settings.artifact_prefix),
            region=args.region,
        )
        self.register_outputs({"bucket": self.bucket.bucket, "uri": self.artifact_store.uri})

    def _access_logs(self, name: str, args: ArtifactBucketArgs) -> None:
        """Server access logs go to a sibling bucket (SSE-S3: S3 log delivery cannot write SSE-KMS targets)."""
        child = pulumi.ResourceOptions(parent=self)
        logs = aws.s3.Bucket(
            f"{name}-access-logs",
            bucket=args.access_log_bucket_name or pulumi.Output.concat(args.bucket_name, "-logs"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        private_bucket(
            self,
            f"{name}-access-logs",
            logs,
            statements=[
                {
                    "Sid": "S3ServerAccessLogs",
                    "Effect": "Allow",
                    # One spelling of S3's log-delivery principal in every partition (no `.amazonaws.com.cn` form).
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(logs.arn, "/*"),
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": self.bucket.arn},
                        "StringEquals": {"aws:SourceAccount": args.account_id},
                    },
                }
            ],
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-access-logs-encryption",
            bucket=logs.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-lifecycle",
            bucket=logs.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=365),
                )
            ],
            opts=child,
        )
        aws.s3.BucketLogging(
            f"{name}-access-logging", bucket=self.bucket.id, target_bucket=logs.id, target_prefix="s3/", opts=child
        )


def private_bucket(
    parent: pulumi.Resource, name: str, bucket: aws.s3.Bucket, statements: Sequence[Statement]
) -> aws.s3.BucketPolicy:
    """What every bucket here gets: all four public-access blocks, no ACLs, and a TLS-only bucket policy."""
    child = pulumi.ResourceOptions(parent=parent)
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    return aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=policy_document(
            [*statements, deny_insecure_transport("s3", [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")])]
        ),
        # A policy put before the block exists could be judged public and rejected.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[block]),
    )
