"""The whole program, per stack file: it declares a platform and exports what users and CI need."""

from __future__ import annotations

import subprocess
import sys

from offline.harness import ROOT_DIR, StackRun, stack_file_config

CORE_OUTPUTS = {"cloud", "clusterName", "kubeconfig", "artifactStoreUri", "databaseEndpoint", "mlflowUrl"}


def test_every_stack_exports_the_core_outputs(any_stack: StackRun) -> None:
    assert set(any_stack.outputs) >= CORE_OUTPUTS


def test_cloud_output_is_the_cloud_the_stack_file_names(any_stack: StackRun) -> None:
    config, _ = stack_file_config(any_stack.stack)
    assert any_stack.outputs["cloud"] == config["mlops-platform:cloud"]


def test_kubeconfig_is_exported_only_as_a_secret(any_stack: StackRun) -> None:
    if any_stack.outputs["kubeconfig"] is not None:
        assert "kubeconfig" in any_stack.secret_outputs


def test_foundation_and_platform_are_components_at_the_top_of_the_tree(any_stack: StackRun) -> None:
    top = {r.type for r in any_stack.resources if r.parent and r.parent.endswith("::mlops-platform-" + any_stack.stack)}
    assert "mlops:platform:MlopsPlatform" in top
    assert any(t.startswith("mlops:") and t.endswith(":Foundation") for t in top)


def test_importing_pulumi_from_the_repository_root_works() -> None:
    """No top-level module may shadow the standard library (a `platform` package breaks uuid and pulumi)."""
    result = subprocess.run(
        [sys.executable, "-c", "import platform, pulumi; platform.system()"],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    stdlib_names = set(sys.stdlib_module_names)
    top_level = {p.stem for p in ROOT_DIR.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert not (top_level & stdlib_names)
