"""Identities cover the paths workloads really use, on every cloud: a team's pipelines and models stay under the
team's prefix, MLflow serves team artifacts, and the Argo server reads what its UI shows.

Each test reads the cloud's own translation of the grants (IAM statements, GCS conditions, Azure ABAC
conditions), so a path the program writes to and a grant that misses it cannot pass together.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.harness import StackRun
from tests.conftest import team_stack_run as stack_run

CLOUDS = ["dev-aws", "dev-gcp", "dev-azure"]
CONFIGMAP = "kubernetes:core/v1:ConfigMap"


def _teams(run: StackRun) -> list[str]:
    return [r.name.removeprefix("team-") for r in run.of_type("mlops:platform:Team")]


def _configmap(run: StackRun, team: str, name: str) -> DeclaredData:
    (found,) = [
        r
        for r in run.of_type(CONFIGMAP)
        if r.get("metadata.namespace") == f"team-{team}" and r.get("metadata.name") == name
    ]
    return found.inputs["data"]


DeclaredData = dict[str, Any]


def _team_repository(run: StackRun, team: str) -> dict[str, Any]:
    data = _configmap(run, team, "artifact-repositories")
    return json.loads(data["team"])


def _key_format(repository: dict[str, Any]) -> str:
    store = next(v for k, v in repository.items() if k in ("s3", "gcs", "azure"))
    return store.get("keyFormat") or store["blobNameFormat"]


def _readable_prefixes(run: StackRun, workload: str) -> tuple[set[str], bool]:
    """The artifact prefixes `workload`'s cloud identity may read, and whether it may write, as the cloud says."""
    cloud = run.stack.removeprefix("dev-")
    if cloud == "aws":
        policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", f"identity-{workload}").inputs["policy"])
        (objects,) = [s for s in policy["Statement"] if s.get("Sid") == "ObjectsUnderOwnPrefix"]
        prefixes = {arn.split(":::", 1)[1].split("/", 1)[1].removesuffix("*") for arn in objects["Resource"]}
        return prefixes, "s3:PutObject" in objects["Action"]
    if cloud == "gcp":
        (member,) = [
            r
            for r in run.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
            if r.name == f"workload-identities-{workload}-bucket"
        ]
        expression = member.inputs["condition"]["expression"]
        prefixes = {
            part.split("/objects/", 1)[1].split('"')[0] for part in expression.split(" || ") if "/objects/" in part
        }
        return prefixes, member.inputs["role"] != "roles/storage.objectViewer"
    (assignment,) = [
        r for r in run.of_type("azure-native:authorization:RoleAssignment") if r.name == f"{workload}-artifacts"
    ]
    condition = assignment.inputs["condition"]
    prefixes = {part.split("'")[0] for part in condition.split("StringStartsWith '")[1:]}
    contributor = assignment.inputs["roleDefinitionId"].endswith("ba92f5b4-2d11-453d-a403-e96b0029c9fe")
    return prefixes, contributor


def _covered(path: str, prefixes: set[str]) -> bool:
    return any(path.startswith(prefix) for prefix in prefixes)


@pytest.mark.parametrize("stack", CLOUDS)
def test_each_team_keeps_its_pipeline_artifacts_and_logs_under_its_own_prefix(stack: str) -> None:
    run = stack_run(stack)
    for team in _teams(run):
        repository = _team_repository(run, team)
        assert repository["archiveLogs"] is True
        assert _key_format(repository).startswith(f"teams/{team}/workflows/"), team


@pytest.mark.parametrize("stack", CLOUDS)
def test_a_teams_identity_writes_where_its_artifact_repository_puts_step_outputs(stack: str) -> None:
    run = stack_run(stack)
    for team in _teams(run):
        prefixes, writes = _readable_prefixes(run, f"team-{team}")
        assert writes and _covered(_key_format(_team_repository(run, team)), prefixes), team


@pytest.mark.parametrize("stack", CLOUDS)
def test_a_teams_mlflow_artifact_location_is_under_its_own_prefix_where_its_models_are_served_from(
    stack: str,
) -> None:
    run = stack_run(stack)
    for team in _teams(run):
        location = _configmap(run, team, "mlflow")["MLFLOW_ARTIFACT_LOCATION"]
        path = location.split("://", 1)[1].split("/", 1)[1] + "/"
        assert path == f"teams/{team}/mlflow/"
        prefixes, _ = _readable_prefixes(run, f"team-{team}")
        assert _covered(path, prefixes), team


@pytest.mark.parametrize("stack", CLOUDS)
def test_no_team_can_read_another_teams_models(stack: str) -> None:
    run = stack_run(stack)
    teams = _teams(run)
    assert len(teams) >= 2
    for team in teams:
        prefixes, _ = _readable_prefixes(run, f"team-{team}")
        for other in teams:
            if other != team:
                assert not _covered(f"teams/{other}/mlflow/model/MLmodel", prefixes), (team, other)


@pytest.mark.parametrize("stack", CLOUDS)
def test_mlflow_serves_and_collects_team_artifacts(stack: str) -> None:
    run = stack_run(stack)
    prefixes, writes = _readable_prefixes(run, "mlflow")
    for team in _teams(run):
        assert writes and _covered(f"teams/{team}/mlflow/1/abc/artifacts/model/MLmodel", prefixes), team


@pytest.mark.parametrize("stack", CLOUDS)
def test_argo_server_reads_the_platforms_and_every_teams_pipeline_artifacts_and_writes_nothing(stack: str) -> None:
    run = stack_run(stack)
    prefixes, writes = _readable_prefixes(run, "argo-server")
    assert not writes
    assert _covered("workflows/argo/train-1/train-1-123/main.log", prefixes)
    for team in _teams(run):
        assert _covered(f"teams/{team}/workflows/train-1/train-1-123/main.log", prefixes), team
