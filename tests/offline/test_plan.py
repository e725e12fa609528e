"""`make plan`: the resource tree, counts and outputs; a JSON dump with secrets masked; clean failure on bad config."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError
from offline import plan
from offline.harness import ROOT_DIR, run_stack
from offline.mocks.random import fake_password


def test_plan_prints_tree_counts_and_outputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert plan.main(["dev-local", "--json-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "mlops:local:Foundation  local" in printed
    assert "kubernetes:postgresql.cnpg.io/v1:Cluster  postgres-cluster [protected]" in printed
    assert "Counts per type" in printed
    assert 'databaseEndpoint: "mlops-postgres-rw.database.svc.cluster.local:5432"' in printed


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
