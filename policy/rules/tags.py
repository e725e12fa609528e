"""Cost and ownership: the main cloud resources carry the platform's tags/labels (advisory)."""

from __future__ import annotations

from .model import Enforcement, Resource, Rule, tags_of

REQUIRED_TAGS = ("environment", "platform", "managed-by")
# The resources a cost report or an incident starts from; small glue resources (attachments, rules) are skipped.
TAGGED_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "aws:s3/bucket:Bucket",
        "aws:ecr/repository:Repository",
        "aws:kms/key:Key",
        "azure-native:resources:ResourceGroup",
        "azure-native:network:VirtualNetwork",
        "azure-native:containerservice:ManagedCluster",
        "azure-native:dbforpostgresql:Server",
        "azure-native:storage:StorageAccount",
        "azure-native:containerregistry:Registry",
        "azure-native:keyvault:Vault",
        "gcp:container/cluster:Cluster",
        "gcp:sql/databaseInstance:DatabaseInstance",
        "gcp:storage/bucket:Bucket",
        "gcp:artifactregistry/repository:Repository",
    }
)


def check_required_tags(resource: Resource) -> list[str]:
    if resource.type not in TAGGED_TYPES:
        return []
    missing = [key for key in REQUIRED_TAGS if key not in tags_of(resource)]
    if missing:
        return [f"Missing tags/labels {', '.join(missing)}; pass config.common_tags() (or provider default tags)."]
    return []


REQUIRED_TAGS_RULE = Rule(
    name="required-tags-present",
    description=f"Clusters, databases, buckets, networks, registries and key stores carry {', '.join(REQUIRED_TAGS)}.",
    enforcement=Enforcement.ADVISORY,
    check=check_required_tags,
    fix="Pass StackConfig.common_tags() as tags (AWS/Azure) or labels (GCP), or set them as provider default tags.",
)
