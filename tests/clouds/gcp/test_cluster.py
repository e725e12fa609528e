"""The GKE cluster: private, Workload Identity, hardened, KMS-encrypted secrets, node auto-provisioning."""

from __future__ import annotations

import json

from clouds.gcp.cluster import recurring_window
from config.gcp import MaintenanceWindow
from offline.harness import DeclaredResource, StackRun
from tests.conftest import DEPLOYER_CIDR, stack_run

CLUSTER = "gcp:container/cluster:Cluster"


def gcp() -> StackRun:
    return stack_run("dev-gcp")


def cluster() -> DeclaredResource:
    return gcp().one(CLUSTER)


def test_nodes_are_private_and_the_endpoint_admits_only_the_allow_list() -> None:
    inputs = cluster().inputs
    assert inputs["privateClusterConfig"]["enablePrivateNodes"] is True
    assert inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": DEPLOYER_CIDR, "displayName": "allow-0"}
    ]
    assert inputs["masterAuthorizedNetworksConfig"]["gcpPublicCidrsAccessEnabled"] is False


def test_workload_identity_pool_is_the_projects() -> None:
    assert cluster().inputs["workloadIdentityConfig"] == {"workloadPool": "acme-mlops-dev.svc.id.goog"}


def test_cluster_is_hardened_with_shielded_nodes_and_dataplane_v2() -> None:
    inputs = cluster().inputs
    assert inputs["enableShieldedNodes"] is True
    assert inputs["datapathProvider"] == "ADVANCED_DATAPATH"


def test_kubernetes_secrets_are_encrypted_with_the_platform_kms_key() -> None:
    key = "projects/acme-mlops-dev/locations/europe-west4/keyRings/mlops-dev-keys/cryptoKeys/gke-secrets"
    assert cluster().inputs["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key}


def test_gke_service_agent_is_created_before_the_key_is_granted_to_it() -> None:
    run = gcp()
    agent = run.one("gcp:projects/serviceIdentity:ServiceIdentity", "services-container-agent")
    assert agent.inputs["service"] == "container.googleapis.com"
    assert run.depends_on(agent, run.one("gcp:projects/service:Service", "services-container"))
    grant = run.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "keys-gke-secrets-0")
    assert grant.inputs["member"] == agent.outputs["member"]
    assert run.depends_on(grant, agent)


def test_gke_service_agent_may_use_the_key_before_the_cluster_exists() -> None:
    run = gcp()
    grant = run.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "keys-gke-secrets-0")
    assert (
        grant.inputs["member"] == "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"
    )
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert run.depends_on(cluster(), grant)


def test_version_is_pinned_to_a_release_channel_and_minimum() -> None:
    inputs = cluster().inputs
    assert inputs["releaseChannel"] == {"channel": "REGULAR"}
    assert inputs["minMasterVersion"] == "1.34"


def test_default_node_pool_is_removed() -> None:
    assert cluster().inputs["removeDefaultNodePool"] is True


def test_node_auto_provisioning_caps_cpu_memory_and_each_gpu_type() -> None:
    autoscaling = cluster().inputs["clusterAutoscaling"]
    assert autoscaling["enabled"] is True
    assert autoscaling["autoscalingProfile"] == "OPTIMIZE_UTILIZATION"
    limits = {limit["resourceType"]: limit["maximum"] for limit in autoscaling["resourceLimits"]}
    assert limits == {"cpu": 48, "memory": 192, "nvidia-l4": 2, "nvidia-tesla-t4": 2}


