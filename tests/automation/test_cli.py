"""The command line: help on a fresh clone, one line without the Pulumi CLI, refusals before any engine call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from automation import cli
from automation.cli import COMMANDS, INSTALL_HINT, build_parser, main
from automation.exit_codes import ExitCode
from tests.automation.conftest import StandIn, step

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "urn:pulumi:dev-local::mlops-platform::aws:s3/bucket:Bucket::artifacts"


def run_module(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m automation ...` in a fresh interpreter; by default with a PATH that has no `pulumi`."""
    return subprocess.run(
        [sys.executable, "-m", "automation", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env if env is not None else {"PATH": "/nonexistent"},  # no pulumi anywhere on it
        check=False,
    )


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["top", *COMMANDS])
def test_help_works_without_the_pulumi_cli(command: list[str]) -> None:
    completed = run_module(*command, "--help")
    assert (completed.returncode, completed.stderr) == (0, "")
    assert "usage: python -m automation" in completed.stdout


def test_cli_dependent_command_without_pulumi_prints_one_install_line_and_exits_1() -> None:
    completed = run_module("preview", "--stack", "dev-local")
    assert (completed.returncode, completed.stdout, completed.stderr) == (1, "", INSTALL_HINT + "\n")
    assert "get.pulumi.com" in completed.stderr and "Traceback" not in completed.stderr


def test_stack_flag_is_repeatable() -> None:
    args = build_parser().parse_args(["drift", "--stack", "dev-aws", "-s", "dev-gcp"])
    assert (args.command, args.stack) == ("drift", ["dev-aws", "dev-gcp"])


def test_preview_accepts_a_json_summary_file() -> None:
    args = build_parser().parse_args(["preview", "--all", "--json-summary", "changes.json"])
    assert args.json_summary == Path("changes.json") and args.all


def test_destroy_without_confirmation_is_refused_before_any_engine_call(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli.shutil, "which", lambda _: "/usr/local/bin/pulumi")
    assert main(["destroy", "--stack", "dev-local"]) == 1
    assert "--yes-destroy dev-local" in capsys.readouterr().err


@pytest.mark.needs_pulumi_cli
def test_outputs_of_a_stack_missing_from_the_backend_fail_with_a_clear_message(tmp_path: Path) -> None:
    completed = run_module("outputs", "-s", "dev-local", "--backend-url", f"file://{tmp_path}", env=dict(os.environ))
    assert completed.returncode == 1 and "does not exist in this backend" in completed.stdout


def test_a_typo_in_the_arguments_exits_with_the_usage_code_not_drifts() -> None:
    completed = run_module("drfit", "--stack", "dev-aws")
    assert (completed.returncode, "invalid choice" in completed.stderr) == (ExitCode.USAGE, True)
    assert ExitCode.USAGE != ExitCode.DRIFT


def test_help_lists_every_exit_code() -> None:
    epilog = build_parser().epilog or ""
    assert all(f"{code.value} " in epilog for code in ExitCode)


def test_docs_list_every_exit_code() -> None:
    docs = (ROOT / "docs" / "automation.md").read_text()
    assert all(f"| `{code.value}` |" in docs for code in ExitCode)


def test_drift_writes_a_report_per_stack_for_the_tracking_issue(stand_in_pulumi: StandIn, tmp_path: Path) -> None:
    drifted = step("resOutputsEvent", "update", BUCKET, True, diffs=["versioning"])
    stand_in_pulumi.play({"refresh-preview": {"events": [drifted], "summary": {"update": 1, "same": 3}}})
    reports = tmp_path / "reports"
    args = ["drift", "-s", "dev-local", "--backend-url", f"file://{tmp_path}", "--report-dir", str(reports)]
    completed = run_module(*args, env=stand_in_pulumi.env())
    report = json.loads((reports / "dev-local.json").read_text())
    assert (completed.returncode, report["status"]) == (ExitCode.DRIFT, "drift")
    assert report["drifted"] == [{"op": "update", "type": "aws:s3/bucket:Bucket", "name": "artifacts", "urn": BUCKET}]
