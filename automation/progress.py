"""What one stack's run prints while it runs: a header per phase, one line per operation, heartbeats for long ones.

The engine reports a resource several times: a pre event when a step starts, an outputs event when it ends, and a
replacement as three steps on one URN (`create-replacement`, the logical `replace`, `delete-replaced`). Here each
operation is printed once per phase, when it finishes, and a replacement once, with the inputs that force it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SYMBOLS = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "replace": "+-",
    "read": ">",
    "import": "=",
    "discard": "-",
}
QUIET_OPS = {"same", "read", "refresh"}
"""Operations that change nothing and would drown the interesting lines."""
REPLACEMENT_STEPS = {"create-replacement", "replace", "delete-replaced"}
"""The engine's steps of one replacement; only `replace` is counted in its change summary (the logical step)."""
VERBS = {"create": "creating", "update": "updating", "delete": "deleting", "replace": "replacing", "read": "reading"}
HEARTBEAT_SECONDS = 60.0


def op_name(metadata: Any) -> str:
    return str(getattr(metadata.op, "value", metadata.op))


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def logical_op(op: str) -> str:
    """The operation a person would name: every step of a replacement is part of one `replace`."""
    return "replace" if op in REPLACEMENT_STEPS else op


def replace_reasons(metadata: Any) -> list[str]:
    """The inputs that force a replacement: the step's `keys`, else the detailed diff's `*-replace` properties."""
    if metadata.keys:
        return list(metadata.keys)
    detailed = metadata.detailed_diff or {}
    return sorted(
        path for path, diff in detailed.items() if str(getattr(diff.diff_kind, "value", "")).endswith("-replace")
    )


@dataclass
class Operation:
    """One resource's operation in one phase: what is done to it, since when, and why if it is a replacement."""

    urn: str
    type: str
    op: str
    started: float
    reasons: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return resource_name(self.urn)

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"op": self.op, "type": self.type, "name": self.name, "urn": self.urn}
        if self.op == "replace":
            entry["replace_keys"] = self.reasons
        return entry


