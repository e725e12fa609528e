"""Resource options shared by every platform component."""

from __future__ import annotations

import pulumi


def children_of(component: pulumi.ComponentResource, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """Options for a component's children. Pulumi does not pass a component's `depends_on` down to its children,
    so the dependency on the cluster being ready (from MlopsPlatform) is handed on here explicitly."""
    return pulumi.ResourceOptions(parent=component, depends_on=opts.depends_on if opts else None)
