"""Each platform workload runs as the service account the foundation bound a cloud identity to."""

from __future__ import annotations

import pytest

from clouds.contract import Workloads
from tests.k8s_platform.contracts import FLAVOURS, azure_identities, gcp_identities, platform_run
from tests.k8s_platform.helpers import values

CHART_ACCOUNTS = {
    # release -> (workload, path to the service account block in its values)
    "external-secrets": (Workloads.EXTERNAL_SECRETS, ("serviceAccount",)),
    "cert-manager": (Workloads.CERT_MANAGER, ("serviceAccount",)),
    "mlflow": (Workloads.MLFLOW, ("serviceAccount",)),
    "argo-workflows": (Workloads.ARGO_WORKFLOWS, ("workflow", "serviceAccount")),
}


@pytest.mark.parametrize("release", CHART_ACCOUNTS)
def test_chart_service_accounts_carry_the_workload_identity(release: str) -> None:
    workload, path = CHART_ACCOUNTS[release]
    account = values(platform_run("gcs-nap"), release)
    for key in path:
        account = account[key]
    assert account["name"] == workload.service_account
    assert account["annotations"] == gcp_identities()[workload.name].service_account_annotations


@pytest.mark.parametrize("release", ["external-secrets", "cert-manager"])
def test_azure_workload_identity_label_reaches_the_pods(release: str) -> None:
    workload = CHART_ACCOUNTS[release][0]
    assert (
        values(platform_run("azure-blob-keda-addon"), release)["podLabels"]
        == azure_identities()[workload.name].pod_labels
    )


def test_workflows_run_as_the_pipeline_account_with_its_pod_labels() -> None:
    defaults = values(platform_run("azure-blob-keda-addon"), "argo-workflows")["controller"]["workflowDefaults"]["spec"]
    assert defaults["serviceAccountName"] == Workloads.ARGO_WORKFLOWS.service_account
    assert defaults["podMetadata"]["labels"] == {"azure.workload.identity/use": "true"}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_cloud_artifact_repositories_use_the_identity_not_keys(flavour: str) -> None:
    workflows = values(platform_run(flavour), "argo-workflows")
    assert workflows["useStaticCredentials"] is False
    repository = workflows["artifactRepository"]
    assert "accessKeySecret" not in str(repository)


def test_argo_server_runs_as_its_own_read_identity() -> None:
    server = values(platform_run("gcs-nap"), "argo-workflows")["server"]
    assert server["serviceAccount"]["name"] == Workloads.ARGO_SERVER.service_account
    assert (
        server["serviceAccount"]["annotations"]
        == gcp_identities()[Workloads.ARGO_SERVER.name].service_account_annotations
    )


def test_argo_server_pods_carry_the_azure_workload_identity_label() -> None:
    server = values(platform_run("azure-blob-keda-addon"), "argo-workflows")["server"]
    assert server["podLabels"] == azure_identities()[Workloads.ARGO_SERVER.name].pod_labels
