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
S3_CREDENTIALS_SECRET = "mlflow-s3-credentials"
METRICS_DIR = "/tmp/metrics"
"""--expose-prometheus needs a writable directory; the root filesystem is read-only, /tmp is an emptyDir."""
AUTH_SCHEMA = "mlflow_auth"
"""Where the auth store's tables live. Its Alembic history uses `alembic_version`, the table the tracking store's
migrations use too: in one schema each would fail on the other's revision, so the server would never start."""
IMAGE = "burakince/mlflow:3.15.1"
"""The chart's (1.11.5) default image; the schema init container needs only its Python and psycopg2."""
AZURE_IMAGE = ("ghcr.io/mlflow/mlflow", "v3.15.1-full")
"""MLflow's own image at the chart's appVersion, for Blob artifacts: with shared keys off, MLflow's Blob repository
authenticates with azure.identity's DefaultAzureCredential (workload identity), and IMAGE has no azure-identity (its
poetry.lock at 3.15.1 installs azure-storage-blob only). `-full` installs mlflow[extras,azure,db,gateway,genai,auth]
(mlflow/mlflow docker/Dockerfile.full): azure-identity, azure-storage-blob, psycopg2, prometheus-flask-exporter."""


def server_image(store: ArtifactStore) -> tuple[str, str]:
    """(repository, tag) of the image that serves the store's artifacts."""
    if store.kind == ArtifactStoreKind.AZURE_BLOB:
        return AZURE_IMAGE
    repository, tag = IMAGE.rsplit(":", 1)
    return repository, tag


DATABASE_CA_CONFIGMAP = "mlflow-database-ca"
DATABASE_CA_MOUNT = {"name": "database-ca", "mountPath": "/etc/mlflow/database-ca", "readOnly": True}
"""Where the database's CA bundle is mounted when the contract gives one (libpq's `sslrootcert`)."""
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


def database_tls_env(db: Database) -> dict[str, pulumi.Input[str]]:
    """libpq's TLS settings from the environment: the mode, and the CA bundle to verify the server with."""
    env: dict[str, pulumi.Input[str]] = {"PGSSLMODE": db.ssl_mode}
    if db.ca_certificate is not None:
        env["PGSSLROOTCERT"] = f"{DATABASE_CA_MOUNT['mountPath']}/ca.crt"
    elif db.ssl_root_cert:
        env["PGSSLROOTCERT"] = db.ssl_root_cert
    return env


def auth_schema_init_container(db: Database, image: str = IMAGE) -> dict[str, Any]:
    """An init container that creates the auth store's schema (idempotent) as the database's own user."""
    script = (
        "import psycopg2; c = psycopg2.connect(''); c.autocommit = True; "
        f"c.cursor().execute('CREATE SCHEMA IF NOT EXISTS {AUTH_SCHEMA}')"
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
                string_data={"username": db.user, "password": db.password},
                opts=child,
            )
        ]
        admin_password = random.RandomPassword("admin-password", length=32, special=False, opts=child)
        secrets.append(
            k8s.core.v1.Secret(
                "admin-credentials",
                metadata={"name": ADMIN_SECRET, "namespace": ns},
                string_data={"username": "admin", "password": admin_password.result},
                opts=child,
            )
        )
        env = database_tls_env(db)
        ca_volumes: dict[str, Any] = {}
        if db.ca_certificate is not None:
            secrets.append(
                k8s.core.v1.ConfigMap(
                    "database-ca",
                    metadata={"name": DATABASE_CA_CONFIGMAP, "namespace": ns},
                    data={"ca.crt": db.ca_certificate},
                    opts=child,
                )
            )
            ca_volumes = {
                "extraVolumes": [{"name": DATABASE_CA_MOUNT["name"], "configMap": {"name": DATABASE_CA_CONFIGMAP}}],
                "extraVolumeMounts": [DATABASE_CA_MOUNT],
            }
        if store.region:
            env["AWS_DEFAULT_REGION"] = store.region
        keys = credentials_secret("s3-credentials", S3_CREDENTIALS_SECRET, ns, store, AWS_ENV_KEYS, child)
        if keys is not None:
            secrets.append(keys)
        if store.endpoint_url is not None:
            env["MLFLOW_S3_ENDPOINT_URL"] = store.endpoint_url

        postgres = {"enabled": True, "host": db.host, "port": db.port, "database": db.name, "driver": "psycopg2"}
        db_secret = {"name": DATABASE_SECRET, "usernameKey": "username", "passwordKey": "password"}
        service_host = f"{SERVICE}.{MLFLOW.namespace}"
        allowed_hosts = [SERVICE, service_host, f"{service_host}.svc", f"{service_host}.svc.cluster.local"]
        allowed_hosts += ["localhost:*", "127.0.0.1:*"] + ([args.public_host] if args.public_host else [])
        repository, tag = server_image(store)
        self.release = helm_release(
            "mlflow",
            MLFLOW,
            {
                "image": {"repository": repository, "tag": tag},
                # The migration init container must run the same MLflow as the server.
                "initImages": {"mlflowDbMigration": {"repository": repository, "tag": tag}},
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
                        "existingSecret": {
                            "name": DATABASE_SECRET,
                            "usernameKey": "username",
                            "passwordKey": "password",
                        },
                    },
                },
                "initContainers": [auth_schema_init_container(db, f"{repository}:{tag}")],
                "serverAllowedHosts": allowed_hosts,
                "extraEnvVars": env,
                **ca_volumes,
                "extraArgs": {"exposePrometheus": METRICS_DIR},
                "resources": {
                    "requests": {"cpu": "250m", "memory": "512Mi"},
                    "limits": {"memory": "2Gi"},
                },
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
