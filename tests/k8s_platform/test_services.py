"""ArgoCD, Argo Workflows, External Secrets, monitoring and namespaces: the settings users rely on."""

from __future__ import annotations

import re

import pulumi
import pytest

from clouds.contract import WORKFLOW_ARTIFACT_PREFIX, ArtifactStore, ArtifactStoreKind
from config.model import ArgoCd, Components, GitRepository
from k8s_platform.argo_workflows import artifact_repository
from offline.harness import StackRun
from tests.conftest import stack_run
from tests.k8s_platform.contracts import FLAVOURS, platform_run
from tests.k8s_platform.helpers import custom_resources, values


def test_argocd_is_single_instance_by_default() -> None:
    argocd = values(stack_run("dev-local"), "argocd")
    assert argocd["redis-ha"]["enabled"] is False
    assert argocd["server"]["replicas"] == 1


def test_argocd_runs_highly_available_when_configured() -> None:
    run = platform_run("gcs-nap", components=Components(argocd=ArgoCd(high_availability=True)))
    argocd = values(run, "argocd")
    assert argocd["redis-ha"]["enabled"] is True
    assert argocd["controller"]["replicas"] == argocd["repoServer"]["replicas"] == 2


def test_argocd_admin_password_comes_from_the_secret_store() -> None:
    secret = next(s for s in custom_resources(platform_run("gcs-nap"), "ExternalSecret") if s.name == "admin-password")
    assert secret.get("spec.target") == {
        "name": "argocd-secret",
        "creationPolicy": "Merge",
        "template": {"engineVersion": "v2", "data": {"admin.password": "{{ .password | bcrypt }}"}},
    }
    assert secret.get("spec.data.0.remoteRef") == {"key": "argocd-admin-password"}


def test_private_repository_token_comes_from_the_secret_store() -> None:
    repo = GitRepository(name="models", url="https://github.com/acme/models.git", token_key="git/models-token")
    run = platform_run("gcs-nap", components=Components(argocd=ArgoCd(repositories=[repo])))
    secret = next(s for s in custom_resources(run, "ExternalSecret") if s.name == "repo-models")
    assert secret.get("spec.data.0.remoteRef") == {"key": "git/models-token"}
    assert secret.get("spec.target.template.metadata.labels") == {"argocd.argoproj.io/secret-type": "repository"}


def test_private_repository_token_is_argocds_password_over_https() -> None:
    repo = GitRepository(name="models", url="https://github.com/acme/models.git", token_key="git/models-token")
    run = platform_run("gcs-nap", components=Components(argocd=ArgoCd(repositories=[repo])))
    secret = next(s for s in custom_resources(run, "ExternalSecret") if s.name == "repo-models")
    data = secret.get("spec.target.template.data")
    assert (data["username"], data["password"]) == ("git", "{{ .credential }}")
    assert secret.get("spec.data.0.secretKey") == "credential"


def test_private_ssh_repository_gets_its_deploy_key_as_ssh_private_key() -> None:
    # ArgoCD ignores `password` for an SSH URL: the secret-store entry must land in `sshPrivateKey`.
    repo = GitRepository(name="models", url="git@github.com:acme/models.git", token_key="git/models-deploy-key")
    run = platform_run("gcs-nap", components=Components(argocd=ArgoCd(repositories=[repo])))
    secret = next(s for s in custom_resources(run, "ExternalSecret") if s.name == "repo-models")
    data = secret.get("spec.target.template.data")
    assert data == {"type": "git", "url": "git@github.com:acme/models.git", "sshPrivateKey": "{{ .credential }}"}
    assert secret.get("spec.data.0.remoteRef") == {"key": "git/models-deploy-key"}


def test_argo_workflows_requires_sso_or_a_client_token() -> None:
    assert values(stack_run("dev-local"), "argo-workflows")["server"]["authModes"] == ["client"]
    assert values(platform_run("gcs-nap"), "argo-workflows")["server"]["authModes"] == ["sso", "client"]


