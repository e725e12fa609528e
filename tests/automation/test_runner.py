"""The driver's engine-facing flow against a fake stack (results, drift, locks) and a stand-in CLI (what `up` prints)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import EngineEvent
from pulumi.automation._cmd import CommandResult
from pulumi.automation.errors import ConcurrentUpdateError, StackNotFoundError

from automation import runner
from automation.render import Status
from automation.runner import Options, run_stacks
from tests.automation.conftest import StandIn, step

DRIFTED_URN = "urn:pulumi:dev-aws::mlops-platform::aws:s3/bucket:Bucket::artifacts"


class Result:
    def __init__(self, changes: dict[str, int]) -> None:
        self.change_summary = changes


class FakeStack:
    """Answers like `auto.Stack`; `behaviour` decides what preview_refresh / preview do."""

    def __init__(self, behaviour: Callable[[Callable[[EngineEvent], None]], Result]) -> None:
        self.behaviour = behaviour
        self.cancelled = False

    def preview(self, on_event: Callable[[EngineEvent], None], **_: Any) -> Result:
        return self.behaviour(on_event)

    preview_refresh = preview

    def cancel(self) -> None:
        self.cancelled = True


def use_stack(monkeypatch: pytest.MonkeyPatch, stack: FakeStack) -> None:
    opened = lambda **_: stack  # noqa: E731
    monkeypatch.setattr(runner, "SupervisedPulumiCommand", lambda processes: None)  # no CLI to ask its version
    monkeypatch.setattr(runner.auto, "create_or_select_stack", opened)
    monkeypatch.setattr(runner.auto, "select_stack", opened)


def drift_of_one_bucket(on_event: Callable[[EngineEvent], None]) -> Result:
    metadata = {"op": "update", "urn": DRIFTED_URN, "type": "aws:s3/bucket:Bucket", "provider": ""}
    on_event(EngineEvent.from_json({"sequence": 1, "timestamp": 0, "resOutputsEvent": {"metadata": metadata}}))
    return Result({"same": 30, "update": 1})


def failing_with(error: Exception) -> Callable[[Callable[[EngineEvent], None]], Result]:
    def behaviour(_: Callable[[EngineEvent], None]) -> Result:
        raise error

    return behaviour


def test_drift_result_lists_the_drifted_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    use_stack(monkeypatch, FakeStack(drift_of_one_bucket))
    [result] = run_stacks(["dev-aws"], Options(command="drift"), max_parallel=2)
    assert (result.status, result.changes) == (Status.DRIFT, {"update": 1})
    assert result.message == "1 drifted: update aws:s3/bucket:Bucket artifacts"


def test_clean_refresh_preview_is_no_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    use_stack(monkeypatch, FakeStack(lambda _: Result({"same": 30})))
    [result] = run_stacks(["dev-aws"], Options(command="drift"), max_parallel=2)
    assert (result.status, result.message) == (Status.OK, "")


def test_every_stack_gets_its_own_result_row(monkeypatch: pytest.MonkeyPatch) -> None:
    use_stack(monkeypatch, FakeStack(lambda _: Result({"create": 2})))
    results = run_stacks(["dev-aws", "dev-gcp", "dev-azure"], Options(command="preview"), max_parallel=3)
    assert [(r.stack, r.changes) for r in results] == [(s, {"create": 2}) for s in ("dev-aws", "dev-gcp", "dev-azure")]


def test_lock_that_outlasts_the_retries_fails_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    locked = ConcurrentUpdateError(CommandResult("", "error: the stack is currently locked", 255))
    use_stack(monkeypatch, FakeStack(failing_with(locked)))
    [result] = run_stacks(["dev-aws"], Options(command="preview", lock_attempts=1), max_parallel=1)
    assert result.status == Status.FAILED
    assert result.message.startswith("stack is locked by another update after 1 attempts")


def test_missing_stack_says_up_creates_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def select_stack(**_: Any) -> FakeStack:
        raise StackNotFoundError(CommandResult("", "error: no stack named 'dev-aws' found", 255))

    monkeypatch.setattr(runner.auto, "select_stack", select_stack)
    monkeypatch.setattr(runner, "SupervisedPulumiCommand", lambda processes: None)
    [result] = run_stacks(["dev-aws"], Options(command="drift"), max_parallel=1)
    assert (result.status, result.message) == (
        Status.FAILED,
        "stack dev-aws does not exist in this backend; `up` creates it",
    )


def test_unexpected_error_in_a_stack_thread_is_reported_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    use_stack(monkeypatch, FakeStack(failing_with(RuntimeError("plugin crashed"))))
    [result] = run_stacks(["dev-aws"], Options(command="preview"), max_parallel=1)
    assert (result.status, result.message) == (Status.FAILED, "plugin crashed")


class RecordingStack(FakeStack):
    """Records the engine calls `up` makes, in order, with the policy packs each one ran."""

    def __init__(self) -> None:
        super().__init__(lambda _: Result({}))
        self.calls: list[tuple[str, Any]] = []

    def refresh(self, on_event: Callable[[EngineEvent], None], **kwargs: Any) -> Any:
        self.calls.append(("refresh", kwargs.get("policy_packs")))
        return type("R", (), {"summary": type("S", (), {"resource_changes": {"same": 3}})()})()

    def preview(self, on_event: Callable[[EngineEvent], None], **kwargs: Any) -> Result:
        self.calls.append(("preview", kwargs.get("policy_packs")))
        return Result({"update": 1})

    def up(self, on_event: Callable[[EngineEvent], None], **kwargs: Any) -> Any:
        self.calls.append(("up", kwargs.get("policy_packs")))
        summary = type("S", (), {"resource_changes": {"update": 1}})()
        return type("R", (), {"summary": summary, "outputs": {}})()


def test_up_refreshes_then_gates_on_the_policy_pack_before_updating(monkeypatch: pytest.MonkeyPatch) -> None:
    stack = RecordingStack()
    use_stack(monkeypatch, stack)
    [result] = run_stacks(["dev-aws"], Options(command="up"), max_parallel=1)
    pack = [str(runner.POLICY_PACK)]
    assert stack.calls == [("refresh", None), ("preview", pack), ("up", pack)]
    assert (result.status, result.changes) == (Status.OK, {"update": 1})


def test_prepare_installs_each_provider_plugin_at_its_requirements_pin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installed: list[tuple[str, str]] = []

    class Workspace:
        def __init__(self, **_: Any) -> None:
            pass

        def install_plugin(self, name: str, version: str) -> None:
            installed.append((name, version))

    monkeypatch.setattr(runner.auto, "LocalWorkspace", Workspace)
    monkeypatch.setattr(runner, "SupervisedPulumiCommand", lambda processes: None)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pulumi==3.1.0\npulumi-gcp==10.2.0\npulumi-random==4.21.4\n")
    monkeypatch.setattr(runner, "REQUIREMENTS", requirements)
    runner.prepare(Options(command="refresh"), runner.PulumiProcesses())
    assert installed == [("gcp", "v10.2.0"), ("random", "v4.21.4")]


BUCKET = "urn:pulumi:dev-local::mlops-platform::aws:s3/bucket:Bucket::artifacts"
DB = "urn:pulumi:dev-local::mlops-platform::aws:rds/instance:Instance::db"


def up_scenario() -> dict[str, Any]:
    """What the engine streams for `up` creating a bucket and replacing a database (gate preview, then update)."""
    replace = {"keys": ["engineVersion"]}

    def replacement(planning: bool) -> list[dict[str, Any]]:
        return [
            step(kind, op, DB, planning, **replace)
            for op in ("create-replacement", "replace", "delete-replaced")
            for kind in ("resourcePreEvent", "resOutputsEvent")
        ]

    create = [step(kind, "create", BUCKET) for kind in ("resourcePreEvent", "resOutputsEvent")]
    planned = [step(kind, "create", BUCKET, True) for kind in ("resourcePreEvent", "resOutputsEvent")]
    return {
        "refresh": {"events": [step("resOutputsEvent", "same", DB)]},
        "preview": {"events": planned + replacement(True), "summary": {"create": 1, "replace": 1}},
        "up": {"events": create + replacement(False)},
        "history": {"summary": {"create": 1, "replace": 1}},
    }


def test_up_prints_phase_headers_and_each_operation_once(
    stand_in_pulumi: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in_pulumi.play(up_scenario())
    options = Options(command="up", policy_pack=None, backend_url=f"file://{tmp_path}")
    [result] = run_stacks(["dev-local"], options, max_parallel=1)
    lines = capsys.readouterr().out.splitlines()
    headers = [line for line in lines if line.startswith("[dev-local] ---")]
    assert headers == [f"[dev-local] --- {phase} ---" for phase in ("refresh", "preview", "update")]
    assert [line for line in lines if "artifacts" in line] == [
        "[dev-local]  + create             aws:s3/bucket:Bucket  artifacts"
    ]
    assert (result.status, result.changes) == (Status.OK, {"create": 1, "replace": 1})


def test_up_records_the_replacement_once_with_its_cause(stand_in_pulumi: StandIn, tmp_path: Path) -> None:
    stand_in_pulumi.play(up_scenario())
    options = Options(command="up", policy_pack=None, backend_url=f"file://{tmp_path}")
    [result] = run_stacks(["dev-local"], options, max_parallel=1)
    assert [r for r in result.resources if r["name"] == "db"] == [
        {
            "op": "replace",
            "type": "aws:rds/instance:Instance",
            "name": "db",
            "urn": DB,
            "replace_keys": ["engineVersion"],
        }
    ]
