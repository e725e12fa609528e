"""A second GCP stack derived from dev-gcp, for the settings dev leaves off: CMEK, a regional control plane,
a private endpoint, an HA database, no auto-provisioning, a non-dev environment. Evaluated once per session."""

from __future__ import annotations

import pytest
import yaml

from offline.harness import ROOT_DIR, StackRun, run_stack

VARIANT = "prod-gcp-variant"


@pytest.fixture(scope="session")
def gcp_variant(tmp_path_factory: pytest.TempPathFactory) -> StackRun:
    document = yaml.safe_load((ROOT_DIR / "Pulumi.dev-gcp.yaml").read_text())
    config = document["config"]
    config["mlops-platform:environment"] = "prod"
    config["mlops-platform:gcp"].update(
        {"cmek": True, "regionalCluster": True, "nodeAutoProvisioning": {"enabled": False}}
    )
    config["mlops-platform:cluster"]["endpointAllowList"] = []
    config["mlops-platform:cluster"]["deployerInNetwork"] = True  # a private endpoint: deployed from the VPC
    config["mlops-platform:database"]["highAvailability"] = True
    root = tmp_path_factory.mktemp("gcp-variant")
    (root / f"Pulumi.{VARIANT}.yaml").write_text(yaml.safe_dump(document))
    (root / "__main__.py").symlink_to(ROOT_DIR / "__main__.py")
    return run_stack(VARIANT, root=root)