def test_signed_in_workflows_users_default_to_read_only_on_pipelines() -> None:
    # Argo refuses an SSO user no `rbac-rule` matches; the catch-all rule maps everyone else to a viewer.
    run = platform_run("gcs-nap")
    assert values(run, "argo-workflows")["server"]["sso"].get("rbac", {}).get("enabled", True) is True
    (account,) = [a for a in run.of_type("kubernetes:core/v1:ServiceAccount") if a.name == "sso-viewer"]
    assert account.get("metadata.annotations")["workflows.argoproj.io/rbac-rule"] == "true"
    assert account.get("metadata.annotations")["workflows.argoproj.io/rbac-rule-precedence"] == "0"
    (token,) = [s for s in run.of_type("kubernetes:core/v1:Secret") if s.name == "sso-viewer-token"]
    assert token.get("metadata.name") == "sso-viewer.service-account-token"
    assert token.get("metadata.annotations") == {"kubernetes.io/service-account.name": "sso-viewer"}
    (binding,) = [
        b for b in run.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding") if b.name == "sso-viewer"
    ]
    assert binding.get("metadata.namespace") == "argo"
    assert binding.inputs["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "argo-workflows-view",
    }


def test_without_sso_no_default_workflows_account_exists() -> None:
    accounts = {a.name for a in stack_run("dev-local").of_type("kubernetes:core/v1:ServiceAccount")}
    assert "sso-viewer" not in accounts


def test_argo_workflows_keeps_artifacts_in_the_contracts_bucket() -> None:
    repository = values(platform_run("gcs-nap"), "argo-workflows")["artifactRepository"]
    assert repository["gcs"]["bucket"] == "mlops-dev-artifacts"


# Artifact repository block -> its key-format field (Argo 4 `keyFormat`, Azure `blobNameFormat`) and whether
# the argo-workflows chart (1.0.18) renders that block through Helm's `tpl`.
KEY_FORMAT_FIELDS = {"s3": ("keyFormat", False), "gcs": ("keyFormat", True), "azure": ("blobNameFormat", True)}
HELM_STRING_LITERAL = re.compile(r'^\{\{ "([^"]*)" \}\}$')


def _key_format_as_argo_sees_it(run: StackRun) -> str:
    repository = values(run, "argo-workflows")["artifactRepository"]
    (kind,) = [k for k in KEY_FORMAT_FIELDS if k in repository]
    field, templated = KEY_FORMAT_FIELDS[kind]
    raw = repository[kind][field]
    if not templated:
        return raw
    # Through `tpl`, Argo's own {{workflow.name}} placeholders survive only inside a Go-template string literal.
    literal = HELM_STRING_LITERAL.match(raw)
    assert literal, raw
    return literal.group(1)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_workflow_artifacts_land_under_the_prefix_the_pipeline_identity_may_write(flavour: str) -> None:
    key = _key_format_as_argo_sees_it(platform_run(flavour))
    assert key.startswith(f"{WORKFLOW_ARTIFACT_PREFIX}/")
    assert "{{workflow.name}}" in key and "{{pod.name}}" in key


def test_local_workflow_artifacts_land_under_the_workflow_prefix() -> None:
    assert _key_format_as_argo_sees_it(stack_run("dev-local")).startswith(f"{WORKFLOW_ARTIFACT_PREFIX}/")


def test_cluster_secret_store_uses_the_contracts_provider_block() -> None:
    (store,) = custom_resources(platform_run("aws-karpenter"), "ClusterSecretStore")
    assert store.get("spec.provider") == {"aws": {"service": "SecretsManager", "region": "eu-west-1"}}


def test_local_secret_store_is_backed_by_kubernetes_secrets() -> None:
    (store,) = custom_resources(stack_run("dev-local"), "ClusterSecretStore")
    assert store.get("spec.provider.kubernetes.remoteNamespace") == "platform-secrets"


