"""clouds/azure/capacity.py: the system pool and the spot pools that scale from zero."""

import pytest

from clouds.azure.capacity import aks_taint
from clouds.contract import GPU_NODE_LABEL
from config.model import Taint, TaintEffect
from offline.harness import StackRun

POOL = "azure-native:containerservice:AgentPool"


def test_system_pool_is_on_demand_and_reserved_for_critical_addons(azure: StackRun) -> None:
    (system,) = azure.one("azure-native:containerservice:ManagedCluster").inputs["agentPoolProfiles"]
    assert system["mode"] == "System"
    assert "scaleSetPriority" not in system
    assert system["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]


@pytest.mark.parametrize("pool", ["cpuspot", "gpuspot"])
def test_spot_pools_autoscale_from_zero_and_are_deleted_on_eviction(azure: StackRun, pool: str) -> None:
    inputs = azure.one(POOL, pool).inputs
    assert (inputs["mode"], inputs["scaleSetPriority"], inputs["scaleSetEvictionPolicy"]) == ("User", "Spot", "Delete")
    assert inputs["spotMaxPrice"] == -1
    assert (inputs["enableAutoScaling"], inputs["minCount"], inputs["count"]) == (True, 0, 0)


def test_gpu_pool_is_tainted_and_gets_the_nvidia_driver(azure: StackRun) -> None:
    gpu = azure.one(POOL, "gpuspot").inputs
    assert gpu["vmSize"] == "Standard_NC4as_T4_v3"
    assert "nvidia.com/gpu=present:NoSchedule" in gpu["nodeTaints"]
    assert gpu["gpuProfile"] == {"driver": "Install"}


def test_gpu_nodes_carry_the_label_the_device_plugin_selects(azure: StackRun) -> None:
    labels = azure.one(POOL, "gpuspot").inputs["nodeLabels"]
    assert labels.items() >= {"accelerator": "nvidia-t4", **GPU_NODE_LABEL}.items()


def test_the_autoscaler_owns_node_counts_after_creation(azure: StackRun) -> None:
    pools = azure.of_type(POOL)
    assert len(pools) == 2
    assert all(pool.options["ignoreChanges"] == ["count"] for pool in pools)
    cluster = azure.one("azure-native:containerservice:ManagedCluster")
    assert cluster.options["ignoreChanges"] == ["agentPoolProfiles[0].count"]


def test_aks_taints_keep_the_kubernetes_effect_spelling() -> None:
    assert aks_taint(Taint(key="team", value="vision", effect=TaintEffect.NO_EXECUTE)) == "team=vision:NoExecute"


@pytest.mark.parametrize("pool", ["cpuspot", "gpuspot"])
def test_spot_pools_declare_the_taint_and_label_aks_adds_so_refresh_sees_no_drift(azure: StackRun, pool: str) -> None:
    inputs = azure.one(POOL, pool).inputs
    assert "kubernetes.azure.com/scalesetpriority=spot:NoSchedule" in inputs["nodeTaints"]
    assert inputs["nodeLabels"]["kubernetes.azure.com/scalesetpriority"] == "spot"


def _all_pools(run: StackRun) -> list[dict]:  # type: ignore[type-arg]
    (system,) = run.one("azure-native:containerservice:ManagedCluster").inputs["agentPoolProfiles"]
    return [system, *(pool.inputs for pool in run.of_type(POOL))]


def test_production_pools_encrypt_at_host_and_spread_over_three_zones(prod_azure: StackRun) -> None:
    pools = _all_pools(prod_azure)
    assert len(pools) == 3
    assert all(pool["enableEncryptionAtHost"] is True for pool in pools)
    assert all(pool["availabilityZones"] == ["1", "2", "3"] for pool in pools)


def test_dev_pools_are_not_pinned_to_zones(azure: StackRun) -> None:
    assert not [pool for pool in _all_pools(azure) if "availabilityZones" in pool]
