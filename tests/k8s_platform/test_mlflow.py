"""MLflow tracks to the contract's database and stores artifacts in the contract's object store."""

from __future__ import annotations

import json

from clouds.contract import Workloads
from k8s_platform.mlflow import AUTH_SCHEMA
from offline.mocks.random import fake_password
from tests.conftest import stack_run
from tests.k8s_platform.contracts import DATABASE_PASSWORD, DOMAIN, aws_identities, platform_run
from tests.k8s_platform.helpers import RELEASE, values

SECRET = "kubernetes:core/v1:Secret"


def test_mlflow_uses_the_contracts_database() -> None:
    postgres = values(platform_run("aws-karpenter"), "mlflow")["backendStore"]["postgres"]
    assert postgres["host"] == "mlops-dev.cluster-abc.eu-west-1.rds.amazonaws.com"
    assert (postgres["port"], postgres["database"]) == (5432, "mlflow")


def test_mlflow_reads_the_database_password_from_a_kubernetes_secret() -> None:
    run = platform_run("aws-karpenter")
    secret_name = values(run, "mlflow")["backendStore"]["existingDatabaseSecret"]["name"]
    secret = next(s for s in run.of_type(SECRET) if s.get("metadata.name") == secret_name)
    assert secret.inputs["stringData"]["password"] == DATABASE_PASSWORD


def test_no_helm_release_carries_the_database_password() -> None:
    run = platform_run("aws-karpenter")
    for r in run.of_type(RELEASE):
        assert DATABASE_PASSWORD not in json.dumps(r.inputs), r.name


def test_no_generated_password_appears_in_any_helm_value_of_the_local_stack() -> None:
    run = stack_run("dev-local")
    passwords = [fake_password(p.name) for p in run.of_type("random:index/randomPassword:RandomPassword")]
    assert passwords
    for r in run.of_type(RELEASE):
        rendered = json.dumps(r.inputs.get("values", {}))
        assert not [p for p in passwords if p in rendered], r.name


def test_mlflow_stores_artifacts_in_the_contracts_s3_bucket_through_the_server() -> None:
    root = values(platform_run("aws-karpenter"), "mlflow")["artifactRoot"]
    assert root["s3"] == {"enabled": True, "bucket": "mlops-dev-artifacts", "path": "mlflow"}
    assert root["proxiedArtifactStorage"] is True


def test_mlflow_stores_artifacts_in_the_contracts_blob_container() -> None:
    root = values(platform_run("azure-blob-keda-addon"), "mlflow")["artifactRoot"]
    assert root["azureBlob"] == {
        "enabled": True,
        "container": "artifacts",
        "storageAccount": "mlopsdev",
        "path": "mlflow",
    }


def test_mlflow_stores_artifacts_in_the_contracts_gcs_bucket() -> None:
    root = values(platform_run("gcs-nap"), "mlflow")["artifactRoot"]
    assert root["gcs"] == {"enabled": True, "bucket": "mlops-dev-artifacts", "path": "mlflow"}


def test_local_mlflow_reaches_the_in_cluster_store_with_keys_from_a_secret() -> None:
    mlflow = values(stack_run("dev-local"), "mlflow")
    assert mlflow["artifactRoot"]["s3"]["existingSecret"]["name"] == "mlflow-s3-credentials"
    assert mlflow["extraEnvVars"]["MLFLOW_S3_ENDPOINT_URL"].startswith("http://seaweedfs")


def test_mlflow_service_account_carries_the_workload_identity() -> None:
    account = values(platform_run("aws-karpenter"), "mlflow")["serviceAccount"]
    assert account["name"] == Workloads.MLFLOW.service_account
    assert account["annotations"] == aws_identities()[Workloads.MLFLOW.name].service_account_annotations


def test_mlflow_pods_carry_the_azure_workload_identity_label() -> None:
    labels = values(platform_run("azure-blob-keda-addon"), "mlflow")["extraPodLabels"]
    assert labels == {"azure.workload.identity/use": "true"}


def test_mlflow_authentication_is_on_with_the_admin_from_a_secret() -> None:
    auth = values(platform_run("gcs-nap"), "mlflow")["auth"]
    assert auth["enabled"] is True
    assert auth["existingAdminSecret"]["name"] == "mlflow-admin"
    assert "adminPassword" not in auth


def test_mlflow_auth_store_keeps_its_migrations_apart_from_the_tracking_store() -> None:
    # Both stores record their Alembic revision in `alembic_version`: sharing a schema, MLflow cannot start.
    mlflow = values(platform_run("aws-karpenter"), "mlflow")
    auth_database = mlflow["auth"]["postgres"]["database"]
    assert auth_database == f"mlflow?options=-csearch_path={AUTH_SCHEMA}"
    assert AUTH_SCHEMA != "public"
    (init,) = [c for c in mlflow["initContainers"] if AUTH_SCHEMA in " ".join(c["command"])]
    assert f"CREATE SCHEMA IF NOT EXISTS {AUTH_SCHEMA}" in init["command"][-1]
    env = {e["name"]: e for e in init["env"]}
    assert env["PGDATABASE"]["value"] == "mlflow"
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "mlflow-database", "key": "password"}


def test_mlflow_accepts_its_published_host() -> None:
    assert f"mlflow.{DOMAIN}" in values(platform_run("gcs-nap"), "mlflow")["serverAllowedHosts"]


def test_mlflow_has_probes_and_resources() -> None:
    mlflow = values(platform_run("gcs-nap"), "mlflow")
    assert mlflow["livenessProbe"] and mlflow["readinessProbe"]
    assert mlflow["resources"]["requests"] and mlflow["resources"]["limits"]["memory"]


def test_tracking_url_is_a_stack_output() -> None:
    assert stack_run("dev-local").outputs["mlflowUrl"] == "http://mlflow.mlflow.svc.cluster.local"


def test_mlflow_on_blob_runs_an_image_with_azure_identity() -> None:
    # Shared keys are off: MLflow's Blob repository needs azure.identity's DefaultAzureCredential.
    chart = values(platform_run("azure-blob-keda-addon"), "mlflow")
    image = {"repository": "ghcr.io/mlflow/mlflow", "tag": "v3.15.1-full"}
    assert (chart["image"], chart["initImages"]["mlflowDbMigration"]) == (image, image)
    assert chart["initContainers"][0]["image"] == "ghcr.io/mlflow/mlflow:v3.15.1-full"


def test_mlflow_elsewhere_keeps_the_charts_image() -> None:
    assert values(platform_run("aws-karpenter"), "mlflow")["image"] == {
        "repository": "burakince/mlflow",
        "tag": "3.15.1",
    }
