"""One way to install a Helm chart: the same timeouts, failure handling and pinning for every release."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from config.model import Component
from k8s_platform.catalog import HelmChart


def helm_release(
    name: str,
    chart: HelmChart,
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    *,
    version: str | None = None,
    namespace: pulumi.Input[str] | None = None,
    timeout_seconds: int = 600,
    atomic: bool = True,
) -> k8s.helm.v3.Release:
    """A `helm.v3.Release` of a catalog chart.

    `atomic` rolls a failed install or upgrade back, so a half-applied release never lingers; it is
    turned off only for charts whose hooks legitimately outlive the timeout. `helm.v3.Release` (not
    `helm.v4.Chart`) is used because Helm owns the release lifecycle (hooks, rollback) and its inputs
    are visible to policy packs and tests. Pass the namespace as the Namespace resource's name output, so
    the release waits for its namespace without an explicit dependency.
    """
    return k8s.helm.v3.Release(
        name,
        k8s.helm.v3.ReleaseArgs(
            name=name,
            chart=chart.chart,
            version=version or chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository) if chart.repository else None,
            namespace=namespace or chart.namespace,
            create_namespace=False,
            values=dict(values),
            atomic=atomic,
            cleanup_on_fail=True,
            timeout=timeout_seconds,
            max_history=5,
            skip_await=False,
        ),
        opts,
    )


def pinned(chart: HelmChart, component: Component) -> str:
    """The chart version to install: the stack's `components.<name>.version` override, else the catalog pin."""
    return component.version or chart.version
