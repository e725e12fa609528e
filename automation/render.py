"""What the driver prints and returns: one line per resource operation, a table per run, the exit code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SYMBOLS = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "replace": "+-",
    "create-replacement": "++",
    "delete-replaced": "--",
    "read": ">",
    "refresh": "~",
    "import": "=",
    "discard": "-",
}
QUIET_OPS = {"same", "read", "refresh"}
"""Operations that change nothing and would drown the interesting lines."""


class Status(StrEnum):
    OK = "ok"
    DRIFT = "drift"
    FAILED = "failed"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class ExitCode:
    OK = 0
    ERROR = 1
    DRIFT = 2
    CANCELLED = 130


@dataclass
class StackResult:
    stack: str
    command: str
    status: Status = Status.OK
    changes: dict[str, int] = field(default_factory=dict)
    resources: list[dict[str, str]] = field(default_factory=list)
    """The operations seen on the event stream: {op, type, name}."""
    message: str = ""
    seconds: float = 0.0


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def event_line(stack: str, event: Any) -> str | None:
    """One readable line for an engine event worth showing, else None.

    Resource operations are shown when they finish (or, in a preview, when planned); failures, errors,
    warnings and policy violations always; unchanged resources never.
    """
    if event.res_outputs_event is not None:
        meta = event.res_outputs_event.metadata
        op = str(getattr(meta.op, "value", meta.op))
        if op in QUIET_OPS:
            return None
        return f"[{stack}] {SYMBOLS.get(op, '?'):>2} {op:<18} {meta.type}  {resource_name(meta.urn)}"
    if event.res_op_failed_event is not None:
        meta = event.res_op_failed_event.metadata
        op = str(getattr(meta.op, "value", meta.op))
        return f"[{stack}] !! {op} failed        {meta.type}  {resource_name(meta.urn)}"
    if event.policy_event is not None:
        policy = event.policy_event
        where = f" ({resource_name(policy.resource_urn)})" if policy.resource_urn else ""
        return f"[{stack}] policy {policy.enforcement_level} {policy.policy_name}{where}: {policy.message.strip()}"
    if event.diagnostic_event is not None:
        diagnostic = event.diagnostic_event
        if diagnostic.severity in ("error", "warning") and not diagnostic.ephemeral:
            where = f" ({resource_name(diagnostic.urn)})" if diagnostic.urn else ""
            return f"[{stack}] {diagnostic.severity}{where}: {diagnostic.message.strip()}"
    return None


def resource_operation(event: Any) -> dict[str, str] | None:
    """{op, type, name} of a finished (or planned) resource operation that changes something."""
    if event.res_outputs_event is None:
        return None
    meta = event.res_outputs_event.metadata
    op = str(getattr(meta.op, "value", meta.op))
    if op in QUIET_OPS | {"same"}:
        return None
    return {"op": op, "type": meta.type, "name": resource_name(meta.urn)}


def change_counts(op_map: Mapping[Any, int] | None) -> dict[str, int]:
    """Engine op counts as plain {op: n}, without the unchanged ones."""
    counts = {str(getattr(op, "value", op)): n for op, n in (op_map or {}).items()}
    return {op: n for op, n in sorted(counts.items()) if n and op != "same"}


def drifted(counts: Mapping[str, int]) -> bool:
    """A refresh preview found drift when any resource would be updated or deleted from state."""
    return any(n for op, n in counts.items() if op not in QUIET_OPS)


def exit_code(results: list[StackResult]) -> int:
    """0 all good; 2 drift (and nothing worse); 1 any failure or refusal; 130 interrupted."""
    statuses = {r.status for r in results}
    if Status.CANCELLED in statuses:
        return ExitCode.CANCELLED
    if statuses & {Status.FAILED, Status.REFUSED}:
        return ExitCode.ERROR
    if Status.DRIFT in statuses:
        return ExitCode.DRIFT
    return ExitCode.OK


def summary_table(results: list[StackResult]) -> str:
    """One row per stack: status, creates/updates/deletes (replaces count as both), time, note."""
    headers = ["stack", "command", "status", "create", "update", "delete", "seconds", "note"]
    rows = []
    for r in results:
        c = r.changes
        replaced = c.get("replace", 0) + c.get("create-replacement", 0)
        rows.append(
            [
                r.stack,
                r.command,
                r.status.value,
                str(c.get("create", 0) + replaced),
                str(c.get("update", 0)),
                str(c.get("delete", 0) + c.get("delete-replaced", 0) + c.get("replace", 0)),
                f"{r.seconds:.0f}",
                r.message.splitlines()[0] if r.message else "",
            ]
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def change_summary_json(results: list[StackResult]) -> str:
    """What `preview --json-summary FILE` writes for CI to post on a pull request."""
    return json.dumps(
        {
            r.stack: {
                "status": r.status.value,
                "changes": r.changes,
                "resources": r.resources,
                "message": r.message,
            }
            for r in results
        },
        indent=2,
    )


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
