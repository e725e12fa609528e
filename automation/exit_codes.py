"""The driver's exit codes, in one place: `--help`, docs/automation.md and the CI workflows all follow this table."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    DRIFT = 2
    USAGE = 64  # sysexits.h EX_USAGE: argparse's default 2 would read as "drift found"
    CANCELLED = 130  # 128 + SIGINT, the shell convention for Ctrl-C
    TERMINATED = 143  # 128 + SIGTERM, e.g. a cancelled CI job


MEANING = {
    ExitCode.OK: "success (and, for drift, no drift)",
    ExitCode.ERROR: "a stack failed, or the driver refused to run",
    ExitCode.DRIFT: "drift found (drift only; nothing worse happened)",
    ExitCode.USAGE: "bad command line",
    ExitCode.CANCELLED: "interrupted (Ctrl-C): running operations cancelled gracefully",
    ExitCode.TERMINATED: "terminated (SIGTERM): cancelled, then stopped after the grace period",
}


def describe_exit_codes() -> str:
    """One line for `--help`: `0 success ..., 1 ..., ...`."""
    return "Exit codes: " + "; ".join(f"{code.value} {MEANING[code]}" for code in ExitCode) + "."
