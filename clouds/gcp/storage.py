"""The artifact store: one private, versioned GCS bucket for MLflow artifacts, models and pipeline outputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from clouds.contract import ArtifactStore, ArtifactStoreKind
from config.model import ObjectStore as ObjectStoreSettings


@dataclass(frozen=True)
class ArtifactBucketArgs:
    project: str
    bucket_name: str
    """Globally unique; the foundation derives it from the project and stack."""
    region: str
    settings: ObjectStoreSettings
    protect: bool
    kms_key: pulumi.Input[str] | None = None
    """Customer-managed key for new objects; None keeps Google-managed encryption."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The storage API and, with a key, the storage service agent's grant on it."""
    labels: Mapping[str, str] | None = None


class ArtifactBucket(pulumi.ComponentResource):
    bucket: gcp.storage.Bucket
    artifact_store: ArtifactStore

    def __init__(self, name: str, args: ArtifactBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:ArtifactBucket", name, None, opts)
        settings = args.settings
        self.bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            project=args.project,
            name=args.bucket_name,
            location=args.region,
            storage_class="STANDARD",
            # IAM only (no per-object ACLs), and never public whatever a later binding says.
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning={"enabled": True},
            lifecycle_rules=[
                {
                    "action": {"type": "Delete"},
                    "condition": {"days_since_noncurrent_time": settings.noncurrent_version_expiration_days},
                },
                {
                    "action": {"type": "AbortIncompleteMultipartUpload"},
                    "condition": {"age": settings.abort_incomplete_upload_days},
                },
            ],
            encryption={"default_kms_key_name": args.kms_key} if args.kms_key is not None else None,
            force_destroy=False,
            labels=dict(args.labels or {}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on), protect=args.protect),
        )
        if settings.access_logging:
            # GCS logs object reads and writes only as Data Access audit logs, which are set per project and
            # service: this turns them on for every bucket in the project, and replaces any other audit
            # configuration for Cloud Storage there.
            gcp.projects.IAMAuditConfig(
                f"{name}-access-logs",
                project=args.project,
                service="storage.googleapis.com",
                audit_log_configs=[{"log_type": "DATA_READ"}, {"log_type": "DATA_WRITE"}],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.artifact_store = ArtifactStore(
            kind=ArtifactStoreKind.GCS,
            bucket=self.bucket.name,
            prefix=settings.artifact_prefix,
            uri=pulumi.Output.concat("gs://", self.bucket.name, "/", settings.artifact_prefix),
            region=args.region,
        )
        self.register_outputs({"bucket": self.bucket.name, "uri": self.artifact_store.uri})
