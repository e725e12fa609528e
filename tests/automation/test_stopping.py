"""Ctrl-C and SIGTERM against the real Automation API and a stand-in `pulumi` that records the signals it gets."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from automation.exit_codes import ExitCode
from tests.automation.conftest import StandIn

ROOT = Path(__file__).resolve().parents[2]
HANGING_PREVIEW = {"preview": {"hang": True}}
SUMMARY_ROW = re.compile(r"([a-z0-9][a-z0-9+-]*)\s+\S+\s+(\S+)")
"""A summary row: stack, command, status, ..."""


def start_driver(stand_in: StandIn, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """`python -m automation preview ...` in its own session, as a terminal's foreground job would be."""
    return subprocess.Popen(
        [sys.executable, "-m", "automation", "preview", "--no-policy", "--backend-url", f"file://{tmp_path}", *args],
        cwd=ROOT,
        env=stand_in.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def signals_received(stand_in: StandIn, pid: int) -> list[str]:
    return [c["signal"] for c in stand_in.calls() if c["pid"] == pid and "signal" in c]


def summary_statuses(output: str) -> dict[str, str]:
    """stack -> status from the summary table: the rows between its header rule and the next blank line."""
    rows = output[output.index("stack  ") :].splitlines()[2:]
    table = rows[: rows.index("")] if "" in rows else rows  # after it: replacements, or the SDK's warnings
    # The SDK's warnings go to stderr, which may interleave with the table's lines: keep only rows naming a stack.
    return {row[1]: row[2] for line in table if (row := SUMMARY_ROW.match(line))}


def is_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        state = Path(f"/proc/{pid}/stat")
        if state.exists() and state.read_text().split(") ")[-1].startswith("Z"):
            return True  # exited, waiting to be reaped by init
        time.sleep(0.05)
    return False


def test_terminal_ctrl_c_reaches_pulumi_once_as_a_graceful_interrupt(stand_in_pulumi: StandIn, tmp_path: Path) -> None:
    stand_in_pulumi.play(HANGING_PREVIEW)
    driver = start_driver(stand_in_pulumi, tmp_path, "--stack", "dev-local")
    [pulumi] = stand_in_pulumi.wait_until_running()
    os.killpg(driver.pid, signal.SIGINT)  # what the terminal does: the whole foreground process group
    driver.communicate(timeout=60)
    assert signals_received(stand_in_pulumi, pulumi) == ["SIGINT"]
    assert driver.returncode == ExitCode.CANCELLED


def test_ctrl_c_never_runs_pulumi_cancel(stand_in_pulumi: StandIn, tmp_path: Path) -> None:
    stand_in_pulumi.play(HANGING_PREVIEW)
    driver = start_driver(stand_in_pulumi, tmp_path, "--stack", "dev-local")
    stand_in_pulumi.wait_until_running()
    driver.send_signal(signal.SIGINT)
    driver.communicate(timeout=60)
    assert not [c["argv"] for c in stand_in_pulumi.calls() if c.get("argv", [""])[0] == "cancel"]


def test_ctrl_c_reports_running_stacks_cancelled_and_unstarted_ones_skipped(
    stand_in_pulumi: StandIn, tmp_path: Path
) -> None:
    stand_in_pulumi.play(HANGING_PREVIEW)
    stacks = ["--stack", "dev-local", "--stack", "dev-aws", "--stack", "dev-gcp", "--parallel", "2"]
    driver = start_driver(stand_in_pulumi, tmp_path, *stacks)
    stand_in_pulumi.wait_until_running(count=2)
    driver.send_signal(signal.SIGINT)
    output, _ = driver.communicate(timeout=60)
    assert summary_statuses(output) == {"dev-local": "cancelled", "dev-aws": "cancelled", "dev-gcp": "skipped"}


def test_sigterm_stops_a_pulumi_that_ignores_the_interrupt_prints_the_summary_and_exits_143(
    stand_in_pulumi: StandIn, tmp_path: Path
) -> None:
    stand_in_pulumi.play({"preview": {"hang": True, "ignore_signals": True}})
    driver = start_driver(stand_in_pulumi, tmp_path, "--stack", "dev-local", "--sigterm-grace", "0.5")
    [pulumi] = stand_in_pulumi.wait_until_running()
    driver.send_signal(signal.SIGTERM)  # what a CI runner does to a cancelled job
    output, _ = driver.communicate(timeout=30)
    assert (driver.returncode, summary_statuses(output)) == (ExitCode.TERMINATED, {"dev-local": "cancelled"}), output
    assert signals_received(stand_in_pulumi, pulumi)[0] == "SIGINT"  # graceful first
    assert is_gone(pulumi)


def test_sigterm_lets_pulumi_cancel_gracefully_within_the_grace_period(
    stand_in_pulumi: StandIn, tmp_path: Path
) -> None:
    stand_in_pulumi.play(HANGING_PREVIEW)
    driver = start_driver(stand_in_pulumi, tmp_path, "--stack", "dev-local")
    [pulumi] = stand_in_pulumi.wait_until_running()
    driver.send_signal(signal.SIGTERM)
    driver.communicate(timeout=30)
    assert (driver.returncode, signals_received(stand_in_pulumi, pulumi)) == (ExitCode.TERMINATED, ["SIGINT"])
