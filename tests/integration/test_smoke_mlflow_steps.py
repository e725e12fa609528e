"""The smoke test's MLflow steps (smoke/mlflow_steps.py, REST only) against the integration test's real server."""

from __future__ import annotations

from typing import Any

import pytest

from k8s_platform import mlflow
from smoke.cli import storage_uri_of
from smoke.mlflow_steps import MlflowClient, MlflowSteps
from smoke.report import CheckError
from tests.integration.conftest import ADMIN_PASSWORD, SCIENTIST, Platform, Trained, artifact_key_prefix, only_version


def admin(platform: Platform) -> MlflowClient:
    return MlflowClient(platform.mlflow.url, mlflow.ADMIN_USER, ADMIN_PASSWORD)


def test_the_smoke_steps_log_a_run_and_register_a_model(platform: Platform) -> None:
    steps = MlflowSteps(admin(platform), name="smoke-logged")
    assert steps.answers() == "healthy; anonymous requests refused"
    assert "metric and artifact stored" in steps.log_run()
    assert steps.register_model().endswith("READY")


def test_the_smoke_clean_up_deletes_its_experiment_and_model(platform: Platform) -> None:
    client = admin(platform)
    steps = MlflowSteps(client, name="smoke-cleaned")
    steps.log_run()
    steps.register_model()
    steps.clean_up()
    experiment = client.call("GET", f"/api/2.0/mlflow/experiments/get?experiment_id={steps.experiment_id}")
    assert experiment["experiment"]["lifecycle_stage"] == "deleted"
    assert client.request("GET", "/api/2.0/mlflow/registered-models/get?name=smoke-cleaned")[0] == 404


def test_keep_leaves_the_smoke_model_for_debugging(platform: Platform) -> None:
    client = admin(platform)
    steps = MlflowSteps(client, name="smoke-kept", keep=True)
    steps.log_run()
    steps.register_model()
    assert "--keep" in steps.clean_up()
    assert client.request("GET", "/api/2.0/mlflow/registered-models/get?name=smoke-kept")[0] == 200


def test_a_wrong_password_fails_the_smoke_step_with_the_servers_answer(platform: Platform) -> None:
    steps = MlflowSteps(MlflowClient(platform.mlflow.url, SCIENTIST["username"], "wrong"), name="smoke-denied")
    with pytest.raises(CheckError, match="HTTP 401"):
        steps.log_run()


def test_the_smoke_finds_the_example_models_files_where_the_runtime_downloads_them(
    platform: Platform, trained: Trained, state: dict[str, Any]
) -> None:
    version = only_version(state)
    root = f"s3://{platform.store.bucket}/{platform.store.prefix}"
    expected = f"s3://{platform.store.bucket}/{artifact_key_prefix(platform, version)}"
    assert storage_uri_of(admin(platform), version["source"], root) == expected
