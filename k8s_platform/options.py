"""Resource options shared by every platform component."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi


def _resources(depends_on: object) -> list[pulumi.Resource]:
    if depends_on is None:
        return []
    if isinstance(depends_on, pulumi.Resource):
        return [depends_on]
    assert isinstance(depends_on, Sequence), "readiness is passed as resources, not as an Output"
    return [r for r in depends_on if isinstance(r, pulumi.Resource)]


def children_of(component: pulumi.ComponentResource, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """Options for a component's children. Pulumi does not pass a component's `depends_on` down to its children,
    so the dependency on the cluster being ready (from MlopsPlatform) is handed on here explicitly."""
    return pulumi.ResourceOptions(parent=component, depends_on=_resources(opts.depends_on) if opts else None)


class ReadyComponent(pulumi.ComponentResource):
    """A component whose every child waits for what the component itself was told to wait for.

    Pulumi does not hand a ComponentResource's `depends_on` to the resources created inside it, so a child built
    with plain `ResourceOptions(parent=self)` starts as soon as its own inputs resolve: before the nodes or the
    PriorityClasses exist. Children get their options from `self.child(...)`, which always carries that readiness
    and adds the child's own orderings; there is no other way to get a parent of `self`."""

    def __init__(self, t: str, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(t, name, None, opts)
        self._ready = _resources(opts.depends_on) if opts else []

    def child(self, *after: pulumi.Resource, **options: object) -> pulumi.ResourceOptions:
        """Options for a child: parent `self`, the component's readiness, then `after` (e.g. its CRDs' release)."""
        return pulumi.ResourceOptions(parent=self, depends_on=[*self._ready, *after], **options)  # type: ignore[arg-type]
