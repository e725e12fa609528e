"""Namespaces with Pod Security Admission labels: the one place a namespace is declared."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


def namespace(
    name: str, opts: pulumi.ResourceOptions, pod_security: PodSecurityLevel = "restricted"
) -> k8s.core.v1.Namespace:
    """A namespace that enforces `pod_security` and warns/audits at `restricted`, so drift is visible."""
    return k8s.core.v1.Namespace(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            labels={
                "pod-security.kubernetes.io/enforce": pod_security,
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "app.kubernetes.io/part-of": "mlops-platform",
            },
        ),
        opts=opts,
    )
