"""Machine facts and node allocatable per cloud, checked against the examples the clouds publish."""

from __future__ import annotations

import json

import pytest
import yaml

from clouds.machines import (
    MachineType,
    allocatable,
    kube_reserved_cpu_millicores,
    kube_reserved_memory_mib,
    machine_type,
)
from offline.harness import ROOT_DIR, stack_files


def _shape(cloud: str, vcpu: int, memory_gib: float, max_pods: int | None = None) -> MachineType:
    return MachineType(cloud, "test", vcpu, memory_gib, max_pods=max_pods)  # type: ignore[arg-type]


def test_eks_memory_reservation_is_11_mib_per_pod_plus_255() -> None:
    m6i_large = machine_type("aws", "m6i.large")
    assert m6i_large is not None and m6i_large.max_pods == 29
    assert kube_reserved_memory_mib(m6i_large) == 11 * 29 + 255


def test_aws_max_pods_follow_the_eni_formula_without_prefix_delegation() -> None:
    assert {name: machine_type("aws", name).max_pods for name in ("m6i.large", "m6i.xlarge", "t4g.medium")} == {  # type: ignore[union-attr]
        "m6i.large": 29,
        "m6i.xlarge": 58,
        "t4g.medium": 17,
    }


@pytest.mark.parametrize(("cores", "millicores"), [(1, 60), (2, 70), (4, 80), (8, 90), (16, 110)])
def test_gke_and_eks_cpu_reservation_follows_the_gke_ladder(cores: int, millicores: int) -> None:
    assert kube_reserved_cpu_millicores(_shape("gcp", cores, 16)) == millicores
    assert kube_reserved_cpu_millicores(_shape("aws", cores, 16, max_pods=58)) == millicores


@pytest.mark.parametrize(("cores", "millicores"), [(1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (64, 740)])
def test_aks_cpu_reservation_follows_microsofts_table(cores: int, millicores: int) -> None:
    assert kube_reserved_cpu_millicores(_shape("azure", cores, 16)) == millicores


def test_aks_memory_reservation_is_20_per_pod_plus_50_when_that_is_smaller() -> None:
    # Microsoft's example: 8 GB and 30 pods reserve 20 * 30 + 50 = 650.
    assert kube_reserved_memory_mib(_shape("azure", 2, 8, max_pods=30)) == 650


def test_aks_memory_reservation_is_capped_at_a_quarter_of_the_memory() -> None:
    # Microsoft's example: 4 GB and 70 pods reserve 25% (1000-ish) rather than 1450.
    assert kube_reserved_memory_mib(_shape("azure", 2, 4, max_pods=70)) == 1024


def test_gke_memory_reservation_is_tiered_by_memory_size() -> None:
    # 16 GiB: 25% of 4 GiB + 20% of 4 GiB + 10% of 8 GiB = 1024 + 819.2 + 819.2 MiB.
    assert kube_reserved_memory_mib(_shape("gcp", 4, 16)) == 2662


def test_allocatable_subtracts_reservations_and_the_100_mib_eviction_threshold() -> None:
    g5 = machine_type("aws", "g5.xlarge")
    assert g5 is not None
    assert allocatable(g5).memory_mib == 16 * 1024 - (11 * 58 + 255) - 100
    assert allocatable(g5).cpu_millicores == 4000 - 80


def test_gpu_machines_carry_their_gpu() -> None:
    l4, t4 = machine_type("gcp", "g2-standard-4"), machine_type("azure", "Standard_NC4as_T4_v3")
    assert l4 is not None and t4 is not None
    assert [(l4.gpus, l4.gpu_model), (t4.gpus, t4.gpu_model)] == [(1, "NVIDIA L4"), (1, "NVIDIA T4")]


def test_unknown_machine_type_has_no_facts() -> None:
    assert machine_type("aws", "x99.mega") is None
    assert machine_type("gcp", "m6i.large") is None


def _stack_pool_machines(stack: str) -> list[tuple[str, str]]:
    document = yaml.safe_load((ROOT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    values = {key.split(":", 1)[-1]: value for key, value in document.items()}
    pools = values.get("nodePools") or {}
    if isinstance(pools, str):
        pools = json.loads(pools)
    return [(values["cloud"], name) for pool in pools.values() for name in pool.get("machineTypes", [])]


@pytest.mark.parametrize("stack", stack_files())
def test_every_machine_type_a_stack_file_names_is_known(stack: str) -> None:
    assert [m for m in _stack_pool_machines(stack) if machine_type(*m) is None] == []
