"""Object storage is never public and always encrypted: S3, Azure storage accounts, GCS."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Enforcement, Resource, Rule, StackRule, as_list, is_unknown

S3_BUCKET = "aws:s3/bucket:Bucket"
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_ACL = "aws:s3/bucketAcl:BucketAcl"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_CANNED_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def check_storage(resource: Resource) -> list[str]:
    checker = _CHECKS.get(resource.type)
    return checker(resource) if checker else []


def _s3_public_access_block(resource: Resource) -> list[str]:
    off = [
        flag
        for flag in PUBLIC_ACCESS_FLAGS
        if resource.props.get(flag) is not True and not is_unknown(resource.props.get(flag))
    ]
    if not off:
        return []
    return [f"S3 public access block must set {', '.join(off)} to true (all four flags on)."]


def _s3_acl(resource: Resource) -> list[str]:
    acl = resource.props.get("acl")
    if acl in PUBLIC_CANNED_ACLS:
        return [f"S3 bucket ACL {acl!r} makes objects public; drop the ACL (bucket owner enforced) or use 'private'."]
    return []


def _azure_storage_account(resource: Resource) -> list[str]:
    problems = []
    if resource.props.get("allowBlobPublicAccess") is not False:
        problems.append("Storage account must set allowBlobPublicAccess=False (anonymous blob access off).")
    if resource.props.get("enableHttpsTrafficOnly") is False:
        problems.append("Storage account must not set enableHttpsTrafficOnly=False (encryption in transit).")
    disabled = [name for name in ("blob", "file") if resource.get(f"encryption.services.{name}.enabled") is False]
    if disabled:
        problems.append(f"Storage account must keep encryption at rest on for {', '.join(disabled)}.")
    return problems


def _azure_blob_container(resource: Resource) -> list[str]:
    access = resource.props.get("publicAccess")
    if access not in (None, "None") and not is_unknown(access):
        return [f"Blob container publicAccess={access!r} is anonymous access; set publicAccess='None'."]
    return []


def _gcs_bucket(resource: Resource) -> list[str]:
    problems = []
    if resource.props.get("publicAccessPrevention") != "enforced":
        problems.append("GCS bucket must set public_access_prevention='enforced'.")
    if resource.props.get("uniformBucketLevelAccess") is not True:
        problems.append("GCS bucket must set uniform_bucket_level_access=True (no per-object ACLs).")
    return problems


def _gcs_iam(resource: Resource) -> list[str]:
    members = [resource.props.get("member"), *as_list(resource.props.get("members"))]
    public = [m for m in members if m in PUBLIC_MEMBERS]
    if public:
        return [f"GCS bucket IAM grants {', '.join(public)}; grant named service accounts instead."]
    return []


_CHECKS = {
    S3_PUBLIC_ACCESS_BLOCK: _s3_public_access_block,
    S3_ACL: _s3_acl,
    "azure-native:storage:StorageAccount": _azure_storage_account,
    "azure-native:storage:BlobContainer": _azure_blob_container,
    "gcp:storage/bucket:Bucket": _gcs_bucket,
    "gcp:storage/bucketIAMMember:BucketIAMMember": _gcs_iam,
    "gcp:storage/bucketIAMBinding:BucketIAMBinding": _gcs_iam,
}


def check_s3_buckets(resources: Sequence[Resource]) -> list[tuple[Resource, str]]:
    """Every S3 bucket needs its own public access block and server-side encryption configuration: in
    pulumi-aws 7 both are separate resources that take the bucket as input, so they depend on it."""
    violations = []
    for bucket in (r for r in resources if r.type == S3_BUCKET):
        dependents = {r.type for r in resources if bucket.urn in r.dependencies}
        if S3_PUBLIC_ACCESS_BLOCK not in dependents:
            violations.append((bucket, f"S3 bucket {bucket.name!r} has no aws.s3.BucketPublicAccessBlock; add one."))
        if S3_ENCRYPTION not in dependents:
            violations.append(
                (bucket, f"S3 bucket {bucket.name!r} has no aws.s3.BucketServerSideEncryptionConfiguration; add one.")
            )
    return violations


STORAGE_NOT_PUBLIC = Rule(
    name="storage-not-public-and-encrypted",
    description="Buckets and storage accounts block public access and encrypt data at rest and in transit.",
    enforcement=Enforcement.MANDATORY,
    check=check_storage,
    fix="S3: all four public-access-block flags true; Azure: allowBlobPublicAccess=False, containers "
    "publicAccess='None'; GCS: public_access_prevention='enforced', uniform_bucket_level_access=True.",
)

S3_BUCKET_GUARDS = StackRule(
    name="s3-bucket-has-public-access-block-and-encryption",
    description="Every S3 bucket has a BucketPublicAccessBlock and a server-side encryption configuration.",
    enforcement=Enforcement.MANDATORY,
    check=check_s3_buckets,
    fix="Declare aws.s3.BucketPublicAccessBlock and aws.s3.BucketServerSideEncryptionConfiguration for the bucket.",
)
