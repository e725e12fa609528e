"""The program's declared resources as the policy rules see them (camelCase inputs, protect, provider inputs)."""

from __future__ import annotations

from offline.harness import StackRun
from policy.rules import Resource
from tests.conftest import stack_run

_resources: dict[str, list[Resource]] = {}


def as_policy_resources(run: StackRun) -> list[Resource]:
    inputs_by_urn = {r.urn: r.inputs for r in run.resources}
    return [
        Resource(
            type=r.type,
            name=r.name,
            props=r.inputs,
            urn=r.urn,
            protect=r.protect,
            dependencies=tuple(r.dependencies),
            # A provider reference is "<provider urn>::<provider id>".
            provider_props=inputs_by_urn.get(r.provider.rsplit("::", 1)[0], {}) if r.provider else {},
        )
        for r in run.resources
        if r.custom
    ]


def policy_resources(stack: str) -> list[Resource]:
    """Every custom resource `stack` declares, converted once per session."""
    if stack not in _resources:
        _resources[stack] = as_policy_resources(stack_run(stack))
    return _resources[stack]
