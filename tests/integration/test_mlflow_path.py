"""The data scientist's path, run for real: the example trains and registers a model on the MLflow server the chart
runs for the program's values, the artifacts land in the bucket, and the serving runtime loads and predicts."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from packaging.requirements import Requirement

from k8s_platform import mlflow
from k8s_platform.kserve import RUNTIMES
from tests.integration.conftest import (
    SCIENTIST,
    Platform,
    Trained,
    artifact_key_prefix,
    observe,
    only_version,
    training_example,
)
from tests.integration.servers import (
    base_env,
    free_port,
    http_status,
    integration_python,
    probe,
    resident_mib,
    stop,
    wait_until,
)

POD_IP = "10.244.0.17"
"""Prometheus addresses a scrape to the pod: Host is `<podIP>:<port>`."""
SKLEARN_RUNTIME = next(r for r in RUNTIMES if r.name == "mlops-sklearn")


def installed_version(package: str) -> str:
    result = subprocess.run(
        [str(integration_python()), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.strip()


def test_the_integration_server_is_the_charts_mlflow_image_version() -> None:
    assert installed_version("mlflow") == mlflow.IMAGE.rsplit(":", 1)[1]


def test_the_integration_scikit_learn_is_what_the_runtime_loads_and_the_example_trains_with() -> None:
    sklearn = installed_version("scikit-learn")
    assert sklearn in Requirement(SKLEARN_RUNTIME.train_with).specifier
    example_pin = next(r for r in map(Requirement, training_example().pip_requirements) if r.name == "scikit-learn")
    assert sklearn in example_pin.specifier, f"the example installs {example_pin}, the runtime loads {sklearn}"


def test_example_training_logs_a_finished_run_with_its_parameter_and_accuracy(state: dict[str, Any]) -> None:
    runs = state["runs"]
    assert [(r["status"], r["params"]) for r in runs] == [("FINISHED", {"max_iter": "200"})]
    assert runs[0]["metrics"]["accuracy"] > 0.9


def test_example_training_registers_a_ready_model_version(state: dict[str, Any]) -> None:
    version = only_version(state)
    assert (version["version"], version["status"]) == ("1", "READY")


def test_model_files_are_in_the_bucket_under_the_artifact_prefix(platform: Platform, state: dict[str, Any]) -> None:
    prefix = artifact_key_prefix(platform, only_version(state))
    keys = [k for k in state["objects"] if k.startswith(prefix + "/")]
    assert {"MLmodel", "model.pkl", "requirements.txt"} <= {k.rsplit("/", 1)[-1] for k in keys}, keys


def test_a_client_without_credentials_is_refused(platform: Platform, trained: Trained) -> None:
    assert http_status(f"{platform.mlflow.url}/api/2.0/mlflow/experiments/search?max_results=1") == 401


def test_a_client_with_a_wrong_password_is_refused(platform: Platform, trained: Trained) -> None:
    with pytest.raises(AssertionError, match=r"401|Unauthorized|credentials"):
        probe("runs", trained.example.experiment, env=platform.client_env({**SCIENTIST, "password": "wrong"}))


@pytest.fixture(scope="module")
def metrics_sidecar(platform: Platform) -> Iterator[str]:
    """The program's metrics sidecar, on the pod's /tmp (the server's multiprocess files) and a loopback port."""
    container = mlflow.metrics_exporter_container()
    port = free_port()
    local_tmp = str(platform.mlflow.root / "pod-tmp")
    command = [a.replace("/tmp", local_tmp) if a == mlflow.METRICS_DIR else a for a in container["command"]]
    command = [str(port) if a == str(mlflow.METRICS_PORT) else a for a in command]
    process = subprocess.Popen([str(integration_python()), *command[1:]], env=base_env(), start_new_session=True)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_until(lambda: http_status(url) == 200, "metrics sidecar", process, 60)
        yield url
    finally:
        stop(process)


def test_metrics_are_scraped_from_the_pod_address_without_credentials(
    platform: Platform, trained: Trained, metrics_sidecar: str
) -> None:
    request = urllib.request.Request(metrics_sidecar, headers={"Host": f"{POD_IP}:{mlflow.METRICS_PORT}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
    assert "mlflow_http_request_total" in body


def test_the_servers_own_metrics_endpoint_is_closed_to_an_anonymous_scrape(platform: Platform) -> None:
    """Why the sidecar exists: basic auth guards /metrics and the allowed hosts reject the pod address."""
    host = f"{POD_IP}:{mlflow.CONTAINER_PORT}"
    assert http_status(f"{platform.mlflow.url}/metrics", {"Host": host}) in (401, 403)


def storage_initializer_env(platform: Platform) -> dict[str, str]:
    """The storage initializer's environment for the `model-server` account's S3 Secret (k8s_platform/kserve.py:
    keys plus the s3-endpoint and s3-usehttps=0 annotations), as KServe v0.20.0 builds it
    (pkg/credentials/s3/s3_secret.go BuildSecretEnvs, utils.go BuildS3EnvVars/getEndpointConfiguration)."""
    endpoint = platform.s3.endpoint.removeprefix("http://")
    keys = platform.secrets[mlflow.S3_CREDENTIALS_SECRET]
    return {**keys, "S3_USE_HTTPS": "0", "S3_ENDPOINT": endpoint, "AWS_ENDPOINT_URL": f"http://{endpoint}"}


def test_registered_model_loads_in_the_serving_runtime_and_predicts(
    platform: Platform, state: dict[str, Any], tmp_path: Path
) -> None:
    prefix = artifact_key_prefix(platform, only_version(state))
    storage_uri = f"s3://{platform.store.bucket}/{prefix}"
    answer = cast(dict[str, Any], probe("serve", storage_uri, str(tmp_path / "mnt-models"),
                                        env=storage_initializer_env(platform)))  # fmt: skip
    assert "error" not in answer, answer
    assert answer["sklearn"] in Requirement(SKLEARN_RUNTIME.train_with).specifier
    assert len(answer["predictions"]) == 3 and set(answer["predictions"]) <= {0, 1, 2}


def test_the_server_fits_in_its_containers_memory_limit(platform: Platform) -> None:
    limit = mlflow.RESOURCES["limits"]["memory"]
    assert limit.endswith("Gi")
    assert platform.mlflow.process is not None
    used = resident_mib(platform.mlflow.process.pid)
    assert used < float(limit.removesuffix("Gi")) * 1024, f"MLflow uses {used:.0f} MiB resident, its limit is {limit}"


def test_auth_store_tables_live_in_their_own_schema(platform: Platform) -> None:
    schemas = platform.postgres.psql(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'users'", database="mlflow"
    )
    assert schemas == mlflow.AUTH_SCHEMA, (
        "MLflow's auth tables are not in their own schema: auth.postgres.database must end in "
        f"?options=-csearch_path={mlflow.AUTH_SCHEMA} (k8s_platform/mlflow.py server_values)"
    )


def test_restarting_the_server_keeps_users_runs_and_models(
    platform: Platform, trained: Trained, state: dict[str, Any]
) -> None:
    platform.mlflow.stop()
    platform.mlflow.start()
    # The scientist's login still works (users are in Postgres), and the run and the model are still there.
    after = observe(platform, trained)
    assert [r["run_id"] for r in after["runs"]] == [r["run_id"] for r in state["runs"]]
    assert [v["version"] for v in after["versions"]] == ["1"]
