"""The smoke test's parts that need no cluster: arguments, verdicts on cluster objects, progress and summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from smoke import cli
from smoke.kube import (
    helm_releases_not_deployed,
    not_ready_condition,
    pods_not_running,
    targets_down,
    workloads_not_ready,
)
from smoke.report import CheckError, NotApplicableError, Outcome, Report


def test_the_stack_is_required() -> None:
    with pytest.raises(SystemExit):
        cli.parse_args([])


def test_keep_leaves_the_test_objects() -> None:
    assert cli.parse_args(["--stack", "dev-local", "--keep"]).keep is True
    assert cli.parse_args(["--stack", "dev-local"]).keep is False


def test_outputs_can_come_from_a_file_instead_of_the_pulumi_cli(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"cloud": "local", "kubeContext": "kind-mlops", "kubeconfig": None}))
    args = cli.parse_args(["--stack", "dev-local", "--outputs", str(outputs)])
    kube = cli.kubectl_for(cli.stack_outputs(args), args)
    assert (kube.context, kube.kubeconfig) == ("kind-mlops", None)


def test_a_cloud_stacks_kubeconfig_output_is_used_from_a_private_file(tmp_path: Path) -> None:
    args = cli.parse_args(["--stack", "dev-aws"])
    kube = cli.kubectl_for({"kubeconfig": "apiVersion: v1\nkind: Config\n"}, args)
    assert kube.kubeconfig is not None
    assert Path(kube.kubeconfig).stat().st_mode & 0o077 == 0
    assert kube.argv("get", "pods")[:3] == ["kubectl", "--kubeconfig", kube.kubeconfig]


def test_only_the_newest_revision_of_a_helm_release_counts() -> None:
    def revision(name: str, version: int, status: str) -> dict[str, object]:
        labels = {"owner": "helm", "name": name, "version": str(version), "status": status}
        return {"metadata": {"namespace": "mlflow", "labels": labels}}

    secrets = [
        revision("mlflow", 1, "failed"),
        revision("mlflow", 2, "deployed"),
        revision("kserve", 1, "pending-install"),
    ]
    assert helm_releases_not_deployed(secrets) == {"mlflow/kserve": "pending-install"}


def test_a_deployment_short_of_ready_replicas_is_reported() -> None:
    workloads = [
        {
            "kind": "Deployment",
            "metadata": {"namespace": "mlflow", "name": "mlflow"},
            "spec": {"replicas": 2},
            "status": {"readyReplicas": 1},
        },
        {
            "kind": "StatefulSet",
            "metadata": {"namespace": "object-store", "name": "s3"},
            "spec": {"replicas": 1},
            "status": {"readyReplicas": 1},
        },
    ]
    assert workloads_not_ready(workloads) == {"Deployment/mlflow/mlflow": "1/2 ready"}


def test_a_crash_looping_pod_is_reported_with_its_reason_and_finished_jobs_are_not() -> None:
    pods = [
        {
            "metadata": {"namespace": "mlflow", "name": "mlflow-0"},
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {"name": "mlflow", "ready": False, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
                ],
            },
        },
        {"metadata": {"namespace": "mlflow", "name": "hook"}, "status": {"phase": "Succeeded"}},
        {
            "metadata": {"namespace": "argo", "name": "server"},
            "status": {
                "phase": "Running",
                "containerStatuses": [{"name": "server", "ready": True, "state": {"running": {}}}],
            },
        },
    ]
    assert pods_not_running(pods) == {"mlflow/mlflow-0": "Running (CrashLoopBackOff)"}


def test_an_unsynced_external_secret_is_reported_with_its_message() -> None:
    secrets = [
        {
            "metadata": {"namespace": "mlflow", "name": "admin"},
            "status": {"conditions": [{"type": "Ready", "status": "False", "message": "could not get secret"}]},
        }
    ]
    assert not_ready_condition(secrets) == {"mlflow/admin": "could not get secret"}


def test_only_down_targets_of_the_platforms_monitors_fail() -> None:
    targets = {
        "data": {
            "activeTargets": [
                {
                    "scrapePool": "serviceMonitor/monitoring/mlflow/0",
                    "health": "down",
                    "labels": {"instance": "10.0.0.5:9102"},
                    "lastError": "401",
                },
                {"scrapePool": "serviceMonitor/monitoring/argo-workflows/0", "health": "up", "labels": {}},
                {"scrapePool": "serviceMonitor/team-a/their-app/0", "health": "down", "labels": {}},
            ]
        }
    }
    assert [t.pool for t in targets_down(targets, "monitoring")] == ["serviceMonitor/monitoring/mlflow/0"]


def report_of(*checks: tuple[str, object]) -> tuple[Report, str]:
    out = io.StringIO()
    report = Report(out=out)
    for name, check in checks:
        report.run(name, check)  # type: ignore[arg-type]
    return report, out.getvalue()


def fails() -> str:
    raise CheckError("2/3 ready")


def crashes() -> str:
    raise KeyError("status")


def skips() -> str:
    raise NotApplicableError("no domain set")


def test_progress_names_each_check_before_and_its_verdict_after() -> None:
    _, progress = report_of(("pods running", lambda: "12 running"), ("workloads ready", fails))
    assert progress.splitlines() == [
        "... pods running",
        "PASS pods running: 12 running",
        "... workloads ready",
        "FAIL workloads ready: 2/3 ready",
    ]


def test_a_failed_check_fails_the_run_and_a_skipped_one_does_not() -> None:
    assert report_of(("a", skips))[0].passed
    assert not report_of(("a", skips), ("b", fails))[0].passed


def test_a_check_that_crashes_is_a_failure_and_the_next_checks_still_run() -> None:
    report, _ = report_of(("broken", crashes), ("after", lambda: "ok"))
    assert [r.outcome for r in report.results] == [Outcome.FAIL, Outcome.PASS]
    assert "KeyError" in report.results[0].detail


def test_the_summary_table_has_a_row_per_check_and_a_count() -> None:
    report, _ = report_of(("pods running", lambda: "12 running"), ("workloads ready", fails), ("certificates", skips))
    table = report.table().splitlines()
    assert table[0].split() == ["check", "result", "time", "detail"]
    assert [line.split()[-1] for line in table[2:5]] == ["running", "ready", "set"]
    assert table[-1] == "2 passed, 1 failed"


def test_main_exits_1_when_a_check_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"cloud": "local", "kubeContext": "none"}))
    # No cluster here: kubectl is a binary that does not exist, so every cluster check fails, none crashes the run.
    monkeypatch.setattr(cli, "kubectl_for", lambda outputs, args: cli.Kubectl(binary="/nonexistent/kubectl"))
    assert cli.main(["--stack", "dev-local", "--outputs", str(outputs), "--skip-serving"]) == 1
    assert "FAIL helm releases deployed" in capsys.readouterr().out
