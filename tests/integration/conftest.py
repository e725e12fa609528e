"""The data scientist's path on real servers: Postgres and SeaweedFS, then MLflow started exactly as the pinned
chart starts it for the program's own values (`k8s_platform.mlflow.server_values` -> `rendered_server`)."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pulumi
import pytest
import yaml

from clouds.contract import ArtifactStore, ArtifactStoreKind, Database, S3Credentials
from clouds.local.foundation import ARTIFACT_BUCKET
from config.model import ObjectStore
from k8s_platform import mlflow
from k8s_platform.mlflow_server import Secrets, ServerProcess, rendered_server, resolve_env
from k8s_platform.object_store import AWS_ENV_KEYS
from tests.integration.servers import (
    ROOT,
    MlflowServer,
    Postgres,
    SeaweedFs,
    probe,
    run_container_command,
)

DB_USER, DB_PASSWORD, DB_NAME = "mlflow", "db-password-from-the-foundation", "mlflow"
ADMIN_PASSWORD = "generated-admin-password"
SCIENTIST = {"username": "data-scientist", "password": "scientist-password"}
"""The MLflow user whose credentials the example expects in the `mlflow-credentials` Secret."""
EXAMPLE = ROOT / "examples" / "training-workflow.yaml"


@dataclass
class Platform:
    postgres: Postgres
    s3: SeaweedFs
    mlflow: MlflowServer
    database: Database
    store: ArtifactStore
    secrets: Secrets
    values: dict[str, Any]

    def client_env(self, user: dict[str, str] | None = None) -> dict[str, str]:
        env = {"MLFLOW_TRACKING_URI": self.mlflow.url}
        if user:
            env |= {"MLFLOW_TRACKING_USERNAME": user["username"], "MLFLOW_TRACKING_PASSWORD": user["password"]}
        return env

    def s3_env(self) -> dict[str, str]:
        return {AWS_ENV_KEYS[0]: self.s3.access_key, AWS_ENV_KEYS[1]: self.s3.secret_key,
                "AWS_ENDPOINT_URL": self.s3.endpoint, "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip


def program_database(postgres: Postgres, password: str = DB_PASSWORD, port: int | None = None) -> Database:
    # ssl_mode stays the contract's default ("require"): the test server serves TLS like every stack's database.
    return Database(host="127.0.0.1", port=port or postgres.port, name=DB_NAME, user=DB_USER,
                    password=cast(pulumi.Output[str], password))  # fmt: skip


def program_store(s3: SeaweedFs) -> ArtifactStore:
    """The local stack's store, as clouds/local/storage.py describes it, at this test's endpoint."""
    keys = S3Credentials(cast(pulumi.Output[str], s3.access_key), cast(pulumi.Output[str], s3.secret_key))
    return ArtifactStore(
        kind=ArtifactStoreKind.S3_COMPATIBLE, bucket=ARTIFACT_BUCKET, prefix=ObjectStore().artifact_prefix,
        uri=cast(pulumi.Output[str], f"s3://{ARTIFACT_BUCKET}/{ObjectStore().artifact_prefix}"),
        region="us-east-1", endpoint_url=s3.endpoint, credentials=keys,
    )  # fmt: skip


def program_secrets(database: Database, s3: SeaweedFs) -> dict[str, dict[str, str]]:
    """The Secrets the Mlflow component creates, with this test's values."""
    return {
        mlflow.DATABASE_SECRET: cast(dict[str, str], mlflow.database_credentials(database)),
        mlflow.ADMIN_SECRET: cast(dict[str, str], mlflow.admin_credentials(ADMIN_PASSWORD)),
        mlflow.S3_CREDENTIALS_SECRET: dict(zip(AWS_ENV_KEYS, (s3.access_key, s3.secret_key), strict=True)),
    }


def chart_app_version() -> str:
    return mlflow.IMAGE.rsplit(":", 1)[1]


def server_process(values: dict[str, Any], secrets: Secrets) -> ServerProcess:
    return rendered_server(values, secrets, chart_app_version())


