"""MLflow tracking server and model registry on the contract's Postgres and object store.

Database and admin credentials reach the chart as Kubernetes Secrets (`existingDatabaseSecret`,
`auth.existingAdminSecret`); no password is ever a Helm value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from clouds.contract import ArtifactStore, ArtifactStoreKind, Database, WorkloadIdentity, Workloads
from k8s_platform.catalog import MLFLOW
from k8s_platform.helm import helm_release
from k8s_platform.namespace import namespace, namespace_name
from k8s_platform.object_store import AWS_ENV_KEYS, credentials_secret
from k8s_platform.options import children_of
from k8s_platform.placement import PlatformPods, disruption_budget

POD_LABELS = {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": "mlflow"}
"""The chart's selector labels for the release named `mlflow`."""
SERVICE = "mlflow"
"""The chart names its Service after the release."""
PORT = 80
CONTAINER_PORT = 5000
"""The chart's default container port: what network policies open (they see pods, not the Service)."""
DATABASE_SECRET = "mlflow-database"
ADMIN_SECRET = "mlflow-admin"
ADMIN_USER = "admin"
S3_CREDENTIALS_SECRET = "mlflow-s3-credentials"
METRICS_DIR = "/tmp/metrics"
"""--expose-prometheus needs a writable directory; the root filesystem is read-only, /tmp is an emptyDir."""
METRICS_PORT = 9102
METRICS_PORT_NAME = "metrics"
"""Where the pod serves Prometheus metrics without auth: basic auth guards the server's own /metrics and its
allowed-hosts list rejects a scrape addressed to `<podIP>:5000` (MLflow 3.15.1, mlflow/server/auth/__init__.py
`_UNPROTECTED_PATH_PREFIXES`, mlflow/server/security.py), so a sidecar serves the same multiprocess files."""
AUTH_SCHEMA = "mlflow_auth"
"""Where the auth store's tables (users, permissions) live, apart from the tracking store's. MLflow 3.15.1 keeps the
auth store's Alembic history in its own `alembic_version_auth` table; the schema keeps the two stores' tables from
mixing and lets users and permissions be backed up or granted on their own (tests/integration checks it)."""
IMAGE = "burakince/mlflow:3.15.1"
"""The chart's (1.11.5) default image; the auth schema init container runs its MLflow (auth store migrations)."""
AZURE_IMAGE = ("ghcr.io/mlflow/mlflow", "v3.15.1-full")
"""MLflow's own image at the chart's appVersion, for Blob artifacts: with shared keys off, MLflow's Blob repository
authenticates with azure.identity's DefaultAzureCredential (workload identity), and IMAGE has no azure-identity (its
poetry.lock at 3.15.1 installs azure-storage-blob only). `-full` installs mlflow[extras,azure,db,gateway,genai,auth]
(mlflow/mlflow docker/Dockerfile.full): azure-identity, azure-storage-blob, psycopg2, prometheus-flask-exporter."""
DATABASE_CA_CONFIGMAP = "mlflow-database-ca"
DATABASE_CA_MOUNT = {"name": "database-ca", "mountPath": "/etc/mlflow/database-ca", "readOnly": True}
"""Where the database's CA bundle is mounted when the contract gives one (libpq's `sslrootcert`)."""
RESOURCES = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}}
"""The server container's; the integration test holds the real server's resident memory to the limit."""
CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 1001,
}


@dataclass(frozen=True)
class MlflowArgs:
    version: str
    database: Database
    artifact_store: ArtifactStore
    identity: WorkloadIdentity
    public_host: str | None
    """The host the gateway publishes MLflow on, or None when it is reachable only inside the cluster."""
    pods: PlatformPods


def in_cluster_url() -> str:
    return f"http://{SERVICE}.{MLFLOW.namespace}.svc.cluster.local"


def artifact_values(store: ArtifactStore) -> dict[str, Any]:
    """`artifactRoot` for the store's kind; the server proxies artifacts so clients need no storage access."""
    root: dict[str, Any] = {"proxiedArtifactStorage": True}
    match store.kind:
        case ArtifactStoreKind.S3 | ArtifactStoreKind.S3_COMPATIBLE:
            root["s3"] = {"enabled": True, "bucket": store.bucket, "path": store.prefix}
            if store.credentials is not None:
                root["s3"]["existingSecret"] = {
                    "name": S3_CREDENTIALS_SECRET,
                    "keyOfAccessKeyId": AWS_ENV_KEYS[0],
                    "keyOfSecretAccessKey": AWS_ENV_KEYS[1],
                }
        case ArtifactStoreKind.AZURE_BLOB:
            root["azureBlob"] = {
                "enabled": True,
                "container": store.bucket,
                "storageAccount": store.account_name,
                "path": store.prefix,
            }
        case ArtifactStoreKind.GCS:
            root["gcs"] = {"enabled": True, "bucket": store.bucket, "path": store.prefix}
    return root


def server_image(store: ArtifactStore) -> tuple[str, str]:
    """(repository, tag) of the image that serves the store's artifacts."""
    if store.kind == ArtifactStoreKind.AZURE_BLOB:
        return AZURE_IMAGE
    repository, tag = IMAGE.rsplit(":", 1)
    return repository, tag


