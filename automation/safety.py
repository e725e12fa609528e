"""The guard rails around dangerous or contended operations: destroy confirmation, survivors, lock retries."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from automation.stacks import short_name

T = TypeVar("T")


def destroy_refusal(stack: str, confirmation: str | None) -> str | None:
    """Why `destroy` must not run on `stack`, or None when `--yes-destroy` repeats its name exactly."""
    if confirmation is None:
        return f"refusing to destroy {stack}: repeat its name with --yes-destroy {short_name(stack)}"
    if confirmation not in (stack, short_name(stack)):
        return f"refusing to destroy {stack}: --yes-destroy {confirmation!r} does not match the stack name"
    return None


def protected_resources(deployment: Mapping[str, Any] | None) -> list[str]:
    """`type name` of every resource with `protect: true` in an exported stack state: what destroy leaves behind."""
    survivors = []
    for resource in (deployment or {}).get("resources") or []:
        if resource.get("protect"):
            urn = resource.get("urn", "")
            survivors.append(f"{resource.get('type', '?')} {urn.rsplit('::', 1)[-1]}")
    return survivors


def retry_delays(attempts: int = 5, base_seconds: float = 5.0, cap_seconds: float = 60.0) -> list[float]:
    """Seconds to wait before each retry: exponential, capped; `attempts` tries in all."""
    return [min(base_seconds * 2**i, cap_seconds) for i in range(max(attempts - 1, 0))]


def with_retries(
    operation: Callable[[], T],
    retry_on: type[BaseException],
    delays: list[float],
    on_retry: Callable[[int, float], None] = lambda attempt, delay: None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `operation`; while it raises `retry_on` wait the next delay and try again; then let it raise."""
    for attempt, delay in enumerate(delays, start=1):
        try:
            return operation()
        except retry_on:
            on_retry(attempt, delay)
            sleep(delay)
    return operation()