def test_auto_provisioned_nodes_use_the_node_service_account_and_are_shielded_and_managed() -> None:
    run = gcp()
    defaults = cluster().inputs["clusterAutoscaling"]["autoProvisioningDefaults"]
    assert (
        defaults["serviceAccount"]
        == run.one("gcp:serviceaccount/account:Account", "node-identity-account").outputs["email"]
    )
    assert defaults["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert defaults["management"] == {"autoRepair": True, "autoUpgrade": True}


def test_zonal_dev_cluster_lists_only_its_additional_zones() -> None:
    inputs = cluster().inputs
    assert inputs["location"] == "europe-west4-a"
    assert inputs["nodeLocations"] == ["europe-west4-b"]
    assert inputs["clusterAutoscaling"]["autoProvisioningLocations"] == ["europe-west4-a", "europe-west4-b"]


def test_cluster_deletion_protection_follows_protect() -> None:
    assert cluster().inputs["deletionProtection"] is True


def test_maintenance_window_recurs_weekly_for_the_configured_hours() -> None:
    window = recurring_window(MaintenanceWindow(start_time="22:30", duration_hours=6, days=["TU", "TH", "SA"]))
    assert window == {
        "start_time": "2026-01-03T22:30:00Z",
        "end_time": "2026-01-04T04:30:00Z",
        "recurrence": "FREQ=WEEKLY;BYDAY=TU,TH,SA",
    }


def test_node_service_account_holds_only_gkes_default_node_role() -> None:
    run = gcp()
    node = run.one("gcp:serviceaccount/account:Account", "node-identity-account").outputs["member"]
    roles = {m.inputs["role"] for m in run.of_type("gcp:projects/iAMMember:IAMMember") if m.inputs["member"] == node}
    assert roles == {"roles/container.defaultNodeServiceAccount"}


def test_temporary_default_pool_runs_as_the_node_service_account() -> None:
    run = gcp()
    node_config = cluster().inputs["nodeConfig"]
    assert (
        node_config["serviceAccount"]
        == run.one("gcp:serviceaccount/account:Account", "node-identity-account").outputs["email"]
    )
    assert node_config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}


def test_google_groups_for_rbac_use_the_configured_security_group() -> None:
    assert cluster().inputs["authenticatorGroupsConfig"] == {"securityGroup": "gke-security-groups@acme.example"}


def test_each_team_group_may_fetch_the_cluster_credentials() -> None:
    viewers = {
        m.inputs["member"]
        for m in gcp().of_type("gcp:projects/iAMMember:IAMMember")
        if m.inputs["role"] == "roles/container.clusterViewer"
    }
    assert viewers == {"group:ml-vision@acme.example", "group:ml-forecasting@acme.example"}


def test_kubeconfig_tokens_come_from_the_application_default_credentials() -> None:
    user = json.loads(gcp().outputs["kubeconfig"])["users"][0]["user"]
    assert user["exec"]["args"] == ["--use_application_default_credentials"]


def test_dns_endpoint_takes_no_user_traffic_unless_asked(gcp_variant: StackRun) -> None:
    endpoints = gcp_variant.one(CLUSTER).inputs["controlPlaneEndpointsConfig"]
    assert endpoints == {"dnsEndpointConfig": {"allowExternalTraffic": False}}


def test_dev_kubeconfig_reaches_the_iam_authorised_dns_endpoint_without_a_private_ca() -> None:
    assert cluster().inputs["controlPlaneEndpointsConfig"] == {"dnsEndpointConfig": {"allowExternalTraffic": True}}
    (entry,) = json.loads(gcp().outputs["kubeconfig"])["clusters"]
    assert entry["cluster"] == {"server": "https://gke-0123456789abcdef-123456789012.europe-west4-a.gke.goog"}


def test_nodes_pull_images_from_the_platform_registry_only() -> None:
    run = gcp()
    reader = run.one("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
    assert reader.inputs["role"] == "roles/artifactregistry.reader"
    assert reader.inputs["member"].endswith("mlops-dev-nodes@acme-mlops-dev.iam.gserviceaccount.com")


def test_kubeconfig_is_a_secret_that_authenticates_with_the_gke_auth_plugin() -> None:
    run = gcp()
    assert "kubeconfig" in run.secret_outputs
    kubeconfig = json.loads(run.outputs["kubeconfig"])
    assert kubeconfig["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert "token" not in kubeconfig["users"][0]["user"]