def database_tls_env(db: Database) -> dict[str, pulumi.Input[str]]:
    """libpq's TLS settings from the environment: the mode, and the CA bundle to verify the server with."""
    env: dict[str, pulumi.Input[str]] = {"PGSSLMODE": db.ssl_mode}
    if db.ca_certificate is not None:
        env["PGSSLROOTCERT"] = f"{DATABASE_CA_MOUNT['mountPath']}/ca.crt"
    elif db.ssl_root_cert:
        env["PGSSLROOTCERT"] = db.ssl_root_cert
    return env


def auth_schema_init_container(db: Database, image: str = IMAGE) -> dict[str, Any]:
    """An init container that creates the auth store's schema and migrates its tables (both idempotent) as the
    database's own user. Left to the server, each of its four web workers runs the auth migrations at once on a
    new database and all but one die on `duplicate key ... pg_type_typname_nsp_index` (seen in tests/integration)."""
    script = (
        "import psycopg2; c = psycopg2.connect(''); c.autocommit = True; "
        f"c.cursor().execute('CREATE SCHEMA IF NOT EXISTS {AUTH_SCHEMA}'); "
        "from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore; "
        f"SqlAlchemyStore().init_db('postgresql+psycopg2:///?options=-csearch_path={AUTH_SCHEMA}')"
    )
    credential = {"name": DATABASE_SECRET}
    return {
        "name": "auth-schema",
        "image": image,
        "command": ["python", "-c", script],
        # libpq reads the connection from the environment; the password only ever comes from the Secret.
        "env": [
            {"name": "PGHOST", "value": db.host},
            {"name": "PGPORT", "value": str(db.port)},
            {"name": "PGDATABASE", "value": db.name},
            *({"name": key, "value": value} for key, value in database_tls_env(db).items()),
            {"name": "PGUSER", "valueFrom": {"secretKeyRef": {**credential, "key": "username"}}},
            {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {**credential, "key": "password"}}},
        ],
        "volumeMounts": [DATABASE_CA_MOUNT] if db.ca_certificate is not None else [],
        "securityContext": CONTAINER_SECURITY,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }


def database_credentials(db: Database) -> dict[str, pulumi.Input[str]]:
    """The `mlflow-database` Secret's data, read by the chart (`existingDatabaseSecret`) and the schema init."""
    return {"username": db.user, "password": db.password}


