"""The MLflow server process the pinned chart runs for the program's values: command line, environment, auth file.

A model of what community-charts `mlflow` 1.11.5 renders (charts/mlflow/templates/deployment.yaml, configmap.yaml,
auth_ini_configmap.yaml and values.yaml at tag mlflow-1.11.5), limited to the value keys the program sets. The
integration test starts real MLflow, Postgres and S3 processes from it, so a value the chart would turn into a
broken server breaks the test too. A chart upgrade must re-check this module against the new templates.
"""

from __future__ import annotations

import re
import secrets as random_secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

# Chart defaults (values.yaml, mlflow-1.11.5) for keys the program leaves alone.
SERVER_HOST = "0.0.0.0"
CONTAINER_PORT = 5000
LOG_LEVEL = "info"
AUTH_APP_NAME = "basic-auth"
AUTHORIZATION_FUNCTION = "mlflow.server.auth:authenticate_request_basic_auth"
AUTH_CONFIG_PATH = "/etc/mlflow/auth/basic_auth.ini"

Secrets = Mapping[str, Mapping[str, str]]
"""Kubernetes Secrets by name: what `secretKeyRef`s resolve against."""


@dataclass(frozen=True)
class ServerProcess:
    argv: list[str]
    """`command` + `args` of the chart's `mlflow` container."""
    env: dict[str, str]
    """The container's environment: `env` (secret references resolved) over `envFrom` (the env ConfigMap)."""
    auth_config: str
    """basic_auth.ini as the chart's ini-file-initializer writes it (placeholders replaced)."""

    def relocated(self, mounts: Mapping[str, str], host: str, port: int) -> ServerProcess:
        """The same process outside a pod: container paths under `mounts` moved to local directories, and
        listening on `host:port` instead of the pod's 0.0.0.0:5000. Nothing else changes."""

        # One pass, longest path first, so a local directory that itself lies under /tmp is not moved twice.
        pattern = re.compile(
            r"(?<![\w/])(" + "|".join(re.escape(p) for p in sorted(mounts, key=len, reverse=True)) + r")(?=/|$)"
        )

        def move(value: str) -> str:
            return pattern.sub(lambda m: mounts[m.group(1)], value)

        argv = [move(a) for a in self.argv]
        argv = [f"--host={host}" if a.startswith("--host=") else a for a in argv]
        argv = [f"--port={port}" if a.startswith("--port=") else a for a in argv]
        return replace(self, argv=argv, env={k: move(v) for k, v in self.env.items()})


def resolve_env(env: Sequence[Mapping[str, Any]], secrets: Secrets) -> dict[str, str]:
    """A container's `env` list as the kubelet resolves it: literal values and `secretKeyRef`s."""
    resolved: dict[str, str] = {}
    for var in env:
        if "value" in var:
            resolved[var["name"]] = str(var["value"])
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            resolved[var["name"]] = secrets[ref["name"]][ref["key"]]
    return resolved


