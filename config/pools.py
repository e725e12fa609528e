"""Node pools against the machine-type facts of `clouds/machines.py`: a type of another cloud, a GPU pool
without a GPU, a GPU count the machine does not have. Checked for every cloud in one place."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.stack import StackConfig

CLOUD_NAMES = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}
ARTICLES = {"aws": "an", "azure": "an", "gcp": "a"}
EXAMPLES = {
    "aws": ("an EC2 instance type", "m6i.large", "g5.xlarge"),
    "azure": ("an Azure VM size", "Standard_D4ds_v5", "Standard_NC4as_T4_v3"),
    "gcp": ("a Compute Engine machine type", "e2-standard-4", "g2-standard-4"),
}
# How each cloud spells its machine types; a name of another cloud's shape is a copy-paste from its stack.
SHAPES = {
    "aws": re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$"),
    "azure": re.compile(r"^Standard_[A-Za-z0-9_]+$"),
    "gcp": re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]+$"),
}


def machine_type_problems(stack: StackConfig) -> list[tuple[str, str]]:
    # Imported here: `clouds` imports `config`, so a module-level import would be circular.
    from clouds.machines import machine_type

    cloud = stack.cloud.cloud
    if cloud not in SHAPES:
        return []  # a local cluster's nodes are whatever the user runs
    kind, example, gpu_example = EXAMPLES[cloud]
    problems: list[tuple[str, str]] = []
    pools = stack.node_pools
    for key, pool in (("system", pools.system), ("cpuSpot", pools.cpu_spot), ("gpuSpot", pools.gpu_spot)):
        for index, name in enumerate(pool.machine_types):
            where = f"nodePools.{key}.machineTypes.{index}"
            known = machine_type(cloud, name)
            if known is None and cloud == "aws" and key == "system" and SHAPES[cloud].match(name):
                # The system group's max pods come from the type's ENI limits (prefix delegation), so it must be known.
                problems.append(
                    (
                        where,
                        f"{name!r} is not in clouds/machines.py; the system node group's pod density needs its facts",
                    )
                )
                continue
            if known is None:
                others = [c for c in SHAPES if c != cloud and (machine_type(c, name) or SHAPES[c].match(name))]
                if others and not SHAPES[cloud].match(name):
                    other = others[0]
                    instead = gpu_example if key == "gpuSpot" else example
                    problems.append(
                        (
                            where,
                            f"{name!r} is {ARTICLES[other]} {CLOUD_NAMES[other]} machine type; "
                            f"on {CLOUD_NAMES[cloud]} use {kind} such as {instead}",
                        )
                    )
                continue
            if key == "gpuSpot" and known.gpus == 0 and not (cloud == "gcp" and name.startswith("n1-")):
                # GCP's N1 shapes take attached GPUs (`gpuType`, `gpusPerNode`) instead of built-in ones.
                problems.append(
                    (where, f"{name!r} has no GPU; the GPU pool needs a GPU machine type such as {gpu_example}")
                )
            elif key == "gpuSpot" and known.gpus and known.gpus != pools.gpu_spot.gpus_per_node:
                problems.append(
                    (
                        "nodePools.gpuSpot.gpusPerNode",
                        f"got {pools.gpu_spot.gpus_per_node}; {name} has {known.gpus} GPU(s) per node",
                    )
                )
    return problems