def admin_credentials(password: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    """The `mlflow-admin` Secret's data: the admin the auth store creates on its first start."""
    return {"username": ADMIN_USER, "password": password}


def allowed_hosts(public_host: str | None) -> list[str]:
    """Host headers the server answers: its Service names, a port-forward (localhost), the published host."""
    service_host = f"{SERVICE}.{MLFLOW.namespace}"
    hosts = [SERVICE, service_host, f"{service_host}.svc", f"{service_host}.svc.cluster.local"]
    return hosts + ["localhost:*", "127.0.0.1:*"] + ([public_host] if public_host else [])


def metrics_exporter_container(image: str = IMAGE) -> dict[str, Any]:
    """A sidecar that serves the server's multiprocess metrics files (shared /tmp emptyDir) without auth."""
    script = (
        "import os, sys, threading; "
        "from prometheus_client import CollectorRegistry, start_http_server; "
        "from prometheus_client.multiprocess import MultiProcessCollector; "
        "path, port = sys.argv[1], int(sys.argv[2]); os.makedirs(path, exist_ok=True); r = CollectorRegistry(); "
        "MultiProcessCollector(r, path=path); start_http_server(port, registry=r); threading.Event().wait()"
    )
    return {
        "name": "metrics",
        "image": image,
        "command": ["python", "-c", script, METRICS_DIR, str(METRICS_PORT)],
        "ports": [{"name": METRICS_PORT_NAME, "containerPort": METRICS_PORT, "protocol": "TCP"}],
        # The chart's `tmp` emptyDir is where the server writes the files.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "securityContext": CONTAINER_SECURITY,
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
    }


def server_values(db: Database, store: ArtifactStore, public_host: str | None) -> dict[str, Any]:
    """The chart values that decide how the MLflow server runs: stores, auth, hosts, arguments, environment.

    The program installs exactly these; `k8s_platform.mlflow_server.rendered_server` turns them into the
    command line the pinned chart runs, which the integration test starts against real servers.
    """
    env: dict[str, pulumi.Input[str]] = {
        **database_tls_env(db),
        # MLflow 3.15 starts a job runner with seven huey consumers beside its four web workers by default: about
        # 3 GiB resident in all (measured by tests/integration), past the container's memory limit. The jobs serve
        # GenAI features (judges, prompt optimisation) the platform does not offer; the web workers stay as they are.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    if store.region:
        env["AWS_DEFAULT_REGION"] = store.region
    if store.endpoint_url is not None:
        env["MLFLOW_S3_ENDPOINT_URL"] = store.endpoint_url
    postgres = {"enabled": True, "host": db.host, "port": db.port, "database": db.name, "driver": "psycopg2"}
    db_secret = {"name": DATABASE_SECRET, "usernameKey": "username", "passwordKey": "password"}
    repository, tag = server_image(store)
    image = f"{repository}:{tag}"
    ca_volumes: dict[str, Any] = {}
    if db.ca_certificate is not None:
        # The ConfigMap itself is the component's (`Mlflow`); the values mount it where libpq is told to look.
        ca_volumes = {
            "extraVolumes": [{"name": DATABASE_CA_MOUNT["name"], "configMap": {"name": DATABASE_CA_CONFIGMAP}}],
            "extraVolumeMounts": [DATABASE_CA_MOUNT],
        }
    return {
        "image": {"repository": repository, "tag": tag},
        # The migration init container must run the same MLflow as the server.
        "initImages": {"mlflowDbMigration": {"repository": repository, "tag": tag}},
        "backendStore": {
            "databaseMigration": True,
            "databaseConnectionCheck": True,
            "postgres": postgres,
            "existingDatabaseSecret": db_secret,
        },
        "artifactRoot": artifact_values(store),
        "auth": {
            "enabled": True,
            "existingAdminSecret": {"name": ADMIN_SECRET, "usernameKey": "username", "passwordKey": "password"},
            "defaultPermission": "READ",
            # Users and permissions live in the same Postgres (own schema), so they survive pod restarts.
            "postgres": {
                **postgres,
                "database": f"{db.name}?options=-csearch_path={AUTH_SCHEMA}",
                "existingSecret": {"name": DATABASE_SECRET, "usernameKey": "username", "passwordKey": "password"},
            },
        },
        "initContainers": [auth_schema_init_container(db, image)],
        "extraContainers": [metrics_exporter_container(image)],
        "serverAllowedHosts": allowed_hosts(public_host),
        "extraEnvVars": env,
        **ca_volumes,
        "extraArgs": {"exposePrometheus": METRICS_DIR},
    }


class Mlflow(pulumi.ComponentResource):
    """The MLflow server (basic auth on), its credentials Secrets, and its workload-identity service account."""

    release: k8s.helm.v3.Release
    url: pulumi.Output[str]

    def __init__(self, name: str, args: MlflowArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:Mlflow", name, None, opts)
        child = children_of(self, opts)
        ns = namespace_name(namespace(MLFLOW.namespace, child))
        db, store = args.database, args.artifact_store

        # The pod cannot start without its Secrets, so the release (which waits for ready pods) waits for them.
        secrets: list[pulumi.Resource] = [
            k8s.core.v1.Secret(
                "database-credentials",
                metadata={"name": DATABASE_SECRET, "namespace": ns},
                string_data=database_credentials(db),
                opts=child,
            )
        ]
        admin_password = random.RandomPassword("admin-password", length=32, special=False, opts=child)
        secrets.append(
            k8s.core.v1.Secret(
                "admin-credentials",
                metadata={"name": ADMIN_SECRET, "namespace": ns},
                string_data=admin_credentials(admin_password.result),
                opts=child,
            )
        )
        if db.ca_certificate is not None:
            secrets.append(
                k8s.core.v1.ConfigMap(
                    "database-ca",
                    metadata={"name": DATABASE_CA_CONFIGMAP, "namespace": ns},
                    data={"ca.crt": db.ca_certificate},
                    opts=child,
                )
            )
        keys = credentials_secret("s3-credentials", S3_CREDENTIALS_SECRET, ns, store, AWS_ENV_KEYS, child)
        if keys is not None:
            secrets.append(keys)

        self.release = helm_release(
            "mlflow",
            MLFLOW,
            {
                "replicaCount": args.pods.replicas(),
                **args.pods.pod_values(POD_LABELS),
                "serviceAccount": {
                    "create": True,
                    "name": Workloads.MLFLOW.service_account,
                    "annotations": dict(args.identity.service_account_annotations),
                },
                "extraPodLabels": dict(args.identity.pod_labels),
                "podSecurityContext": {
                    "fsGroup": 1001,
                    "fsGroupChangePolicy": "OnRootMismatch",
                    "runAsNonRoot": True,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                **server_values(db, store, args.public_host),
                "resources": RESOURCES,
                "livenessProbe": {
                    "initialDelaySeconds": 30,
                    "periodSeconds": 20,
                    "timeoutSeconds": 5,
                    "failureThreshold": 5,
                },
                "readinessProbe": {
                    "initialDelaySeconds": 10,
                    "periodSeconds": 10,
                    "timeoutSeconds": 5,
                    "failureThreshold": 3,
                },
            },
            pulumi.ResourceOptions(parent=self, depends_on=secrets),
            version=args.version,
            namespace=ns,
            timeout_seconds=900,  # the first start runs the schema migrations
        )
        if args.pods.replicas() > 1:
            # The chart has no PodDisruptionBudget value.
            disruption_budget("mlflow", ns, POD_LABELS, child)
        self.url = pulumi.Output.from_input(f"https://{args.public_host}" if args.public_host else in_cluster_url())
        self.register_outputs({"url": self.url})
