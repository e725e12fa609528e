"""Per-cloud foundations. `build_foundation` imports only the chosen cloud's SDK, so a plan stays fast."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import pulumi

from clouds.contract import PlatformContract
from config import StackConfig


class Foundation(Protocol):
    """What `__main__` needs from a foundation: the contract, and the outputs only this cloud has."""

    contract: PlatformContract
    stack_outputs: Mapping[str, pulumi.Input[object]]


def build_foundation(config: StackConfig) -> Foundation:
    match config.cloud.cloud:
        case "aws":
            from clouds.aws.foundation import AwsFoundation

            return AwsFoundation("aws", config)
        case "azure":
            from clouds.azure.foundation import AzureFoundation

            return AzureFoundation("azure", config)
        case "gcp":
            from clouds.gcp.foundation import GcpFoundation

            return GcpFoundation("gcp", config)
        case "local":
            from clouds.local.foundation import LocalFoundation

            return LocalFoundation("local", config)
    raise AssertionError(f"unhandled cloud {config.cloud.cloud!r}")  # the config model allows no other value
