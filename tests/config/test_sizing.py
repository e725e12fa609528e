"""config/stack.py: the GPU model runtime must fit the GPU pool's machines, on every cloud."""

from __future__ import annotations

from typing import Any

from config import ConfigError, parse_stack_config

SOURCE = "Pulumi.test.yaml"


def gpu_problems(cloud: str, gpu_machine_types: list[str], **extra: Any) -> list[str]:
    raw = {"cloud": cloud, "nodePools": {"gpuSpot": {"machineTypes": gpu_machine_types}}, **extra}
    try:
        parse_stack_config(raw, SOURCE)
    except ConfigError as error:
        return [str(p) for p in error.problems if "nodePools.gpuSpot.machineTypes" in str(p)]
    return []


def test_a_gpu_pool_too_small_for_the_gpu_runtime_is_refused() -> None:
    # A g4dn.xlarge has 16 GiB, but a 2 vCPU GPU machine leaves too little CPU; t4g.small stands in for it.
    messages = gpu_problems("aws", ["g5.xlarge", "t4g.small"])
    assert any("the GPU runtime needs at least 2000m / 8192Mi" in message for message in messages), messages


def test_a_gpu_machine_type_without_facts_is_refused() -> None:
    (message,) = gpu_problems("aws", ["p9.mega"])
    assert "clouds/machines.py does not know" in message


def test_gpu_pools_of_the_shipped_stacks_fit_the_runtime() -> None:
    assert gpu_problems("aws", ["g5.xlarge", "g6.xlarge"]) == []


def test_without_kserve_the_gpu_pool_is_not_sized() -> None:
    assert gpu_problems("aws", ["p9.mega"], components={"kserve": {"enabled": False}}) == []


def local_problems(**settings: Any) -> list[str]:
    try:
        parse_stack_config({"cloud": "local", **settings}, SOURCE)
    except ConfigError as error:
        return [str(p) for p in error.problems]
    return []


def test_local_refuses_argocd_high_availability() -> None:
    (message,) = local_problems(components={"argocd": {"highAvailability": True}})
    assert message.startswith("mlops-platform:components.argocd.highAvailability: needs 3+ nodes")


def test_local_refuses_publishing_uis_with_lets_encrypt() -> None:
    dns = {
        "domain": "ml.example.com",
        "acmeEmail": "ops@example.com",
        "sso": {"issuer": "https://login.example.com", "clientId": "mlops"},
    }
    (message,) = local_problems(dns=dns)
    assert "HTTP-01" in message and message.startswith("mlops-platform:dns.sso:")


def test_the_shipped_local_stack_fits_one_node() -> None:
    assert local_problems() == []


def test_an_aws_system_pool_type_without_machine_facts_is_refused_before_anything_is_declared() -> None:
    raw = {
        "cloud": "aws",
        "nodePools": {"system": {"machineTypes": ["m9z.huge"]}},
        "cluster": {"endpointAllowList": ["93.184.216.0/24"]},
    }
    try:
        parse_stack_config(raw, SOURCE)
    except ConfigError as error:
        messages = [str(p) for p in error.problems]
    else:
        messages = []
    assert any("nodePools.system.machineTypes" in m and "pod density" in m for m in messages), messages
