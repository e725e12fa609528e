"""A rule that reads a misspelt property passes everything; so break a REAL declared resource and watch it fire.

Each case takes a resource exactly as the program declares it for a stack, changes one property the
way a careless edit would, and expects the rule to object. Cases whose stack or resource is not in
the program (yet) are skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pytest

from policy.rules import Resource
from policy.rules.clusters import check_endpoint, check_secrets_encryption
from policy.rules.databases import check_database
from policy.rules.gpu import check_gpu_pool
from policy.rules.helm import check_helm_version
from policy.rules.storage import check_s3_buckets, check_storage
from policy.rules.tags import check_required_tags
from tests.conftest import ALL_STACKS
from tests.policy.conftest import policy_resources

DELETE = object()

CASES: list[tuple[str, str, str, Any, Callable[[Resource], list[str]], str]] = [
    ("dev-aws", "aws:rds/instance:Instance", "publiclyAccessible", True, check_database, "publicly_accessible"),
    ("dev-aws", "aws:rds/instance:Instance", "storageEncrypted", False, check_database, "storage_encrypted"),
    ("dev-aws", "aws:eks/cluster:Cluster", "vpcConfig.publicAccessCidrs", ["0.0.0.0/0"], check_endpoint, "open"),
    ("dev-aws", "aws:eks/cluster:Cluster", "encryptionConfig", DELETE, check_secrets_encryption, "encryption_config"),
    (
        "dev-aws",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "ignorePublicAcls",
        False,
        check_storage,
        "ignorePublicAcls",
    ),
    ("dev-azure", "azure-native:storage:StorageAccount", "tags", {}, check_required_tags, "Missing tags"),
    (
        "dev-azure",
        "azure-native:storage:StorageAccount",
        "allowBlobPublicAccess",
        True,
        check_storage,
        "allowBlobPublicAccess",
    ),
    ("dev-azure", "azure-native:storage:BlobContainer", "publicAccess", "Container", check_storage, "publicAccess"),
    (
        "dev-azure",
        "azure-native:containerservice:ManagedCluster",
        "apiServerAccessProfile",
        DELETE,
        check_endpoint,
        "open",
    ),
    (
        "dev-azure",
        "azure-native:dbforpostgresql:Server",
        "network.publicNetworkAccess",
        "Enabled",
        check_database,
        "Disabled",
    ),
    ("dev-azure", "azure-native:containerservice:AgentPool", "nodeTaints", [], check_gpu_pool, "NoSchedule"),
    ("dev-gcp", "gcp:storage/bucket:Bucket", "publicAccessPrevention", "inherited", check_storage, "enforced"),
    (
        "dev-gcp",
        "gcp:sql/databaseInstance:DatabaseInstance",
        "settings.ipConfiguration.ipv4Enabled",
        True,
        check_database,
        "ipv4_enabled",
    ),
    ("dev-gcp", "gcp:container/cluster:Cluster", "masterAuthorizedNetworksConfig", DELETE, check_endpoint, "open"),
    (
        "dev-gcp",
        "gcp:container/cluster:Cluster",
        "databaseEncryption.state",
        "DECRYPTED",
        check_secrets_encryption,
        "ENCRYPTED",
    ),
    ("dev-gcp", "gcp:container/nodePool:NodePool", "autoscaling.totalMinNodeCount", 1, check_gpu_pool, "minimum of 0"),
    ("dev-local", "kubernetes:helm.sh/v3:Release", "version", DELETE, check_helm_version, "pin an exact version"),
]


def with_property(props: Mapping[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(dict(props))
    *parents, last = dotted.split(".")
    target = changed
    for part in parents:
        target = target.setdefault(part, {})
    if value is DELETE:
        target.pop(last, None)
    else:
        target[last] = value
    return changed


@pytest.mark.parametrize(
    ("stack", "type_", "dotted", "value", "check", "fix"),
    CASES,
    ids=[f"{c[0]}-{c[1].split(':')[-1]}-{c[2]}" for c in CASES],
)
def test_rule_fires_when_a_declared_resource_is_broken(
    stack: str, type_: str, dotted: str, value: Any, check: Callable[[Resource], list[str]], fix: str
) -> None:
    if stack not in ALL_STACKS:
        pytest.skip(f"no Pulumi.{stack}.yaml yet")
    # The rule must pass on the declared resources of this type first (the GPU rule only on GPU pools).
    declared = [r for r in policy_resources(stack) if r.type == type_ and check(r) == []]
    applicable = [r for r in declared if check(replace(r, props=with_property(r.props, dotted, value)))]
    if not declared:
        pytest.skip(f"{stack} declares no {type_}")
    assert applicable, f"breaking {dotted} on {stack}'s {type_} went unnoticed"
    broken = replace(applicable[0], props=with_property(applicable[0].props, dotted, value))
    assert any(fix in message for message in check(broken))


@pytest.mark.parametrize("stack", [s for s in ("dev-aws",) if s in ALL_STACKS])
def test_s3_bucket_without_its_public_access_block_is_caught_on_the_real_stack(stack: str) -> None:
    resources = [r for r in policy_resources(stack) if "bucketPublicAccessBlock" not in r.type]
    assert any("BucketPublicAccessBlock" in message for _, message in check_s3_buckets(resources))
