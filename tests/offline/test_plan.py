"""`make plan`: the resource tree, counts and outputs; a JSON dump with secrets masked; clean failure on bad config."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError
from offline import cost, plan
from offline.harness import ROOT_DIR, run_stack
from offline.mocks.random import fake_password
from tests.conftest import REACHABLE_ENDPOINT, stack_run


@pytest.fixture(scope="module")
def local_plan(tmp_path_factory: pytest.TempPathFactory) -> str:
    """What `make plan STACK=dev-local` prints."""
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert plan.main(["dev-local", "--json-dir", str(tmp_path_factory.mktemp("plan"))]) == 0
    return printed.getvalue()


def test_plan_prints_the_summary_with_the_cost_before_the_tree(local_plan: str) -> None:
    summary, cost_at, tree = (local_plan.index(s) for s in ("Summary", "Estimated monthly cost", "Resources"))
    assert summary < cost_at < tree
    assert "Protected from `pulumi destroy`" in local_plan[summary:tree]
    assert "Endpoints:" in local_plan[summary:tree]


def test_plan_prints_tree_and_outputs(local_plan: str) -> None:
    assert "mlops:local:Foundation  local" in local_plan
    assert "kubernetes:postgresql.cnpg.io/v1:Cluster  postgres-cluster [protected]" in local_plan
    assert 'databaseEndpoint: "mlops-postgres-rw.database.svc.cluster.local:5432"' in local_plan


def test_repeated_kinds_are_folded_into_one_line(local_plan: str) -> None:
    count = len(stack_run("dev-local").of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"))
    assert f"kubernetes:networking.k8s.io/v1:NetworkPolicy ×{count}  " in local_plan
    assert "NetworkPolicy  argo-allow-dns" not in local_plan


def test_full_plan_lists_every_resource_and_the_counts_per_type() -> None:
    run = stack_run("dev-local")
    printed = plan.render(run, 0.0, full=True)
    assert "kubernetes:networking.k8s.io/v1:NetworkPolicy  argo-allow-dns" in printed
    assert "Counts per type" in printed
    assert len([line for line in printed.splitlines() if line.startswith("    ")]) >= len(run.resources) - 2


def test_values_only_the_mocks_made_up_are_marked_as_such() -> None:
    run = stack_run("dev-aws")
    printed = plan.render(run, 0.0)
    endpoint = next(line for line in printed.splitlines() if line.strip().startswith("clusterEndpoint:"))
    mlflow = next(line for line in printed.splitlines() if line.strip().startswith("mlflowUrl:"))
    assert endpoint.endswith("(mock)")  # made up by the EKS mock
    assert not mlflow.endswith("(mock)")  # the program derives it from names it chose itself


def test_plan_of_every_stack_ends_with_a_cost_column() -> None:
    planned = [
        plan.Planned(
            stack, 0, 1, cost.estimate(stack_run(stack), cost.stack_config(stack, overrides=REACHABLE_ENDPOINT))
        )
        for stack in ("dev-aws", "dev-local")
    ]
    header, aws, local = plan.cost_table(planned)
    assert header.split() == ["stack", "cloud", "resources", "idle", "$/mo", "max", "$/mo"]
    assert aws.split()[3] == planned[0].estimate.figure("idle")  # type: ignore[union-attr]
    assert local.split()[3:] == ["$0", "$0"]


def test_json_dump_has_every_resource_and_masks_secrets(tmp_path: Path) -> None:
    assert plan.main(["dev-local", "--json-dir", str(tmp_path)]) == 0
    dump_text = (tmp_path / "plan-dev-local.json").read_text()
    dump = json.loads(dump_text)
    assert len(dump) == len(run_stack("dev-local").resources)
    owner = next(r for r in dump if r["name"] == "postgres-owner")
    assert owner["inputs"]["stringData"] == "[secret]"
    assert fake_password("postgres-password") not in dump_text


@pytest.fixture
def broken_project(tmp_path: Path) -> Path:
    """A copy of the program with one stack file whose GPU pool and cloud are wrong."""
    shutil.copy(ROOT_DIR / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n"
        "  mlops-platform:cloud: openstack\n"
        "  mlops-platform:nodePools:\n"
        "    gpuSpot:\n"
        "      minSize: 2\n"
        "      maxSize: 1\n"
    )
    return tmp_path


def test_broken_stack_file_raises_config_error_before_any_resource(broken_project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack("broken", broken_project)
    keys = [p.key for p in caught.value.problems]
    assert keys == ["cloud", "nodePools.gpuSpot.maxSize"]


def test_plan_of_a_broken_stack_exits_2_with_one_line_per_problem_and_no_traceback(broken_project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "offline.plan", "broken", "--no-json", "--project-dir", str(broken_project)],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "Pulumi.broken.yaml: 2 configuration problems; nothing was declared.",
        "  - mlops-platform:cloud: got 'openstack'; allowed values: aws, azure, gcp, local",
        "  - mlops-platform:nodePools.gpuSpot.maxSize: got 1; must be >= minSize (2)",
    ]


def test_plan_of_an_unknown_stack_names_the_stacks_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan.main(["dev-nowhere", "--no-json"]) == 2
    assert "no stack file Pulumi.dev-nowhere.yaml; stacks here: " in capsys.readouterr().err
