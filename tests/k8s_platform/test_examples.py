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


def test_example_workflow_trains_with_the_library_version_the_serving_runtime_loads() -> None:
    # The example model is served by the runtime the example InferenceService names: a pickle from a newer
    # scikit-learn than the runtime's may not load, so the training step pins the runtime's version.
    runtime_name = _load("inference-service.yaml")["spec"]["predictor"]["model"]["runtime"]
    runtime = next(r for r in RUNTIMES if r.name == runtime_name)
    script = _load("training-workflow.yaml")["spec"]["templates"][0]["script"]["source"]
    assert runtime.train_with and f'"{runtime.train_with}"' in script


def test_example_workflow_script_runs_as_a_file_not_as_a_command_string() -> None:
    # Argo appends the path of the file holding `source` to `command`; `sh -c <path>` would treat it as a command.
    script = _load("training-workflow.yaml")["spec"]["templates"][0]["script"]
    assert script["command"] == ["sh"]
