"""Fixtures for the Azure foundation: the dev-azure stack under mocks, and the contract its foundation returns."""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from pulumi.runtime.sync_await import _sync_await

from clouds.contract import PlatformContract
from offline.harness import ROOT_DIR, StackRun, run_program, stack_file_config
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


PROD_OVERRIDES: dict[str, Any] = {
    "environment": "prod",
    # Without flowLogRetentionDays, so the production default applies.
    "network": {"cidr": "10.40.0.0/16", "podCidr": "10.244.0.0/16", "serviceCidr": "10.96.0.0/16"},
    "database": {"engineVersion": "17", "storageGb": 64, "highAvailability": True, "backupRetentionDays": 30},
    "azure": {
        "location": "westeurope",
        "adminGroupObjectIds": ["3f2c8f6a-1b7e-4d2c-9a51-7c0e4b8d2f11"],
        "databaseSku": "Standard_D2ds_v5",
        "databaseTier": "GeneralPurpose",
        "registrySku": "Premium",
        "flowLogs": True,
    },
}
"""dev-azure turned into a production stack: every production default of the Azure foundation applies."""

_prod: list[StackRun] = []


def prod_run() -> StackRun:
    """The whole program for dev-azure's stack file with `PROD_OVERRIDES` (top-level keys replaced)."""
    if not _prod:
        config, secret_keys = stack_file_config(STACK, overrides=REACHABLE_ENDPOINT)
        config |= {f"mlops-platform:{key}": json.dumps(value) for key, value in PROD_OVERRIDES.items()}
        config["mlops-platform:environment"] = "prod"
        _prod.append(
            run_program(
                lambda: runpy.run_path(str(ROOT_DIR / "__main__.py"), run_name="__main__"), STACK, config, secret_keys
            )
        )
    return _prod[0]


@pytest.fixture
def prod_azure() -> StackRun:
    return prod_run()
