"""Node pools: an on-demand system pool, and spot CPU/GPU pools that scale from zero."""

from __future__ import annotations

from offline.harness import DeclaredResource
from tests.conftest import stack_run

NODE_POOL = "gcp:container/nodePool:NodePool"


def pool(name: str) -> DeclaredResource:
    return stack_run("dev-gcp").one(NODE_POOL, f"node-pools-{name}")


def test_gpu_pool_is_spot_tainted_and_scales_from_zero() -> None:
    gpu = pool("gpu-spot").inputs
    assert gpu["nodeConfig"]["spot"] is True
    assert gpu["nodeConfig"]["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert gpu["autoscaling"]["totalMinNodeCount"] == 0
    assert gpu["autoscaling"]["totalMaxNodeCount"] == 2
    assert gpu["initialNodeCount"] == 0


def test_gke_installs_the_gpu_driver_on_gpu_nodes() -> None:
    (accelerator,) = pool("gpu-spot").inputs["nodeConfig"]["guestAccelerators"]
    assert accelerator == {
        "type": "nvidia-l4",
        "count": 1,
        "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"},
    }


def test_cpu_spot_pool_scales_from_zero_without_taints() -> None:
    cpu = pool("cpu-spot").inputs
    assert cpu["nodeConfig"]["spot"] is True
    assert cpu["nodeConfig"]["taints"] == []
    assert cpu["autoscaling"]["totalMinNodeCount"] == 0


def test_system_pool_is_on_demand_and_never_empty() -> None:
    system = pool("system").inputs
    assert system["nodeConfig"]["spot"] is False
    assert system["autoscaling"]["totalMinNodeCount"] >= 1
    assert system["nodeConfig"]["machineType"] == "e2-standard-2"


def test_every_pool_is_auto_repaired_upgraded_and_uses_the_gke_metadata_server() -> None:
    for name in ("system", "cpu-spot", "gpu-spot"):
        inputs = pool(name).inputs
        assert inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
        assert inputs["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}


def test_dev_system_pool_stays_in_one_zone_so_idle_it_holds_one_node() -> None:
    system = pool("system").inputs
    assert system["nodeLocations"] == ["europe-west4-a"]
    assert system["initialNodeCount"] == 1


def test_spot_pools_use_every_cluster_zone() -> None:
    assert "nodeLocations" not in pool("cpu-spot").inputs
    assert "nodeLocations" not in pool("gpu-spot").inputs
