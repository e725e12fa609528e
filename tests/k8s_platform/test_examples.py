"""The examples a data scientist starts from use the accounts, namespaces and runtimes the platform creates."""

from __future__ import annotations

from pathlib import Path

import yaml

from clouds.contract import Workloads
from k8s_platform.kserve import RUNTIMES
from k8s_platform.mlflow import in_cluster_url

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text())


def test_example_model_is_served_by_the_identity_bound_model_server_account() -> None:
    isvc = _load("inference-service.yaml")
    assert isvc["metadata"]["namespace"] == Workloads.KSERVE_INFERENCE.namespace
    assert isvc["spec"]["predictor"]["serviceAccountName"] == Workloads.KSERVE_INFERENCE.service_account


def test_example_model_uses_a_platform_serving_runtime() -> None:
    model = _load("inference-service.yaml")["spec"]["predictor"]["model"]
    runtime = next(r for r in RUNTIMES if r.name == model["runtime"])
    assert runtime.model_format == model["modelFormat"]["name"]


def test_example_workflow_runs_as_the_pipeline_account_and_logs_to_mlflow() -> None:
    workflow = _load("training-workflow.yaml")
    assert workflow["metadata"]["namespace"] == Workloads.ARGO_WORKFLOWS.namespace
    assert workflow["spec"]["serviceAccountName"] == Workloads.ARGO_WORKFLOWS.service_account
    env = {e["name"]: e.get("value") for e in workflow["spec"]["templates"][0]["script"]["env"]}
    assert env["MLFLOW_TRACKING_URI"] == in_cluster_url()
