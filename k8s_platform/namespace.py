"""Namespaces with Pod Security Admission labels: the one place a namespace is declared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]
NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace: selectors name a namespace by it."""
SERVES_MODELS_LABEL = "mlops-platform/serves-models"
"""`"true"` on namespaces whose InferenceServices the gateway's model listener admits (`models`, team namespaces)."""


def namespace(
    name: str,
    opts: pulumi.ResourceOptions,
    pod_security: PodSecurityLevel = "restricted",
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> k8s.core.v1.Namespace:
    """A namespace that enforces `pod_security` and warns/audits at `restricted`, so drift is visible.
    `labels` and `annotations` are extra (e.g. a team's); the Pod Security labels always win."""
    return k8s.core.v1.Namespace(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            annotations=dict(annotations) if annotations else None,
            labels={
                **(labels or {}),
                "pod-security.kubernetes.io/enforce": pod_security,
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "app.kubernetes.io/part-of": "mlops-platform",
            },
        ),
        opts=opts,
    )


def namespace_name(ns: k8s.core.v1.Namespace) -> pulumi.Output[str]:
    """The namespace's name as an output: objects placed in it wait for it without an explicit dependency."""
    return ns.metadata.apply(lambda m: m.name or "")
