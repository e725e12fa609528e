"""The local foundation: in-cluster object store and Postgres, generated credentials, nothing lost on destroy."""

from __future__ import annotations

import json

from offline.harness import StackRun
from offline.mocks.random import fake_password
from tests.conftest import stack_run

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
PG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"


def local() -> StackRun:
    return stack_run("dev-local")


def test_artifact_bucket_is_created_private_and_versioned() -> None:
    values = local().one(RELEASE, "seaweedfs").inputs["values"]
    assert values["allInOne"]["s3"]["createBuckets"] == [
        {"name": "mlflow-artifacts", "anonymousRead": False, "versioning": "Enabled"}
    ]
    assert values["allInOne"]["s3"]["enableAuth"] is True


def test_the_only_s3_identity_is_the_platforms_with_the_generated_secret_key() -> None:
    credentials = local().one(SECRET, "object-store-credentials")
    (identity,) = json.loads(credentials.inputs["stringData"]["seaweedfs_s3_config"])["identities"]
    assert identity["credentials"][0]["secretKey"] == fake_password("object-store-secret-key")
    assert identity["name"] != "anonymous"


def test_s3_gateway_requires_auth_from_that_secret_on_every_chart_layout() -> None:
    run = local()
    secret_name = run.one(SECRET, "object-store-credentials").inputs["metadata"]["name"]
    values = run.one(RELEASE, "seaweedfs").inputs["values"]
    # The all-in-one keys (chart >= 4.15) and the top-level ones (every 4.x chart) must agree.
    for s3 in (values["s3"], values["allInOne"]["s3"]):
        assert (s3["enableAuth"], s3["existingConfigSecret"]) == (True, secret_name)
    assert fake_password("object-store-secret-key") not in json.dumps(values)


def test_object_store_data_is_on_a_persistent_volume_of_the_configured_class() -> None:
    data = local().one(RELEASE, "seaweedfs").inputs["values"]["allInOne"]["data"]
    assert data == {"type": "persistentVolumeClaim", "size": "20Gi", "storageClass": "standard"}


def test_postgres_bootstraps_the_mlflow_database_with_the_generated_password() -> None:
    run = local()
    spec = run.one(PG_CLUSTER).inputs["spec"]
    assert spec["bootstrap"]["initdb"]["database"] == "mlflow"
    assert spec["bootstrap"]["initdb"]["owner"] == "mlflow"
    owner_secret = run.one(SECRET, "postgres-owner")
    assert spec["bootstrap"]["initdb"]["secret"]["name"] == owner_secret.inputs["metadata"]["name"]
    assert owner_secret.inputs["stringData"]["password"] == fake_password("postgres-password")
    assert spec["enableSuperuserAccess"] is False


def test_postgres_cluster_waits_for_the_operator_that_defines_its_kind() -> None:
    run = local()
    assert run.depends_on(run.one(PG_CLUSTER), run.one(RELEASE, "cloudnative-pg"))


def test_stateful_resources_are_protected() -> None:
    run = local()
    assert run.one(PG_CLUSTER).protect
    assert run.one(RELEASE, "seaweedfs").protect


def test_every_in_cluster_resource_targets_the_configured_context() -> None:
    run = local()
    provider = run.one("pulumi:providers:kubernetes")
    assert provider.inputs["context"] == "kind-mlops"
    kubernetes_resources = [r for r in run.resources if r.type.startswith("kubernetes:")]
    assert kubernetes_resources
    assert all(r.provider.startswith(provider.urn) for r in kubernetes_resources)


def test_contract_points_mlflow_at_the_in_cluster_database_and_store() -> None:
    outputs = local().outputs
    assert outputs["databaseEndpoint"] == "mlops-postgres-rw.database.svc.cluster.local:5432"
    assert outputs["artifactStoreUri"] == "s3://mlflow-artifacts/mlflow"
    assert outputs["objectStoreEndpoint"].startswith("http://seaweedfs-all-in-one.object-store.svc")
