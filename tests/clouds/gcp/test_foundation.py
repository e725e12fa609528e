"""The GCP foundation's outputs and the workload access table it binds."""

from __future__ import annotations

from clouds.contract import Workloads, workload_access
from clouds.gcp.foundation import gcp_access
from clouds.gcp.identity import WorkloadAccess
from config.model import Components
from config.teams import Team
from tests.conftest import stack_run


def test_stack_outputs_name_the_cluster_bucket_database_and_registry() -> None:
    outputs = stack_run("dev-gcp").outputs
    assert outputs["clusterName"] == "mlops-dev-gke"
    assert outputs["artifactBucket"] == "acme-mlops-dev-mlops-dev-artifacts"
    assert outputs["databasePrivateIp"] == "10.41.0.3"
    assert outputs["databaseConnectionName"] == "acme-mlops-dev:europe-west4:mlops-dev-postgres"
    assert outputs["registryUrl"] == "europe-west4-docker.pkg.dev/acme-mlops-dev/mlops-dev-images"


def test_kubernetes_provider_uses_the_secret_kubeconfig() -> None:
    run = stack_run("dev-gcp")
    provider = run.one("pulumi:providers:kubernetes")
    assert provider.masked_inputs["kubeconfig"] == "[secret]"


def test_gcp_resources_carry_the_common_labels_through_the_provider() -> None:
    provider = stack_run("dev-gcp").one("pulumi:providers:gcp")
    labels = provider.inputs["defaultLabels"]
    labels = labels if isinstance(labels, dict) else __import__("json").loads(labels)
    assert labels["managed-by"] == "pulumi"
    assert labels["environment"] == "dev"


def access_for(teams: list[Team]) -> list[WorkloadAccess]:
    return gcp_access(workload_access("mlflow", Components(), teams), teams, protect=True)


def test_every_team_gets_its_own_prefix_scoped_identity() -> None:
    access = access_for([Team(name="vision", identity_group="g@x.example")])
    team = next(a for a in access if a.workload == Workloads.team("vision"))
    assert team.bucket is not None
    assert team.bucket.prefixes == ("teams/vision",)
    assert not team.read_platform_secrets


def test_only_external_secrets_reads_platform_secrets() -> None:
    readers = [a.workload for a in access_for([]) if a.read_platform_secrets]
    assert readers == [Workloads.EXTERNAL_SECRETS]


def test_every_stateful_resource_is_protected_from_destroy() -> None:
    stateful = {
        "gcp:storage/bucket:Bucket",
        "gcp:sql/databaseInstance:DatabaseInstance",
        "gcp:sql/database:Database",
        "gcp:artifactregistry/repository:Repository",
        "gcp:kms/keyRing:KeyRing",
        "gcp:kms/cryptoKey:CryptoKey",
    }
    found = [r for r in stack_run("dev-gcp").resources if r.type in stateful]
    assert {r.type for r in found} == stateful
    assert [r.name for r in found if not r.protect] == []


def test_control_plane_monitors_gke_cannot_serve_are_off_with_their_alerts() -> None:
    values = stack_run("dev-gcp").one("kubernetes:helm.sh/v3:Release", "kube-prometheus-stack").inputs["values"]
    for monitor in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert values[monitor] == {"enabled": False}


def test_a_self_managed_control_plane_keeps_its_monitors() -> None:
    values = stack_run("dev-local").one("kubernetes:helm.sh/v3:Release", "kube-prometheus-stack").inputs["values"]
    assert "kubeControllerManager" not in values