class StackProgress:
    """Turns one stack's engine events into lines; `heartbeat()` is polled by the driver's main loop."""

    def __init__(
        self,
        stack: str,
        clock: Callable[[], float] = time.monotonic,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.stack = stack
        self.clock = clock
        self.heartbeat_seconds = heartbeat_seconds
        self._lock = threading.Lock()
        self.phase_name = ""
        self.planning = False
        self.show_each_operation = True
        self._phase_started = 0.0
        self._last_heartbeat = 0.0
        self._running: dict[str, Operation] = {}
        self.finished: dict[str, Operation] = {}
        """The operations of the current phase that changed something, by URN, in the order they finished."""
        self._messages_seen: set[tuple[str, ...]] = set()  # diagnostics and policy results, once per run

    def prefix(self, text: str) -> str:
        return f"[{self.stack}] {text}"

    def start_phase(self, name: str, planning: bool = False, show_each_operation: bool = True) -> str:
        """Begin `preview`, `refresh`, `update` or `destroy`; returns its header line."""
        with self._lock:
            self.phase_name, self.planning, self.show_each_operation = name, planning, show_each_operation
            self._phase_started = self._last_heartbeat = self.clock()
            self._running.clear()
            self.finished = {}
        return self.prefix(f"--- {name} ---")

    @property
    def replacements(self) -> list[Operation]:
        return [op for op in self.finished.values() if op.op == "replace"]

    def lines_for(self, event: Any) -> list[str]:
        with self._lock:
            if event.resource_pre_event is not None:
                self._started(event.resource_pre_event.metadata)
                return []
            if event.res_outputs_event is not None:
                return self._outputs(event.res_outputs_event.metadata)
            if event.res_op_failed_event is not None:
                return self._failed(event.res_op_failed_event.metadata)
            if event.policy_event is not None:
                return self._policy(event.policy_event)
            if event.diagnostic_event is not None:
                return self._diagnostic(event.diagnostic_event)
        return []

    def _started(self, metadata: Any) -> None:
        op = logical_op(op_name(metadata))
        if op in QUIET_OPS or metadata.urn in self.finished:
            return
        operation = self._running.setdefault(metadata.urn, Operation(metadata.urn, metadata.type, op, self.clock()))
        operation.reasons = operation.reasons or replace_reasons(metadata)

    def _outputs(self, metadata: Any) -> list[str]:
        step = op_name(metadata)
        op = logical_op(step)
        if op in QUIET_OPS:
            self._running.pop(metadata.urn, None)
            return []
        operation = self._running.get(metadata.urn) or Operation(metadata.urn, metadata.type, op, self.clock())
        operation.reasons = operation.reasons or replace_reasons(metadata)
        if not self._operation_done(step):
            self._running[metadata.urn] = operation
            return []
        self._running.pop(metadata.urn, None)
        if metadata.urn in self.finished:  # the same operation reported again
            return []
        self.finished[metadata.urn] = operation
        if op == "replace":
            return [self.replacement_line(operation)]
        return [self.operation_line(operation)] if self.show_each_operation else []

    def _operation_done(self, step: str) -> bool:
        """A planned replacement is known at its logical step; a real one is done once the new resource exists."""
        if step not in REPLACEMENT_STEPS:
            return True
        return step == ("replace" if self.planning else "create-replacement")

    def _failed(self, metadata: Any) -> list[str]:
        operation = self._running.pop(metadata.urn, None)
        op = operation.op if operation else logical_op(op_name(metadata))
        return [self.prefix(f"!! {op} failed        {metadata.type}  {resource_name(metadata.urn)}")]

    def _policy(self, policy: Any) -> list[str]:
        key = ("policy", policy.policy_name, policy.resource_urn or "", policy.message.strip())
        if key in self._messages_seen:  # `up` runs the pack in its gate preview and again in the update
            return []
        self._messages_seen.add(key)
        where = f" ({resource_name(policy.resource_urn)})" if policy.resource_urn else ""
        return [self.prefix(f"policy {policy.enforcement_level} {policy.policy_name}{where}: {policy.message.strip()}")]

    def _diagnostic(self, diagnostic: Any) -> list[str]:
        if diagnostic.severity not in ("error", "warning") or diagnostic.ephemeral:
            return []
        key = ("diagnostic", diagnostic.severity, diagnostic.message.strip())
        if key in self._messages_seen:
            return []
        self._messages_seen.add(key)
        where = f" ({resource_name(diagnostic.urn)})" if diagnostic.urn else ""
        return [self.prefix(f"{diagnostic.severity}{where}: {diagnostic.message.strip()}")]

    def operation_line(self, operation: Operation) -> str:
        return self.prefix(f"{SYMBOLS.get(operation.op, '?'):>2} {operation.op:<18} {operation.type}  {operation.name}")

    def replacement_line(self, operation: Operation) -> str:
        reasons = ", ".join(operation.reasons) or "no input named (replace requested, or the resource is tainted)"
        return self.prefix(f"+- REPLACE            {operation.type}  {operation.name}  (forced by: {reasons})")

    def heartbeat(self) -> list[str]:
        """Every `heartbeat_seconds`, one line naming the operations still running and for how long."""
        with self._lock:
            now = self.clock()
            if not self.phase_name or now - self._last_heartbeat < self.heartbeat_seconds:
                return []
            self._last_heartbeat = now
            running = sorted(self._running.values(), key=lambda op: op.started)
            if not running:
                return []
            shown = [f"{VERBS.get(op.op, op.op)} {op.type} {op.name} ({duration(now - op.started)})" for op in running]
            more = f", and {len(shown) - 3} more" if len(shown) > 3 else ""
            elapsed = duration(now - self._phase_started)
            return [self.prefix(f".. {self.phase_name} running {elapsed}: still {'; '.join(shown[:3])}{more}")]

    def plan_line(self, counts: dict[str, int]) -> str:
        """`preview: 2 to create, 1 to replace` after a gate preview that does not list each operation."""
        planned = ", ".join(f"{n} to {op}" for op, n in counts.items() if op not in QUIET_OPS) or "no changes"
        return self.prefix(f"{self.phase_name}: {planned}")


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
