"""Each rule fires on a deliberately bad resource, with a message that says what to change."""

from __future__ import annotations

import base64
import json

import pytest

from policy.rules import RULES, UNKNOWN, Resource
from policy.rules.clusters import check_endpoint, check_secrets_encryption
from policy.rules.credentials import check_static_credentials
from policy.rules.databases import check_database
from policy.rules.gpu import check_gpu_pool
from policy.rules.helm import check_helm_version
from policy.rules.iam import check_wildcard_grants
from policy.rules.storage import S3_BUCKET, S3_ENCRYPTION, S3_PUBLIC_ACCESS_BLOCK, check_s3_buckets, check_storage
from policy.rules.tags import check_required_tags

PROD_URN = "urn:pulumi:prod-aws::mlops-platform::aws:rds/instance:Instance::db"
DEV_URN = "urn:pulumi:dev-aws::mlops-platform::aws:rds/instance:Instance::db"
GOOD_RDS = {
    "publiclyAccessible": False,
    "storageEncrypted": True,
    "backupRetentionPeriod": 7,
    "deletionProtection": True,
}


def res(type_: str, props: dict, **kwargs) -> Resource:
    return Resource(type=type_, name=kwargs.pop("name", "bad"), props=props, **kwargs)


def only(messages: list[str]) -> str:
    assert len(messages) == 1, messages
    return messages[0]


@pytest.mark.parametrize(
    ("resource", "fix"),
    [
        (res(S3_PUBLIC_ACCESS_BLOCK, {"blockPublicAcls": True, "blockPublicPolicy": False}), "blockPublicPolicy"),
        (res("aws:s3/bucketAcl:BucketAcl", {"acl": "public-read"}), "drop the ACL"),
        (res("azure-native:storage:StorageAccount", {"allowBlobPublicAccess": True}), "allowBlobPublicAccess=False"),
        (res("azure-native:storage:BlobContainer", {"publicAccess": "Blob"}), "publicAccess='None'"),
        (res("gcp:storage/bucket:Bucket", {"uniformBucketLevelAccess": True}), "public_access_prevention='enforced'"),
        (res("gcp:storage/bucketIAMMember:BucketIAMMember", {"member": "allUsers"}), "named service accounts"),
    ],
    ids=["s3-block", "s3-acl", "azure-account", "azure-container", "gcs-bucket", "gcs-iam"],
)
def test_public_storage_is_refused(resource: Resource, fix: str) -> None:
    assert fix in only(check_storage(resource))


def test_private_encrypted_storage_passes() -> None:
    account = res("azure-native:storage:StorageAccount", {"allowBlobPublicAccess": False})
    bucket = res("gcp:storage/bucket:Bucket", {"publicAccessPrevention": "enforced", "uniformBucketLevelAccess": True})
    assert check_storage(account) + check_storage(bucket) == []


def test_s3_bucket_without_public_access_block_or_encryption_is_refused() -> None:
    bucket = res(S3_BUCKET, {}, urn="urn:pulumi:dev-aws::p::aws:s3/bucket:Bucket::artifacts", name="artifacts")
    messages = [m for _, m in check_s3_buckets([bucket])]
    assert any("BucketPublicAccessBlock; add one" in m for m in messages)
    assert any("BucketServerSideEncryptionConfiguration; add one" in m for m in messages)


def test_s3_bucket_with_its_guards_passes() -> None:
    bucket = res(S3_BUCKET, {}, urn="urn:b")
    guards = [res(S3_PUBLIC_ACCESS_BLOCK, {}, dependencies=("urn:b",)), res(S3_ENCRYPTION, {}, dependencies=("urn:b",))]
    assert check_s3_buckets([bucket, *guards]) == []


@pytest.mark.parametrize(
    ("resource", "fix"),
    [
        (res("aws:rds/instance:Instance", {**GOOD_RDS, "publiclyAccessible": True}), "publicly_accessible=False"),
        (res("aws:rds/instance:Instance", {**GOOD_RDS, "storageEncrypted": False}), "storage_encrypted=True"),
        (res("aws:rds/instance:Instance", {**GOOD_RDS, "backupRetentionPeriod": 0}), "backup_retention_period"),
        (
            res("aws:rds/instance:Instance", {**GOOD_RDS, "deletionProtection": False}, urn=PROD_URN),
            "deletion_protection=True",
        ),
        (
            res(
                "azure-native:dbforpostgresql:Server",
                {"network": {"publicNetworkAccess": "Enabled"}, "backup": {"backupRetentionDays": 7}},
                urn=DEV_URN,
            ),
            "public_network_access='Disabled'",
        ),
        (
            res(
                "gcp:sql/databaseInstance:DatabaseInstance",
                {"settings": {"ipConfiguration": {"ipv4Enabled": False}, "backupConfiguration": {"enabled": False}}},
                urn=DEV_URN,
            ),
            "backup_configuration.enabled=True",
        ),
    ],
    ids=[
        "rds-public",
        "rds-unencrypted",
        "rds-no-backup",
        "rds-prod-unprotected",
        "azure-public",
        "cloudsql-no-backup",
    ],
)
def test_exposed_or_unprotected_database_is_refused(resource: Resource, fix: str) -> None:
    assert fix in only(check_database(resource))


