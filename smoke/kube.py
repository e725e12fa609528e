"""The cluster side of the smoke test, through kubectl (which every stack's kubeconfig already works with).

The verdicts are pure functions of the objects kubectl returns, so they are tested without a cluster.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

PLATFORM_LABEL = "app.kubernetes.io/part-of=mlops-platform"
"""Every namespace the program creates carries it (k8s_platform/namespace.py)."""


@dataclass
class Kubectl:
    kubeconfig: str | None = None
    context: str | None = None
    binary: str = "kubectl"

    def argv(self, *args: str) -> list[str]:
        base = [self.binary]
        if self.kubeconfig:
            base += ["--kubeconfig", self.kubeconfig]
        if self.context:
            base += ["--context", self.context]
        return [*base, *args]

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        result = subprocess.run(self.argv(*args), input=stdin, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {result.stderr.strip()[:500]}")
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json"))

    def items(self, kind: str, namespaces: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Objects of `kind` in `namespaces` (every namespace when None); [] when the kind is not installed."""
        try:
            found = self.json("get", kind, "--all-namespaces")["items"]
        except RuntimeError as e:
            if "the server doesn't have a resource type" in str(e):
                return []
            raise
        return [o for o in found if namespaces is None or o["metadata"].get("namespace") in namespaces]

    def platform_namespaces(self) -> list[str]:
        return [n["metadata"]["name"] for n in self.json("get", "namespaces", "-l", PLATFORM_LABEL)["items"]]

    def secret(self, namespace: str, name: str) -> dict[str, str]:
        import base64

        data = self.json("get", "secret", name, "-n", namespace).get("data", {})
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    @contextmanager
    def port_forward(self, namespace: str, target: str, port: int, timeout: float = 30) -> Iterator[str]:
        """`kubectl port-forward` through the Kubernetes API to a free local port; yields the local URL."""
        process = subprocess.Popen(
            self.argv("port-forward", "-n", namespace, target, f":{port}"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            match = re.search(r"127\.0\.0\.1:(\d+)", line)
            if not match:
                stderr = process.stderr.read() if process.stderr and process.poll() is not None else ""
                raise RuntimeError(f"port-forward to {namespace}/{target}:{port} failed: {line.strip()} {stderr}")
            yield f"http://127.0.0.1:{match.group(1)}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def helm_releases_not_deployed(release_secrets: list[Mapping[str, Any]]) -> dict[str, str]:
    """Helm keeps each release revision in a Secret labelled owner=helm, name, version, status; the newest
    revision of every release must be `deployed`. Returns `namespace/release` -> status for the others."""
    newest: dict[str, tuple[int, str]] = {}
    for secret in release_secrets:
        labels = secret["metadata"].get("labels", {})
        if labels.get("owner") != "helm":
            continue
        key = f"{secret['metadata']['namespace']}/{labels['name']}"
        revision = int(labels.get("version", 0))
        if key not in newest or revision > newest[key][0]:
            newest[key] = (revision, labels.get("status", "unknown"))
    return {key: status for key, (_, status) in sorted(newest.items()) if status != "deployed"}


def workloads_not_ready(workloads: list[Mapping[str, Any]]) -> dict[str, str]:
    """Deployments and StatefulSets whose ready replicas fall short of the wanted ones."""
    short: dict[str, str] = {}
    for w in workloads:
        wanted = w.get("spec", {}).get("replicas", 1)
        ready = w.get("status", {}).get("readyReplicas", 0)
        if ready < wanted:
            meta = w["metadata"]
            short[f"{w['kind']}/{meta['namespace']}/{meta['name']}"] = f"{ready}/{wanted} ready"
    return short


def pods_not_running(pods: list[Mapping[str, Any]]) -> dict[str, str]:
    """Pods neither Running with every container ready nor Succeeded (finished Jobs), with the reason shown."""
    bad: dict[str, str] = {}
    for pod in pods:
        status = pod.get("status", {})
        phase = status.get("phase", "Unknown")
        if phase == "Succeeded":
            continue
        waiting = [
            c["state"]["waiting"].get("reason", "Waiting")
            for c in status.get("containerStatuses", [])
            if "waiting" in c.get("state", {})
        ]
        unready = [c["name"] for c in status.get("containerStatuses", []) if not c.get("ready")]
        if phase != "Running" or waiting or unready:
            reason = ", ".join(waiting) or (f"not ready: {', '.join(unready)}" if unready else phase)
            bad[f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"] = f"{phase} ({reason})"
    return bad


def not_ready_condition(objects: list[Mapping[str, Any]], condition: str = "Ready") -> dict[str, str]:
    """Objects (ExternalSecrets, Certificates, InferenceServices) whose `condition` is not True, with its message."""
    bad: dict[str, str] = {}
    for o in objects:
        conditions = {c["type"]: c for c in o.get("status", {}).get("conditions", [])}
        found = conditions.get(condition)
        if not found or found.get("status") != "True":
            message = (found or {}).get("message") or (found or {}).get("reason") or "no status yet"
            bad[f"{o['metadata']['namespace']}/{o['metadata']['name']}"] = message
    return bad


@dataclass(frozen=True)
class DownTarget:
    pool: str
    instance: str
    error: str


def targets_down(targets: Mapping[str, Any], monitor_namespace: str) -> list[DownTarget]:
    """Prometheus's /api/v1/targets: active targets of the platform's monitors (ServiceMonitors and PodMonitors in
    `monitor_namespace`, pools named `serviceMonitor/<ns>/<name>/<n>`) whose health is not `up`."""
    down = []
    for t in targets.get("data", {}).get("activeTargets", []):
        pool = t.get("scrapePool", "")
        parts = pool.split("/")
        ours = len(parts) >= 3 and parts[0] in ("serviceMonitor", "podMonitor") and parts[1] == monitor_namespace
        if ours and t.get("health") != "up":
            down.append(DownTarget(pool, t.get("labels", {}).get("instance", "?"), t.get("lastError", "")))
    return down


def summarize(problems: Mapping[str, str], limit: int = 5) -> str:
    shown = [f"{k} {v}" for k, v in list(problems.items())[:limit]]
    more = f" (+{len(problems) - limit} more)" if len(problems) > limit else ""
    return "; ".join(shown) + more


@dataclass
class Cleanup:
    """Objects the smoke test created, deleted at the end unless --keep."""

    manifests: list[tuple[str, str, str]] = field(default_factory=list)
    """(kind, namespace, name)"""

    def add(self, kind: str, namespace: str, name: str) -> None:
        self.manifests.append((kind, namespace, name))
