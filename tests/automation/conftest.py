"""Tests marked `needs_pulumi_cli` run only where the `pulumi` CLI is on PATH; elsewhere they skip, saying why."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

NO_CLI_REASON = "needs the pulumi CLI on PATH (curl -fsSL https://get.pulumi.com | sh)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if shutil.which("pulumi") is not None:
        return
    skip = pytest.mark.skip(reason=NO_CLI_REASON)
    for item in items:
        if item.get_closest_marker("needs_pulumi_cli"):
            item.add_marker(skip)


STAND_INS = Path(__file__).parent / "stand_ins"


class StandIn:
    """A stand-in executable (tests/automation/stand_ins/<name>) first on PATH, recording its calls to a file."""

    def __init__(self, name: str, tmp_path: Path) -> None:
        self.bin = tmp_path / f"bin-{name}"
        self.bin.mkdir()
        self.record = tmp_path / f"{name}-calls.jsonl"
        self.scenario = tmp_path / f"{name}-scenario.json"
        wrapper = self.bin / name
        # Run the script with this interpreter, which has the SDK's gRPC stubs the stand-in streams events with.
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STAND_INS / name}" "$@"\n')
        wrapper.chmod(0o755)

    def play(self, scenario: dict[str, Any]) -> None:
        self.scenario.write_text(json.dumps(scenario))

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "STAND_IN_RECORD": str(self.record),
            "STAND_IN_SCENARIO": str(self.scenario),
        }

    def calls(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line.strip()]

    def wait_until_running(self, count: int = 1, timeout: float = 60.0) -> list[int]:
        """Pids of the first `count` engine operations once they are running (poll the record file)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = [c["pid"] for c in self.calls() if "running" in c]
            if len(running) >= count:
                return running
            time.sleep(0.05)
        raise AssertionError(f"the stand-in never ran {count} engine operation(s): {self.calls()}")


@pytest.fixture
def stand_in_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    stand_in = StandIn("pulumi", tmp_path)
    stand_in.play({})
    for key, value in stand_in.env().items():
        if key.startswith(("PATH", "STAND_IN_")):
            monkeypatch.setenv(key, value)
    return stand_in


def engine_event(kind: str, **payload: Any) -> dict[str, Any]:
    """One engine event as the CLI writes it to --event-log (without sequence/timestamp: the stand-in adds them)."""
    return {kind: payload}


def step(kind: str, op: str, urn: str, planning: bool = False, **metadata: Any) -> dict[str, Any]:
    """A resourcePreEvent / resOutputsEvent with the step metadata of pulumi/automation/events.py."""
    resource_type = urn.split("::")[-2].split("$")[-1]
    meta = {"op": op, "urn": urn, "type": resource_type, "provider": "", **metadata}
    return engine_event(kind, metadata=meta, planning=planning)
