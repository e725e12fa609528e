"""Pod Security `restricted`, checked the way the admission plugin checks it, on a pod's effective contexts.

Kubernetes' rules (kubernetes.io/docs/concepts/security/pod-security-standards, "Restricted"): every container
and init container runs as non-root (pod or container level), disallows privilege escalation, drops ALL
capabilities (adding back at most NET_BIND_SERVICE) and has a RuntimeDefault or Localhost seccomp profile
(pod or container level); no user 0, no privileged containers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def restricted_violations(pod: Mapping[str, Any] | None, containers: Sequence[Mapping[str, Any] | None]) -> list[str]:
    """What `restricted` would reject, given the pod's securityContext and each container's."""
    pod = pod or {}
    problems: list[str] = []
    for index, container in enumerate(containers):
        container = container or {}
        where = f"container {index}"
        if container.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation must be false")
        capabilities = container.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            problems.append(f"{where}: capabilities.drop must contain ALL")
        if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            problems.append(f"{where}: only NET_BIND_SERVICE may be added")
        if container.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
            problems.append(f"{where}: runAsNonRoot must be true")
        if container.get("runAsUser", pod.get("runAsUser")) == 0:
            problems.append(f"{where}: runAsUser must not be 0")
        seccomp = container.get("seccompProfile") or pod.get("seccompProfile") or {}
        if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{where}: seccompProfile must be RuntimeDefault or Localhost")
        if container.get("privileged"):
            problems.append(f"{where}: privileged")
    return problems


def chart_context(context: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A context as a chart that gates it with `enabled` renders it: absent unless enabled, without the flag."""
    if not context or context.get("enabled") is False:
        return None
    if "enabled" in context and context["enabled"] is not True:
        return None
    return {k: v for k, v in context.items() if k != "enabled"}
