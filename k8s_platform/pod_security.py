"""Security contexts that pass Pod Security `restricted`, in the shape charts take them.

Every namespace the platform creates enforces `restricted` unless it says otherwise (`namespace.py`); a pod that
lacks any of these fields is rejected at admission, Helm hook Jobs and init containers included, and an atomic
release then times out. Charts spell the keys differently, so each chart's module places these dicts where that
chart reads them (checked against the rendered pods at the pinned chart version).
"""

from __future__ import annotations

from typing import Any

RUNTIME_DEFAULT_SECCOMP = {"type": "RuntimeDefault"}

RESTRICTED_CONTAINER: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": RUNTIME_DEFAULT_SECCOMP,
}
"""Per container: what `restricted` checks on every container and init container."""


def restricted_pod(uid: int, *, fs_group: bool = True) -> dict[str, Any]:
    """Pod-level context for an image whose default user is root or a name: `runAsNonRoot` needs a numeric
    non-zero user to verify, and `fsGroup` makes a mounted volume writable for it."""
    pod: dict[str, Any] = {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "seccompProfile": RUNTIME_DEFAULT_SECCOMP,
    }
    if fs_group:
        pod |= {"fsGroup": uid, "fsGroupChangePolicy": "OnRootMismatch"}
    return pod


def restricted_container(uid: int | None = None) -> dict[str, Any]:
    """`RESTRICTED_CONTAINER`, with a numeric user for charts that have no pod-level context."""
    return {**RESTRICTED_CONTAINER, **({"runAsUser": uid, "runAsGroup": uid} if uid is not None else {})}


def enabled(context: dict[str, Any]) -> dict[str, Any]:
    """For charts that gate a context behind `enabled: true` and drop the flag when rendering (SeaweedFS)."""
    return {"enabled": True, **context}
