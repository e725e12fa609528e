"""What the driver prints and returns: one line per resource operation, a table per run, the exit code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from automation.exit_codes import ExitCode
from automation.progress import QUIET_OPS


class Status(StrEnum):
    OK = "ok"
    DRIFT = "drift"
    FAILED = "failed"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    """Not started: the driver was interrupted first."""


@dataclass
class StackResult:
    stack: str
    command: str
    status: Status = Status.OK
    changes: dict[str, int] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)
    """One entry per resource that changes: {op, type, name, urn} (+ replace_keys for a replacement)."""
    message: str = ""
    seconds: float = 0.0


def change_counts(op_map: Mapping[Any, int] | None) -> dict[str, int]:
    """Engine op counts as plain {op: n}, without the unchanged ones."""
    counts = {str(getattr(op, "value", op)): n for op, n in (op_map or {}).items()}
    return {op: n for op, n in sorted(counts.items()) if n and op != "same"}


def drifted(counts: Mapping[str, int]) -> bool:
    """A refresh preview found drift when any resource would be updated or deleted from state."""
    return any(n for op, n in counts.items() if op not in QUIET_OPS)


def exit_code(results: list[StackResult]) -> ExitCode:
    """130 interrupted; 1 any failure or refusal; 2 drift (and nothing worse); else 0 (SIGTERM: see StopSignals)."""
    statuses = {r.status for r in results}
    if statuses & {Status.CANCELLED, Status.SKIPPED}:
        return ExitCode.CANCELLED
    if statuses & {Status.FAILED, Status.REFUSED}:
        return ExitCode.ERROR
    if Status.DRIFT in statuses:
        return ExitCode.DRIFT
    return ExitCode.OK


def summary_table(results: list[StackResult]) -> str:
    """One row per stack (a replacement counts once, in its own column), then every replacement and its cause."""
    headers = ["stack", "command", "status", "create", "update", "replace", "delete", "seconds", "note"]
    rows = [
        [
            r.stack,
            r.command,
            r.status.value,
            *(str(r.changes.get(op, 0)) for op in ("create", "update", "replace", "delete")),
            f"{r.seconds:.0f}",
            r.message.splitlines()[0] if r.message else "",
        ]
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    table = [line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)]
    return "\n".join(table + replacement_lines(results))


def replacement_lines(results: list[StackResult]) -> list[str]:
    """Replacements delete the old resource (a database, a cluster): listed apart, with the inputs forcing them."""
    lines = [
        f"  {r.stack}  {item['type']}  {item['name']}  forced by: {', '.join(item.get('replace_keys') or ['?'])}"
        for r in results
        for item in r.resources
        if item["op"] == "replace"
    ]
    return ["", "REPLACEMENTS (the old resource is deleted):", *lines] if lines else []


def change_summary_json(results: list[StackResult]) -> str:
    """What `preview --json-summary FILE` writes for CI to post on a pull request."""
    return json.dumps(
        {
            r.stack: {
                "status": r.status.value,
                "changes": r.changes,
                "resources": r.resources,
                "replacements": [item for item in r.resources if item["op"] == "replace"],
                "message": r.message,
            }
            for r in results
        },
        indent=2,
    )


def drift_report(result: StackResult) -> dict[str, Any]:
    """What `drift --report-dir DIR` writes per stack for the workflow's tracking issue (automation/drift_issue.py)."""
    return {
        "stack": result.stack,
        "status": result.status.value,
        "drifted": result.resources if result.status == Status.DRIFT else [],
        "message": result.message,
    }


def last_error_line(error: BaseException) -> str:
    """The line of a (multi-line) CLI error worth showing: its last `error:` line, else its last line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    return (errors or lines or [type(error).__name__])[-1]


def output_lines(outputs: Mapping[str, Any], show_secrets: bool = False) -> list[str]:
    """`key: value` per stack output (values from OutputValue-like objects), secrets masked unless asked."""
    lines = []
    for key in sorted(outputs):
        value = outputs[key]
        secret = getattr(value, "secret", False)
        plain = getattr(value, "value", value)
        shown = "[secret]" if secret and not show_secrets else json.dumps(plain, default=str)
        lines.append(f"  {key}: {shown}")
    return lines