def test_deletion_protection_is_only_required_outside_dev() -> None:
    unprotected = {**GOOD_RDS, "deletionProtection": False}
    dev = res("aws:rds/instance:Instance", {**unprotected, "tags": {"environment": "dev"}}, urn=PROD_URN)
    prod = res("aws:rds/instance:Instance", {**unprotected, "tags": {"environment": "prod"}}, urn=DEV_URN)
    assert (check_database(dev), len(check_database(prod))) == ([], 1)


@pytest.mark.parametrize(
    ("resource", "fix"),
    [
        (res("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": True}}), "public_access_cidrs"),
        (
            res("aws:eks/cluster:Cluster", {"vpcConfig": {"publicAccessCidrs": ["0.0.0.0/0"]}}),
            "public_access_cidrs",
        ),
        (res("azure-native:containerservice:ManagedCluster", {}), "authorized_ip_ranges"),
        (
            res(
                "azure-native:containerservice:ManagedCluster",
                {"apiServerAccessProfile": {"authorizedIPRanges": ["203.0.113.0/24", "0.0.0.0/0"]}},
            ),
            "authorized_ip_ranges",
        ),
        (
            res(
                "gcp:container/cluster:Cluster",
                {"masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "0.0.0.0/0"}]}},
            ),
            "master_authorized_networks_config",
        ),
        (res("gcp:container/cluster:Cluster", {}), "master_authorized_networks_config"),
    ],
    ids=["eks-default", "eks-world", "aks-default", "aks-world", "gke-world", "gke-default"],
)
def test_cluster_endpoint_open_to_the_world_is_refused(resource: Resource, fix: str) -> None:
    assert fix in only(check_endpoint(resource))


def test_restricted_cluster_endpoints_pass() -> None:
    eks = res("aws:eks/cluster:Cluster", {"vpcConfig": {"publicAccessCidrs": ["203.0.113.0/24"]}})
    aks = res(
        "azure-native:containerservice:ManagedCluster", {"apiServerAccessProfile": {"enablePrivateCluster": True}}
    )
    aks_ranges = res(
        "azure-native:containerservice:ManagedCluster",
        {"apiServerAccessProfile": {"authorizedIPRanges": ["10.0.0.0/8"]}},
    )
    # An authorized-networks block with no ranges admits no public address at all.
    gke = res("gcp:container/cluster:Cluster", {"masterAuthorizedNetworksConfig": {"cidrBlocks": []}})
    assert check_endpoint(eks) + check_endpoint(aks) + check_endpoint(aks_ranges) + check_endpoint(gke) == []


@pytest.mark.parametrize(
    ("resource", "fix"),
    [
        (res("aws:eks/cluster:Cluster", {"encryptionConfig": {"resources": ["secrets"]}}), "encryption_config"),
        (res("gcp:container/cluster:Cluster", {"databaseEncryption": {"state": "DECRYPTED"}}), "ENCRYPTED"),
    ],
    ids=["eks", "gke"],
)
def test_cluster_without_secrets_encryption_is_refused(resource: Resource, fix: str) -> None:
    assert fix in only(check_secrets_encryption(resource))


def test_eks_secrets_encryption_with_a_key_passes_even_when_the_key_is_not_known_yet() -> None:
    eks = res(
        "aws:eks/cluster:Cluster", {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": UNKNOWN}}}
    )
    assert check_secrets_encryption(eks) == []


@pytest.mark.parametrize(
    ("resource", "fix"),
    [
        (
            res(
                "aws:iam/policy:Policy",
                {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})},
            ),
            "list the actions and resource ARNs",
        ),
        (
            res(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            ),
            "scoped to what it uses",
        ),
        (
            res(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                {"policyArn": "arn:aws-cn:iam::aws:policy/PowerUserAccess"},
            ),
            "scoped to what it uses",
        ),
        (
            res("azure-native:authorization:RoleDefinition", {"permissions": [{"actions": ["*"]}]}),
            "list the operations",
        ),
        (
            res(
                "azure-native:authorization:RoleAssignment",
                {"roleDefinitionId": "/providers/x/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"},
            ),
            "scoped to the resource",
        ),
        (res("gcp:projects/iAMMember:IAMMember", {"role": "roles/editor", "member": "user:a@b.c"}), "narrow role"),
    ],
    ids=["aws-star", "aws-admin", "aws-china-power-user", "azure-star-role", "azure-owner", "gcp-editor"],
)
def test_grant_of_every_action_on_everything_is_refused(resource: Resource, fix: str) -> None:
    assert fix in only(check_wildcard_grants(resource))


