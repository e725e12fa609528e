"""The MLflow server the pinned chart runs for the program's values (k8s_platform/mlflow_server.py), and the
metrics sidecar Prometheus scrapes. The integration test starts exactly this process against real servers."""

from __future__ import annotations

from typing import Any, cast

import pulumi

from clouds.contract import ArtifactStore, ArtifactStoreKind, Database, S3Credentials
from k8s_platform import mlflow
from k8s_platform.mlflow_server import ServerProcess, rendered_server
from k8s_platform.object_store import AWS_ENV_KEYS
from tests.k8s_platform.contracts import platform_run
from tests.k8s_platform.helpers import custom_resources, values


def secret(value: str) -> pulumi.Output[str]:
    return cast(pulumi.Output[str], value)


DATABASE = Database(host="db.example", port=5432, name="mlflow", user="mlflow", password=secret("db-pw"))
STORE = ArtifactStore(
    kind=ArtifactStoreKind.S3_COMPATIBLE, bucket="artifacts", prefix="mlflow", uri=secret("s3://artifacts/mlflow"),
    region="us-east-1", endpoint_url="http://s3.example:8333", credentials=S3Credentials(secret("ak"), secret("sk")),
)  # fmt: skip
SECRETS = {
    mlflow.DATABASE_SECRET: cast(dict[str, str], mlflow.database_credentials(DATABASE)),
    mlflow.ADMIN_SECRET: cast(dict[str, str], mlflow.admin_credentials("admin-pw")),
    mlflow.S3_CREDENTIALS_SECRET: dict(zip(AWS_ENV_KEYS, ("ak", "sk"), strict=True)),
}


def server(public_host: str | None = None) -> ServerProcess:
    return rendered_server(mlflow.server_values(DATABASE, STORE, public_host), SECRETS, "3.15.1")


def test_the_server_proxies_artifacts_to_the_bucket_prefix() -> None:
    argv = server().argv
    assert "--artifacts-destination=s3://artifacts/mlflow" in argv and "--serve-artifacts" in argv


def test_the_server_runs_basic_auth_and_exposes_prometheus_files_on_the_pod_tmp() -> None:
    argv = server().argv
    assert "--app-name=basic-auth" in argv and f"--expose-prometheus={mlflow.METRICS_DIR}" in argv


def test_the_tracking_store_is_postgres_from_libpq_variables_with_tls() -> None:
    env = server().env
    assert "--backend-store-uri=postgresql+psycopg2://" in server().argv
    assert {k: env[k] for k in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE")} == {
        "PGHOST": "db.example", "PGPORT": "5432", "PGDATABASE": "mlflow", "PGUSER": "mlflow", "PGPASSWORD": "db-pw",
        "PGSSLMODE": "require",
    }  # fmt: skip


def test_the_auth_store_uri_keeps_the_schema_option_after_the_database_name() -> None:
    config = server().auth_config
    uri = "postgresql+psycopg2://mlflow:db-pw@db.example:5432/mlflow?options=-csearch_path=" + mlflow.AUTH_SCHEMA
    assert f"database_uri = {uri}\n" in config


def test_the_admin_comes_from_the_admin_secret() -> None:
    assert "admin_username = admin\nadmin_password = admin-pw\n" in server().auth_config


def test_the_allowed_hosts_reach_the_server_as_one_variable() -> None:
    hosts = server("mlflow.example.org").env["MLFLOW_SERVER_ALLOWED_HOSTS"].split(",")
    assert hosts == mlflow.allowed_hosts("mlflow.example.org") and "mlflow.example.org" in hosts


def test_the_job_runner_is_off() -> None:
    assert server().env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"


def test_relocating_moves_container_paths_once_and_the_listen_address() -> None:
    local = server().relocated({"/tmp": "/tmp/run-1/pod-tmp", "/etc/mlflow/auth": "/tmp/run-1/auth"}, "127.0.0.1", 4)
    assert "--expose-prometheus=/tmp/run-1/pod-tmp/metrics" in local.argv
    assert local.env["MLFLOW_AUTH_CONFIG_PATH"] == "/tmp/run-1/auth/basic_auth.ini"
    assert {"--host=127.0.0.1", "--port=4"} <= set(local.argv)


def test_mlflow_is_scraped_from_its_metrics_sidecar_port() -> None:
    run = platform_run("aws-karpenter")
    monitor = next(m for m in custom_resources(run, "PodMonitor") if m.get("metadata.name") == "mlflow")
    assert [e["port"] for e in monitor.inputs["spec"]["podMetricsEndpoints"]] == [mlflow.METRICS_PORT_NAME]


def test_the_metrics_sidecar_declares_the_port_the_monitor_scrapes() -> None:
    sidecars: list[dict[str, Any]] = values(platform_run("aws-karpenter"), "mlflow")["extraContainers"]
    ports = [p for c in sidecars for p in c.get("ports", [])]
    assert ports == [{"name": mlflow.METRICS_PORT_NAME, "containerPort": mlflow.METRICS_PORT, "protocol": "TCP"}]


def test_the_auth_store_is_migrated_once_by_the_init_container_before_the_web_workers_start() -> None:
    (init,) = [c for c in mlflow.server_values(DATABASE, STORE, None)["initContainers"] if c["name"] == "auth-schema"]
    assert f"init_db('postgresql+psycopg2:///?options=-csearch_path={mlflow.AUTH_SCHEMA}')" in init["command"][-1]
