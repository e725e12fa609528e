"""KServe serves models as raw Deployments behind the Gateway API, pulling them with workload identity."""

from __future__ import annotations

import json

import pytest

from clouds.contract import Workloads
from clouds.machines import largest_pod, machine_type
from config.model import GPU_TAINT, Environment
from k8s_platform.priorities import PLATFORM_CRITICAL
from offline.harness import stack_file_config
from tests.conftest import stack_run
from tests.k8s_platform.contracts import AKS_SPOT_TOLERATION, gcp_identities, platform_run
from tests.k8s_platform.helpers import custom_resources, values


def test_kserve_runs_in_standard_raw_deployment_mode() -> None:
    controller = values(platform_run("aws-karpenter"), "kserve")["kserve"]["controller"]
    assert controller["deploymentMode"] == "Standard"


def test_kserve_routes_through_the_platform_gateway() -> None:
    gateway = values(stack_run("dev-local"), "kserve")["kserve"]["controller"]["gateway"]["ingressGateway"]
    assert gateway == {
        "enableGatewayApi": True,
        "kserveGateway": "envoy-gateway-system/platform",
        "createGateway": False,
    }


def test_model_server_account_carries_the_workload_identity() -> None:
    account = next(
        a
        for a in platform_run("gcs-nap").of_type("kubernetes:core/v1:ServiceAccount")
        if a.get("metadata.name") == Workloads.KSERVE_INFERENCE.service_account
    )
    assert account.get("metadata.namespace") == Workloads.KSERVE_INFERENCE.namespace
    assert (
        account.get("metadata.annotations")
        == gcp_identities()[Workloads.KSERVE_INFERENCE.name].service_account_annotations
    )


def test_serving_runtimes_cover_sklearn_xgboost_and_huggingface() -> None:
    runtimes = custom_resources(stack_run("dev-local"), "ClusterServingRuntime")
    formats = {r.get("spec.supportedModelFormats.0.name") for r in runtimes}
    assert formats == {"sklearn", "xgboost", "huggingface"}


def test_gpu_runtime_requests_a_gpu_and_tolerates_the_gpu_taint() -> None:
    runtime = next(
        r for r in custom_resources(stack_run("dev-local"), "ClusterServingRuntime") if "gpu" in r.get("metadata.name")
    )
    assert runtime.get("spec.containers.0.resources.limits")["nvidia.com/gpu"] == "1"
    assert {"key": GPU_TAINT.key, "operator": "Exists", "effect": "NoSchedule"} in runtime.get("spec.tolerations")


def test_gpu_runtime_tolerates_the_clouds_own_spot_taint() -> None:
    runtime = next(
        r
        for r in custom_resources(platform_run("azure-blob-keda-addon"), "ClusterServingRuntime")
        if "gpu" in r.get("metadata.name")
    )
    assert AKS_SPOT_TOLERATION in runtime.get("spec.tolerations")


def test_local_model_pulls_use_the_in_cluster_store_keys_and_plain_http_endpoint() -> None:
    run = stack_run("dev-local")
    endpoint = values(run, "mlflow")["extraEnvVars"]["MLFLOW_S3_ENDPOINT_URL"]
    secret = next(s for s in run.of_type("kubernetes:core/v1:Secret") if s.get("metadata.name") == "model-storage-s3")
    assert set(secret.inputs["stringData"]) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    # KServe's storage initializer wants host:port plus a separate "no TLS" flag, not a URL.
    assert secret.get("metadata.annotations") == {
        "serving.kserve.io/s3-endpoint": endpoint.removeprefix("http://"),
        "serving.kserve.io/s3-usehttps": "0",
    }
    (account,) = [a for a in run.of_type("kubernetes:core/v1:ServiceAccount") if a.name == "model-server"]
    assert account.inputs["secrets"] == [{"name": "model-storage-s3"}]


def _quantity_mib(quantity: str) -> int:
    return int(quantity.removesuffix("Mi"))


@pytest.mark.parametrize("stack", ["dev-aws", "dev-azure", "dev-gcp"])
def test_gpu_runtime_fits_every_machine_type_of_the_stacks_gpu_pool(stack: str) -> None:
    run = stack_run(stack)
    runtime = next(r for r in custom_resources(run, "ClusterServingRuntime") if "gpu" in r.get("metadata.name"))
    requests = runtime.get("spec.containers.0.resources.requests")
    config, _ = stack_file_config(stack)
    cloud = config["mlops-platform:cloud"]
    pool = json.loads(config["mlops-platform:nodePools"])["gpuSpot"]["machineTypes"]
    for name in pool:
        room = largest_pod(machine_type(cloud, name))  # type: ignore[arg-type]
        assert int(requests["cpu"].removesuffix("m")) <= room.cpu_millicores, name
        assert _quantity_mib(requests["memory"]) <= room.memory_mib, name


def test_gpu_runtime_runs_only_on_spot_capacity() -> None:
    runtime = next(
        r for r in custom_resources(stack_run("dev-gcp"), "ClusterServingRuntime") if "gpu" in r.get("metadata.name")
    )
    terms = runtime.get("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")
    spot_labels = {(t["matchExpressions"][0]["key"], t["matchExpressions"][0]["values"][0]) for t in terms}
    assert spot_labels == {
        ("karpenter.sh/capacity-type", "spot"),
        ("kubernetes.azure.com/scalesetpriority", "spot"),
        ("cloud.google.com/gke-spot", "true"),
    }


def test_kserve_controller_runs_at_platform_priority() -> None:
    (patch,) = platform_run("aws-karpenter").of_type("kubernetes:apps/v1:DeploymentPatch")
    assert patch.get("metadata.name") == "kserve-controller-manager"
    assert patch.get("spec.template.spec.priorityClassName") == PLATFORM_CRITICAL


def test_kserve_controller_is_replicated_under_a_budget_outside_dev() -> None:
    run = platform_run("aws-karpenter", environment=Environment.PROD)
    (patch,) = run.of_type("kubernetes:apps/v1:DeploymentPatch")
    budgets = [p for p in run.of_type("kubernetes:policy/v1:PodDisruptionBudget") if "kserve" in p.name]
    assert patch.get("spec.replicas") == 2
    assert [b.get("spec.selector.matchLabels") for b in budgets] == [{"control-plane": "kserve-controller-manager"}]