def _kebab(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", key).lower()


def _artifact_argument(root: Mapping[str, Any]) -> str:
    prefix = "artifacts-destination" if root.get("proxiedArtifactStorage") else "default-artifact-root"
    if root.get("azureBlob", {}).get("enabled"):
        blob = root["azureBlob"]
        return f"--{prefix}=wasbs://{blob['container']}@{blob['storageAccount']}.blob.core.windows.net/{blob['path']}"
    if root.get("s3", {}).get("enabled"):
        return f"--{prefix}=s3://{root['s3']['bucket']}/{root['s3']['path']}"
    if root.get("gcs", {}).get("enabled"):
        return f"--{prefix}=gs://{root['gcs']['bucket']}/{root['gcs']['path']}"
    raise ValueError("artifactRoot: no store enabled (the chart would fall back to a path inside the pod)")


def _auth_config(values: Mapping[str, Any], secrets: Secrets) -> str:
    auth = values["auth"]
    pg = auth["postgres"]
    driver = f"+{pg['driver']}" if pg.get("driver") else ""
    db_secret, admin_secret = secrets[pg["existingSecret"]["name"]], secrets[auth["existingAdminSecret"]["name"]]
    user = db_secret[pg["existingSecret"]["usernameKey"]]
    password = db_secret[pg["existingSecret"]["passwordKey"]]
    # The template puts `auth.postgres.database` verbatim after the slash: query options ride along with it.
    uri = f"postgresql{driver}://{user}:{password}@{pg['host']}:{pg['port']}/{pg['database']}"
    return "\n".join(
        [
            "[mlflow]",
            f"default_permission = {auth['defaultPermission']}",
            f"database_uri = {uri}",
            f"admin_username = {admin_secret[auth['existingAdminSecret']['usernameKey']]}",
            f"admin_password = {admin_secret[auth['existingAdminSecret']['passwordKey']]}",
            f"authorization_function = {AUTHORIZATION_FUNCTION}",
            "",
        ]
    )


def rendered_server(values: Mapping[str, Any], secrets: Secrets, chart_app_version: str) -> ServerProcess:
    """The `mlflow` container of the chart's Deployment for `values` (Postgres backend, basic auth on)."""
    backend, root = values["backendStore"], values["artifactRoot"]
    pg = backend["postgres"]
    if not values.get("auth", {}).get("enabled") or not values["auth"].get("postgres", {}).get("enabled"):
        raise ValueError("auth: the program always runs basic auth on Postgres; this model covers only that")
    driver = f"+{pg['driver']}" if pg.get("driver") else ""
    argv = [
        "mlflow",
        "server",
        f"--host={SERVER_HOST}",
        f"--port={CONTAINER_PORT}",
        # libpq fills in host, port, database, user and password from PG* variables.
        f"--backend-store-uri=postgresql{driver}://",
        _artifact_argument(root),
    ]
    if root.get("proxiedArtifactStorage"):
        argv.append("--serve-artifacts")
    argv.append(f"--app-name={AUTH_APP_NAME}")
    extra_args = dict(values.get("extraArgs", {}))
    if "uvicornOpts" not in extra_args and "gunicornOpts" not in extra_args:
        # The chart quotes the value itself; with no shell in between, MLflow receives the quotes and shlex drops them.
        argv.append(f"--uvicorn-opts='--log-level={LOG_LEVEL}'")
    argv += [f"--{_kebab(key)}={value}" for key, value in extra_args.items()]

    # envFrom: the env ConfigMap (configmap.yaml).
    env: dict[str, str] = {
        "PGHOST": str(pg["host"]),
        "PGPORT": str(pg["port"]),
        "PGDATABASE": str(pg["database"]),
        "MLFLOW_CONFIGURE_LOGGING": "true",
        "MLFLOW_LOGGING_LEVEL": LOG_LEVEL.upper(),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        # The flask-server-secret-key Secret the chart generates at install (flask_secret.yaml): 32 random hex.
        "MLFLOW_FLASK_SERVER_SECRET_KEY": random_secrets.token_hex(16),
    }
    hosts = list(dict.fromkeys(values.get("serverAllowedHosts", [])))
    if hosts:
        env["MLFLOW_SERVER_ALLOWED_HOSTS"] = "*" if "*" in hosts else ",".join(hosts)
    # env: the container's own list, which wins over envFrom.
    container_env: list[dict[str, Any]] = [
        {"name": "MLFLOW_VERSION", "value": chart_app_version},
        {"name": "MLFLOW_AUTH_CONFIG_PATH", "value": AUTH_CONFIG_PATH},
    ]
    db_secret = backend.get("existingDatabaseSecret", {})
    if db_secret.get("name"):
        ref = {"name": db_secret["name"]}
        container_env += [
            {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {**ref, "key": db_secret["passwordKey"]}}},
            {"name": "PGUSER", "valueFrom": {"secretKeyRef": {**ref, "key": db_secret["usernameKey"]}}},
        ]
    s3 = root.get("s3", {})
    if s3.get("enabled") and s3.get("existingSecret", {}).get("name"):
        ref = {"name": s3["existingSecret"]["name"]}
        container_env += [
            {
                "name": "AWS_ACCESS_KEY_ID",
                "valueFrom": {"secretKeyRef": {**ref, "key": s3["existingSecret"]["keyOfAccessKeyId"]}},
            },
            {
                "name": "AWS_SECRET_ACCESS_KEY",
                "valueFrom": {"secretKeyRef": {**ref, "key": s3["existingSecret"]["keyOfSecretAccessKey"]}},
            },
        ]
    container_env += [{"name": k, "value": v} for k, v in values.get("extraEnvVars", {}).items()]
    env.update(resolve_env(container_env, secrets))
    return ServerProcess(argv=argv, env=env, auth_config=_auth_config(values, secrets))
