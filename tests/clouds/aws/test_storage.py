"""The artifact bucket: never public, KMS-encrypted, versioned with a lifecycle, TLS only, protected."""

from __future__ import annotations

import json

from clouds.aws.storage import access_log_bucket_name
from offline.harness import StackRun
from tests.clouds.aws.conftest import dev, statements

BUCKET = "aws:s3/bucket:Bucket"


def test_bucket_is_never_public() -> None:
    block = dev().one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "artifacts-public-access-block")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block.inputs[flag] is True for flag in flags)


def test_bucket_disables_acls() -> None:
    controls = dev().one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "artifacts-ownership")
    assert controls.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_bucket_is_encrypted_with_its_own_rotated_kms_key() -> None:
    run = dev()
    key = run.one("aws:kms/key:Key", "artifacts-key")
    rule = run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs[
        "rules"
    ][0]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key.outputs["arn"],
    }
    assert rule["bucketKeyEnabled"] is True
    assert key.inputs["enableKeyRotation"] is True


def test_bucket_keeps_versions_and_expires_old_ones_and_abandoned_uploads() -> None:
    run = dev()
    versioning = run.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"]
    rule = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "artifacts-lifecycle").inputs[
        "rules"
    ][0]
    assert versioning["status"] == "Enabled"
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7


def test_bucket_refuses_plain_http() -> None:
    run = dev()
    bucket_arn = run.one(BUCKET, "artifacts").outputs["arn"]
    policy = statements(json.loads(run.one("aws:s3/bucketPolicy:BucketPolicy", "artifacts-policy").inputs["policy"]))
    deny = next(s for s in policy if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [bucket_arn, f"{bucket_arn}/*"]


def test_bucket_and_its_key_are_protected_and_never_force_destroyed() -> None:
    run = dev()
    bucket = run.one(BUCKET, "artifacts")
    assert bucket.protect and run.one("aws:kms/key:Key", "artifacts-key").protect
    assert bucket.inputs.get("forceDestroy", False) is False


def test_bucket_name_is_derived_from_stack_account_and_region() -> None:
    assert dev().one(BUCKET, "artifacts").inputs["bucket"] == "mlops-dev-artifacts-123456789012-eu-west-1"


def test_access_logs_go_to_a_private_log_bucket_when_enabled(prod: StackRun) -> None:
    logs = prod.one(BUCKET, "artifacts-access-logs")
    logging = prod.one("aws:s3/bucketLogging:BucketLogging").inputs
    block = prod.one(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "artifacts-access-logs-public-access-block"
    )
    assert logging["targetBucket"] == logs.outputs["bucket"]
    assert block.inputs["blockPublicPolicy"] is True
    assert logs.protect


def test_dev_has_no_access_log_bucket() -> None:
    assert [b.name for b in dev().of_type(BUCKET)] == ["artifacts"]


def test_the_access_log_bucket_keeps_its_name_while_it_fits_and_is_never_longer_than_s3_allows() -> None:
    account, region = "123456789012", "ap-southeast-2"
    short = "mlops-dev-artifacts-123456789012-eu-west-1"
    assert access_log_bucket_name(short, "unused") == f"{short}-logs"
    longest = f"abcdefghijklmno-staging-artifacts-{account}-{region}"  # 15-character prefix, staging, longest region
    fallback = f"abcdefghijklmno-staging-logs-{account}-{region}"
    assert len(longest) <= 63 and len(f"{longest}-logs") > 63
    assert access_log_bucket_name(longest, fallback) == fallback and len(fallback) <= 63