def test_grafana_admin_password_comes_from_the_secret_store() -> None:
    admin = values(platform_run("aws-karpenter"), "kube-prometheus-stack")["grafana"]["admin"]
    assert admin["existingSecret"] == "grafana-admin"
    secret = next(
        s for s in custom_resources(platform_run("aws-karpenter"), "ExternalSecret") if s.name == "grafana-admin"
    )
    assert secret.get("spec.data.0.remoteRef") == {"key": "mlops-dev/grafana-admin-password"}


def test_platform_services_are_scraped() -> None:
    monitors = {m.get("metadata.name") for m in custom_resources(platform_run("aws-karpenter"), "ServiceMonitor")}
    monitors |= {m.get("metadata.name") for m in custom_resources(platform_run("aws-karpenter"), "PodMonitor")}
    assert {"mlflow", "kserve-models", "argo-workflows", "karpenter", "dcgm-exporter"} <= monitors


def test_alerts_cover_inference_errors_idle_gpus_pending_pods_and_node_health() -> None:
    (rules,) = custom_resources(stack_run("dev-local"), "PrometheusRule")
    alerts = {rule["alert"] for group in rules.get("spec.groups") for rule in group["rules"]}
    assert alerts == {"InferenceErrorRateHigh", "GpuNodeIdle", "PodsPendingForCapacity", "NodeNotReady"}


def test_dashboards_for_gpus_inference_and_cost_are_provisioned() -> None:
    dashboards = [
        c
        for c in stack_run("dev-local").of_type("kubernetes:core/v1:ConfigMap")
        if c.get("metadata.labels", {}).get("grafana_dashboard")
    ]
    assert {c.get("metadata.name") for c in dashboards} == {
        "dashboard-gpu-utilisation",
        "dashboard-inference",
        "dashboard-cost-drivers",
    }


def test_namespaces_enforce_pod_security_restricted_where_charts_allow() -> None:
    enforced = {
        ns.get("metadata.name"): ns.get("metadata.labels")["pod-security.kubernetes.io/enforce"]
        for ns in platform_run("aws-karpenter").of_type("kubernetes:core/v1:Namespace")
    }
    restricted = {"cert-manager", "external-secrets", "argocd", "mlflow", "kserve", "karpenter", "keda"}
    assert {name: enforced[name] for name in restricted} == dict.fromkeys(restricted, "restricted")


def test_local_workflow_artifacts_reach_the_in_cluster_store_with_keys_from_a_secret() -> None:
    run = stack_run("dev-local")
    s3 = values(run, "argo-workflows")["artifactRepository"]["s3"]
    endpoint = values(run, "mlflow")["extraEnvVars"]["MLFLOW_S3_ENDPOINT_URL"]
    assert s3["endpoint"] == endpoint.removeprefix("http://") and s3["insecure"] is True
    secret = next(s for s in run.of_type("kubernetes:core/v1:Secret") if s.get("metadata.name") == "artifact-store-s3")
    assert {s3["accessKeySecret"]["key"], s3["secretKeySecret"]["key"]} == set(secret.inputs["stringData"])


@pytest.mark.parametrize(
    ("region", "endpoint"),
    [
        ("eu-west-1", "s3.eu-west-1.amazonaws.com"),
        ("cn-north-1", "s3.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "s3.us-gov-west-1.amazonaws.com"),
    ],
)
def test_workflow_artifacts_use_the_regional_s3_endpoint_of_the_buckets_partition(region: str, endpoint: str) -> None:
    store = ArtifactStore(
        kind=ArtifactStoreKind.S3,
        bucket="b",
        prefix="mlflow",
        uri=pulumi.Output.from_input("s3://b/mlflow"),
        region=region,
    )
    assert artifact_repository(store)["s3"]["endpoint"] == endpoint
