"""Settings dev-gcp leaves off, checked on a derived stack: CMEK, regional control plane, private endpoint,
HA database with a final backup, auto-provisioning disabled."""

from __future__ import annotations

import json

from offline.harness import StackRun


def test_cmek_encrypts_the_bucket_with_a_key_the_storage_agent_may_use(gcp_variant: StackRun) -> None:
    bucket = gcp_variant.one("gcp:storage/bucket:Bucket")
    key = "projects/acme-mlops-dev/locations/europe-west4/keyRings/mlops-prod-keys/cryptoKeys/artifacts"
    assert bucket.inputs["encryption"] == {"defaultKmsKeyName": key}
    grant = gcp_variant.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "keys-artifacts-0")
    assert grant.inputs["member"] == "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
    assert gcp_variant.depends_on(bucket, grant)


def test_regional_cluster_spreads_nodes_over_every_zone(gcp_variant: StackRun) -> None:
    cluster = gcp_variant.one("gcp:container/cluster:Cluster").inputs
    assert cluster["location"] == "europe-west4"
    assert cluster["nodeLocations"] == ["europe-west4-a", "europe-west4-b"]


def test_empty_allow_list_makes_the_endpoint_private(gcp_variant: StackRun) -> None:
    cluster = gcp_variant.one("gcp:container/cluster:Cluster").inputs
    assert cluster["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"] == []
    assert json.loads(gcp_variant.outputs["kubeconfig"])["clusters"][0]["cluster"]["server"] == "https://172.16.0.2"


def test_without_auto_provisioning_the_autoscaler_still_optimises_utilisation(gcp_variant: StackRun) -> None:
    autoscaling = gcp_variant.one("gcp:container/cluster:Cluster").inputs["clusterAutoscaling"]
    assert autoscaling == {"enabled": False, "autoscalingProfile": "OPTIMIZE_UTILIZATION"}


def test_ha_database_is_regional_and_keeps_a_final_backup(gcp_variant: StackRun) -> None:
    settings = gcp_variant.one("gcp:sql/databaseInstance:DatabaseInstance").inputs["settings"]
    assert settings["availabilityType"] == "REGIONAL"
    assert settings["finalBackupConfig"] == {"enabled": True, "retentionDays": 30}


def test_registry_tags_are_immutable_outside_dev(gcp_variant: StackRun) -> None:
    repository = gcp_variant.one("gcp:artifactregistry/repository:Repository")
    assert repository.inputs["dockerConfig"] == {"immutableTags": True}
