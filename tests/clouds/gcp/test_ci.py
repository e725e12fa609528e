"""The GitHub workflow that runs the driver can use the GCP stack's kubeconfig."""

from __future__ import annotations

from typing import Any

import yaml

from offline.harness import ROOT_DIR


def gcp_steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load((ROOT_DIR / ".github/workflows/pulumi.yml").read_text())
    return [step for step in workflow["jobs"]["run"]["steps"] if "'gcp'" in str(step.get("if", ""))]


def test_gcp_jobs_install_the_kubeconfigs_auth_plugin_after_getting_credentials() -> None:
    uses = [str(step.get("uses", "")).split("@")[0] for step in gcp_steps()]
    assert uses == ["google-github-actions/auth", "google-github-actions/setup-gcloud"]
    assert "gke-gcloud-auth-plugin" in gcp_steps()[1]["with"]["install_components"].split(",")