def run_init_containers(values: dict[str, Any], secrets: Secrets) -> None:
    """The program's own init containers (the auth schema), as the kubelet runs them before the server."""
    for container in values["initContainers"]:
        run_container_command(container["command"], resolve_env(container["env"], secrets))


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    root = tmp_path_factory.mktemp("mlflow-path")
    # Outside pytest's private (0700) temp root: the server runs as the `postgres` user when the test runs as root.
    pg_root = Path(tempfile.mkdtemp(prefix="mlops-postgres-"))
    pg_root.chmod(0o755)
    postgres, s3 = Postgres(pg_root), SeaweedFs(root / "s3")
    servers: list[Postgres | SeaweedFs | MlflowServer] = []
    try:
        # Each server is stopped at the end even when its own start fails half-way.
        servers.append(postgres)
        postgres.start()
        postgres.create_owner(DB_USER, DB_PASSWORD, DB_NAME)
        servers.append(s3)
        s3.start()
        database, store = program_database(postgres), program_store(s3)
        platform = Platform(postgres, s3, None, database, store, program_secrets(database, s3),  # type: ignore[arg-type]
                            mlflow.server_values(database, store, public_host=None))  # fmt: skip
        probe("make-bucket", ARTIFACT_BUCKET, env=platform.s3_env())
        run_init_containers(platform.values, platform.secrets)
        platform.mlflow = MlflowServer(server_process(platform.values, platform.secrets), root / "mlflow")
        servers.append(platform.mlflow)
        try:
            platform.mlflow.start()
        except AssertionError as e:
            raise AssertionError(f"{e}; server log:\n{platform.mlflow.log.read_text()[-4000:]}") from None
        admin = {"username": mlflow.ADMIN_USER, "password": ADMIN_PASSWORD}
        probe("create-user", SCIENTIST["username"], SCIENTIST["password"], env=platform.client_env(admin))
        yield platform
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(pg_root, ignore_errors=True)


@dataclass(frozen=True)
class Example:
    registered_model: str
    experiment: str
    python: str
    """The training program inside the workflow's shell script (its `python - <<'PY'` heredoc)."""
    pip_requirements: list[str]
    env: list[dict[str, Any]]


def training_example() -> Example:
    """examples/training-workflow.yaml as Argo would run it: parameters substituted into the script source."""
    workflow = yaml.safe_load(EXAMPLE.read_text())
    parameters = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
    template = next(t for t in workflow["spec"]["templates"] if t["name"] == workflow["spec"]["entrypoint"])
    source = re.sub(
        r"\{\{\s*inputs\.parameters\.([\w-]+)\s*\}\}", lambda m: parameters[m.group(1)], template["script"]["source"]
    )
    heredoc = re.search(r"python - <<'PY'\n(.*?)\n\s*PY\s*$", source, re.S)
    pip = re.search(r"pip install [^\n&]*", source)
    assert heredoc and pip, "examples/training-workflow.yaml: the script no longer has a pip line and a python heredoc"
    requirements = re.findall(r'"([^"]+)"', pip.group(0))
    experiment = re.search(r'mlflow\.set_experiment\("([^"]+)"\)', heredoc.group(1))
    assert experiment, "the example no longer names its experiment"
    return Example(parameters["registered-model"], experiment.group(1), heredoc.group(1), requirements,
                   template["script"]["env"])  # fmt: skip


@dataclass(frozen=True)
class Trained:
    example: Example
    output: str


@pytest.fixture(scope="session")
def trained(platform: Platform) -> Trained:
    """The example's training program, run once with the environment its container gets."""
    import subprocess

    from tests.integration.servers import base_env, integration_python

    example = training_example()
    secrets = {**platform.secrets, "mlflow-credentials": SCIENTIST}
    env = resolve_env(example.env, secrets)
    # The only cluster-specific value: the in-cluster Service URL becomes this test's server.
    env["MLFLOW_TRACKING_URI"] = platform.mlflow.url
    result = subprocess.run(
        [str(integration_python()), "-"], input=example.python, capture_output=True, text=True,
        env={**base_env(), **env}, cwd=Path(platform.mlflow.root), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, f"the example's training failed:\n{result.stderr[-4000:]}"
    return Trained(example, result.stdout)


def observe(platform: Platform, trained: Trained) -> dict[str, Any]:
    """What the scientist sees in MLflow and what lies in the bucket under the artifact prefix."""
    env = {**platform.client_env(SCIENTIST), **platform.s3_env()}
    args = (trained.example.experiment, trained.example.registered_model, str(platform.store.bucket))
    return cast(dict[str, Any], probe("state", *args, platform.store.prefix + "/", env=env))


@pytest.fixture(scope="session")
def state(platform: Platform, trained: Trained) -> dict[str, Any]:
    return observe(platform, trained)


def only_version(state: dict[str, Any]) -> dict[str, Any]:
    assert len(state["versions"]) == 1, state["versions"]
    return cast(dict[str, Any], state["versions"][0])


def artifact_key_prefix(platform: Platform, version: dict[str, Any]) -> str:
    """Where the proxied artifact location `mlflow-artifacts:/<path>` lives in the bucket: under the store's prefix."""
    location = version["artifact_location"]
    assert location.startswith("mlflow-artifacts:/"), f"artifacts are not proxied by the server: {location}"
    return f"{platform.store.prefix}/{location.removeprefix('mlflow-artifacts:/').strip('/')}"
