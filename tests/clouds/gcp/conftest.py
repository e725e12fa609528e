"""GCP stacks derived from dev-gcp, for the settings dev leaves off: CMEK, a regional control plane, a private
endpoint, an HA database with point-in-time recovery, data residency, access logs, no auto-provisioning, no DNS-based
endpoint, a non-dev environment. Evaluated once per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from offline.harness import ROOT_DIR, StackRun, run_stack

VARIANT = "prod-gcp-variant"


def derived_stack(tmp_path_factory: pytest.TempPathFactory, stack: str, change: Callable[[Any], None]) -> StackRun:
    """dev-gcp's stack file with `change` applied to its `config`, evaluated under mocks."""
    document = yaml.safe_load((ROOT_DIR / "Pulumi.dev-gcp.yaml").read_text())
    change(document["config"])
    root = tmp_path_factory.mktemp(stack)
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document))
    (root / "__main__.py").symlink_to(ROOT_DIR / "__main__.py")
    return run_stack(stack, root=root)


def _variant(config: Any) -> None:
    config["mlops-platform:environment"] = "prod"
    config["mlops-platform:gcp"].update(
        {
            "cmek": True,
            "regionalCluster": True,
            "nodeAutoProvisioning": {"enabled": False},
            "databasePointInTimeRecovery": True,
            "dataResidency": True,
            "systemPoolZones": [],
            "controlPlaneDnsEndpoint": False,
        }
    )
    config["mlops-platform:cluster"]["endpointAllowList"] = []
    config["mlops-platform:cluster"]["deployerInNetwork"] = True  # a private endpoint: deployed from the VPC
    config["mlops-platform:database"]["highAvailability"] = True
    config["mlops-platform:objectStore"]["accessLogging"] = True


@pytest.fixture(scope="session")
def gcp_variant(tmp_path_factory: pytest.TempPathFactory) -> StackRun:
    return derived_stack(tmp_path_factory, VARIANT, _variant)