def test_scoped_aws_policy_passes() -> None:
    scoped = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}]}
    assert check_wildcard_grants(res("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps(scoped)})) == []


GCP_KEY = {"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----", "client_email": "a@b"}


@pytest.mark.parametrize(
    ("resource", "fix"),
    [
        (res("aws:iam/accessKey:AccessKey", {"user": "ci"}), "IRSA or EKS Pod Identity"),
        (res("gcp:serviceaccount/key:Key", {}), "Workload Identity"),
        (
            res("kubernetes:core/v1:Secret", {"stringData": {"AWS_ACCESS_KEY_ID": "AKIAABCDEFGHIJKLMNOP"}}),
            "AWS access key id",
        ),
        (
            res(
                "kubernetes:core/v1:Secret",
                {"data": {"key.json": base64.b64encode(json.dumps(GCP_KEY).encode()).decode()}},
            ),
            "GCP service-account JSON key",
        ),
        (
            res("kubernetes:helm.sh/v3:Release", {"values": {"azure": {"clientSecret": "s3cr3t"}}, "version": "1.0.0"}),
            "cloud client secret",
        ),
    ],
    ids=["aws-access-key", "gcp-key", "secret-akia", "secret-gcp-json", "helm-azure-secret"],
)
def test_static_cloud_credentials_are_refused(resource: Resource, fix: str) -> None:
    message = only(check_static_credentials(resource))
    assert fix in message


def test_generated_in_cluster_s3_keys_are_not_mistaken_for_aws_credentials() -> None:
    keys = {"AWS_ACCESS_KEY_ID": "Q3VX9ZK2LMN4PRS7TW8Y", "AWS_SECRET_ACCESS_KEY": "x" * 40}
    assert check_static_credentials(res("kubernetes:core/v1:Secret", {"stringData": keys})) == []


@pytest.mark.parametrize(
    ("version", "fix"),
    [(None, "has no version"), ("", "has no version"), ("^1.2.0", "is a range"), ("1.x", "is a range")],
)
def test_helm_release_without_an_exact_version_is_refused(version: str | None, fix: str) -> None:
    release = res("kubernetes:helm.sh/v3:Release", {"chart": "mlflow", "version": version})
    assert fix in only(check_helm_version(release))


def test_helm_release_with_an_exact_version_passes() -> None:
    assert check_helm_version(res("kubernetes:helm.sh/v3:Release", {"chart": "x", "version": "1.2.3"})) == []


@pytest.mark.parametrize(
    ("resource", "fix"),
    [
        (
            res(
                "kubernetes:karpenter.sh/v1:NodePool",
                {"spec": {"limits": {"nvidia.com/gpu": 8}, "template": {"spec": {"taints": []}}}},
            ),
            "NoSchedule taint",
        ),
        (
            res(
                "azure-native:containerservice:AgentPool",
                {
                    "vmSize": "Standard_NC4as_T4_v3",
                    "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],
                    "enableAutoScaling": True,
                    "minCount": 1,
                },
            ),
            "minimum of 0 nodes",
        ),
        (
            res(
                "gcp:container/nodePool:NodePool",
                {
                    "nodeConfig": {"guestAccelerators": [{"type": "nvidia-tesla-t4"}]},
                    "autoscaling": {"minNodeCount": 2},
                },
            ),
            "minimum of 0 nodes",
        ),
        (
            res("aws:eks/nodeGroup:NodeGroup", {"amiType": "AL2023_x86_64_NVIDIA", "scalingConfig": {"minSize": 0}}),
            "NoSchedule taint",
        ),
    ],
    ids=["karpenter", "aks", "gke", "eks-node-group"],
)
def test_gpu_pool_that_is_untainted_or_cannot_scale_to_zero_is_flagged(resource: Resource, fix: str) -> None:
    assert fix in only(check_gpu_pool(resource))


def test_tainted_gpu_pool_that_scales_to_zero_passes() -> None:
    pool = res(
        "azure-native:containerservice:AgentPool",
        {
            "vmSize": "Standard_NC4as_T4_v3",
            "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],
            "enableAutoScaling": True,
            "minCount": 0,
        },
    )
    assert check_gpu_pool(pool) == []


def test_untagged_cluster_is_flagged_with_the_missing_keys() -> None:
    message = only(check_required_tags(res("aws:eks/cluster:Cluster", {"tags": {"environment": "dev"}})))
    assert "platform, managed-by" in message and "common_tags()" in message


def test_provider_default_tags_count_as_tags() -> None:
    defaults = {"defaultTags": {"tags": {"environment": "dev", "platform": "mlops-platform", "managed-by": "pulumi"}}}
    assert check_required_tags(res("aws:s3/bucket:Bucket", {}, provider_props=defaults)) == []


def test_values_unknown_during_preview_never_crash_a_rule() -> None:
    for type_ in ("kubernetes:karpenter.sh/v1:NodePool", "aws:iam/policy:Policy", "kubernetes:core/v1:Secret"):
        props = {"spec": {"limits": UNKNOWN, "template": UNKNOWN}, "policy": UNKNOWN, "stringData": {"k": UNKNOWN}}
        for rule in RULES:
            rule.check(res(type_, props))
