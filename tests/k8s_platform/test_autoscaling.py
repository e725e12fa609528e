"""Node and pod autoscaling follow the contract: Karpenter pools on AWS, KEDA only where the cloud lacks it."""

from __future__ import annotations

from clouds.contract import Workloads
from tests.conftest import stack_run
from tests.k8s_platform.contracts import aws_identities, platform_run
from tests.k8s_platform.helpers import custom_resources, release_names, values


def _pool(name: str) -> dict:
    return next(
        p.inputs["spec"]
        for p in custom_resources(platform_run("aws-karpenter"), "NodePool")
        if p.get("metadata.name") == name
    )


def test_gpu_pool_is_tainted_and_scales_to_zero() -> None:
    gpu = _pool("gpu-spot")
    assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"} in gpu["template"]["spec"]["taints"]
    assert gpu["limits"]["nvidia.com/gpu"] == "4"  # maxSize 4 x 1 GPU
    assert gpu["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"


def test_node_pools_run_on_spot_and_expire() -> None:
    for name in ("cpu-spot", "gpu-spot"):
        spec = _pool(name)["template"]["spec"]
        assert {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]} in spec["requirements"]
        assert spec["expireAfter"] == "720h"


def test_cpu_pool_is_capped_by_its_max_size() -> None:
    assert _pool("cpu-spot")["limits"] == {"cpu": "40"}  # 10 x xlarge (4 vCPU)


def test_node_classes_use_the_contracts_role_ami_and_discovery_tag() -> None:
    node_classes = custom_resources(platform_run("aws-karpenter"), "EC2NodeClass")
    assert len(node_classes) == 2
    for node_class in node_classes:
        spec = node_class.inputs["spec"]
        assert spec["role"] == "mlops-dev-karpenter-node"
        assert spec["amiSelectorTerms"] == [{"alias": "al2023@v20261101"}]
        assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "mlops-dev"}}]


def test_each_spot_pool_launches_nodes_with_its_own_disk_size() -> None:
    run = platform_run("aws-karpenter")
    classes = {c.inputs["metadata"]["name"]: c.inputs["spec"] for c in custom_resources(run, "EC2NodeClass")}
    for pool in custom_resources(run, "NodePool"):
        ref = pool.inputs["spec"]["template"]["spec"]["nodeClassRef"]["name"]
        assert ref == pool.inputs["metadata"]["name"]
    sizes = {name: spec["blockDeviceMappings"][0]["ebs"]["volumeSize"] for name, spec in classes.items()}
    assert sizes["cpu-spot"] != sizes["gpu-spot"], "the two pools' diskSizeGb differ in this contract"


def test_karpenter_knows_its_cluster_and_interruption_queue() -> None:
    settings = values(platform_run("aws-karpenter"), "karpenter")["settings"]
    assert settings["clusterName"] == "mlops-dev"
    assert settings["interruptionQueue"] == "mlops-dev-karpenter"


def test_karpenter_service_account_carries_the_workload_identity() -> None:
    account = values(platform_run("aws-karpenter"), "karpenter")["serviceAccount"]
    assert account["annotations"] == aws_identities()[Workloads.KARPENTER.name].service_account_annotations


def test_no_karpenter_where_the_cloud_provisions_nodes() -> None:
    run = platform_run("gcs-nap")
    assert "karpenter" not in release_names(run)
    assert not custom_resources(run, "NodePool")


def test_keda_chart_is_skipped_where_the_cloud_runs_the_addon() -> None:
    assert "keda" not in release_names(platform_run("azure-blob-keda-addon"))


def test_keda_chart_is_installed_where_the_contract_asks_for_helm() -> None:
    assert "keda" in release_names(stack_run("dev-local"))


def test_gpu_device_plugin_is_skipped_where_the_cloud_manages_it() -> None:
    names = release_names(platform_run("gcs-nap"))
    assert not {"nvidia-device-plugin", "dcgm-exporter"} & names


def test_gpu_daemons_tolerate_the_gpu_taint() -> None:
    run = platform_run("aws-karpenter")
    toleration = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    assert toleration in values(run, "nvidia-device-plugin")["tolerations"]
    assert toleration in values(run, "dcgm-exporter")["tolerations"]


def test_gpu_nodes_get_the_label_the_gpu_daemons_select() -> None:
    labels = _pool("gpu-spot")["template"]["metadata"]["labels"]
    assert labels["nvidia.com/gpu.present"] == "true"
    assert values(platform_run("aws-karpenter"), "dcgm-exporter")["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
