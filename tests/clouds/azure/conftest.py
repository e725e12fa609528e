"""Fixtures for the Azure foundation: the dev-azure stack under mocks, and the contract its foundation returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from pulumi.runtime.sync_await import _sync_await

from clouds.contract import PlatformContract
from offline.harness import StackRun, run_program, stack_file_config
from tests.conftest import REACHABLE_ENDPOINT, stack_run

STACK = "dev-azure"


@dataclass(frozen=True)
class FoundationRun:
    """A second, independent evaluation of the Azure foundation, keeping the contract object it returned."""

    run: StackRun
    contract: PlatformContract


_foundation: list[FoundationRun] = []


def resolve(value: Any) -> Any:
    """Plain values out of a contract field (Outputs awaited, also inside dicts and lists)."""
    if isinstance(value, pulumi.Output):
        return resolve(_sync_await(value.future()))
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v) for v in value]
    return value


def foundation_run() -> FoundationRun:
    if not _foundation:
        from clouds.azure.foundation import AzureFoundation
        from config import load_stack_config

        built: list[PlatformContract] = []
        config, secret_keys = stack_file_config(STACK, overrides=REACHABLE_ENDPOINT)
        run = run_program(
            lambda: built.append(AzureFoundation("azure", load_stack_config()).contract), STACK, config, secret_keys
        )
        _foundation.append(FoundationRun(run, built[0]))
    return _foundation[0]


@pytest.fixture
def azure() -> StackRun:
    return stack_run(STACK)


@pytest.fixture
def contract() -> PlatformContract:
    return foundation_run().contract
