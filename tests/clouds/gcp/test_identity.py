"""Workload identities: one Google service account per workload, bound to exactly its Kubernetes service
account, granted only what it touches."""

from __future__ import annotations

import re

from clouds.contract import WORKFLOW_ARTIFACT_PREFIX, Workloads, team_artifact_prefix
from clouds.gcp.identity import account_id, prefix_condition
from offline.harness import DeclaredResource, StackRun
from tests.conftest import stack_run

BINDING = "gcp:serviceaccount/iAMMember:IAMMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
SECRET_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
BUCKET = "acme-mlops-dev-mlops-dev-artifacts"


def gcp() -> StackRun:
    return stack_run("dev-gcp")


def email_of(run: StackRun, workload: str) -> str:
    return run.one("gcp:serviceaccount/account:Account", f"workload-identities-{workload}-account").outputs["email"]


def bucket_grant(run: StackRun, workload: str) -> DeclaredResource:
    return run.one(BUCKET_MEMBER, f"workload-identities-{workload}-bucket")


def test_each_workload_identity_binding_names_exactly_its_kubernetes_service_account() -> None:
    run = gcp()
    workloads = [Workloads.MLFLOW, Workloads.KSERVE_INFERENCE, Workloads.ARGO_WORKFLOWS, Workloads.ARGO_SERVER]
    workloads += [Workloads.EXTERNAL_SECRETS]
    workloads += [Workloads.team("vision"), Workloads.team("forecasting")]
    for workload in workloads:
        binding = run.one(BINDING, f"workload-identities-{workload.name}-workload-identity")
        assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
        assert binding.inputs["member"] == (
            f"serviceAccount:acme-mlops-dev.svc.id.goog[{workload.namespace}/{workload.service_account}]"
        )
        assert binding.inputs["serviceAccountId"].endswith(email_of(run, workload.name))
    assert len(run.of_type(BINDING)) == len(workloads)


def object_prefixes(grant: DeclaredResource) -> set[str]:
    """The object paths a conditional bucket grant admits."""
    expression = grant.inputs["condition"]["expression"]
    return set(re.findall(rf'"projects/_/buckets/{BUCKET}/objects/([^"]*)"', expression))


def test_mlflow_reads_and_writes_only_its_prefix_and_the_teams_run_artifacts() -> None:
    run = gcp()
    grant = bucket_grant(run, "mlflow")
    assert (grant.inputs["bucket"], grant.inputs["role"]) == (BUCKET, "roles/storage.objectUser")
    assert object_prefixes(grant) == {"mlflow/", "teams/"}
    assert grant.inputs["member"] == f"serviceAccount:{email_of(run, 'mlflow')}"


def test_no_workload_holds_an_object_role_on_the_whole_bucket() -> None:
    grants = gcp().of_type(BUCKET_MEMBER)
    assert len(grants) == 6  # mlflow, inference, pipelines, argo server, two teams (none for external-secrets)
    for grant in grants:
        assert grant.inputs.get("condition"), grant.name


def test_storage_roles_are_never_granted_project_wide() -> None:
    project_roles = {member.inputs["role"] for member in gcp().of_type("gcp:projects/iAMMember:IAMMember")}
    assert not any(role.startswith("roles/storage.") for role in project_roles)


def test_inference_reads_and_pipelines_read_write_artifacts() -> None:
    run = gcp()
    inference, pipelines = bucket_grant(run, "kserve-inference"), bucket_grant(run, "argo-workflows")
    assert (inference.inputs["role"], object_prefixes(inference)) == ("roles/storage.objectViewer", {"mlflow/"})
    assert pipelines.inputs["role"] == "roles/storage.objectUser"
    assert object_prefixes(pipelines) == {f"{WORKFLOW_ARTIFACT_PREFIX}/", "mlflow/"}


def test_team_identity_is_limited_to_its_artifact_prefix() -> None:
    grant = bucket_grant(gcp(), "team-vision")
    assert grant.inputs["role"] == "roles/storage.objectUser"
    expression = grant.inputs["condition"]["expression"]
    assert f'"projects/_/buckets/{BUCKET}/objects/{team_artifact_prefix("vision")}/"' in expression
    assert f'objectListPrefix", "").startsWith("{team_artifact_prefix("vision")}/")' in expression
    assert "forecasting" not in expression


def test_prefix_condition_ends_the_prefix_with_a_slash_so_teams_with_shared_beginnings_stay_apart() -> None:
    condition = prefix_condition("b", ["teams/cv"])
    assert 'objects/teams/cv/"' in condition["expression"]
    assert 'startsWith("teams/cv/")' in condition["expression"]


def test_external_secrets_reads_exactly_the_platform_secrets() -> None:
    run = gcp()
    readers = run.of_type(SECRET_MEMBER)
    secrets = {
        f"projects/acme-mlops-dev/secrets/{secret.inputs['secretId']}"
        for secret in run.of_type("gcp:secretmanager/secret:Secret")
    }
    assert {reader.inputs["secretId"] for reader in readers} == secrets
    assert {reader.inputs["member"] for reader in readers} == {f"serviceAccount:{email_of(run, 'external-secrets')}"}
    assert all(reader.inputs["role"] == "roles/secretmanager.secretAccessor" for reader in readers)


def test_no_service_account_keys_are_created() -> None:
    assert gcp().of_type("gcp:serviceaccount/key:Key") == []


def test_bindings_wait_for_the_cluster_that_creates_the_identity_pool() -> None:
    run = gcp()
    cluster = run.one("gcp:container/cluster:Cluster")
    bindings = run.of_type(BINDING)
    assert bindings
    assert all(run.depends_on(binding, cluster) for binding in bindings)


def test_long_account_ids_are_shortened_stably_to_thirty_characters() -> None:
    long_name = "platform-staging-team-computer-vision"
    assert len(account_id(long_name)) == 30
    assert account_id(long_name) == account_id(long_name)
    assert account_id(long_name) != account_id(long_name + "x")


def test_team_identities_are_protected_like_their_namespaces() -> None:
    run = gcp()
    for team in ("vision", "forecasting"):
        prefix = f"workload-identities-team-{team}"
        assert run.one("gcp:serviceaccount/account:Account", f"{prefix}-account").protect, team
        assert run.one(BINDING, f"{prefix}-workload-identity").protect, team
        assert bucket_grant(run, f"team-{team}").protect, team


def test_platform_identities_are_not_protected() -> None:
    assert not gcp().one("gcp:serviceaccount/account:Account", "workload-identities-mlflow-account").protect
