"""Realistic answers for the resources and provider calls the program makes, one module per provider.

Each provider module exposes `RESOURCES` (type token -> extra output state), `CALLS` (invoke token ->
result) and optionally `default_state(args)` (state every resource of that package gets, e.g. an ARN).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pulumi

from offline.mocks import aws, azure, gcp, kubernetes, random

ResourceAnswer = Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]
CallAnswer = Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]

PROVIDERS: dict[str, ModuleType] = {
    "aws": aws,
    "azure-native": azure,
    "gcp": gcp,
    "kubernetes": kubernetes,
    "random": random,
}


def stable_id(*parts: str) -> str:
    """Deterministic fake IDs, so two plans of the same program print the same thing."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:17]


class PlatformMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        package = args.typ.split(":", 1)[0]
        module = PROVIDERS.get(package)
        state = dict(args.inputs)
        if module is not None:
            default = getattr(module, "default_state", None)
            if default is not None:
                state.update(default(args))
            answer = module.RESOURCES.get(args.typ)
            if answer is not None:
                state.update(answer(args))
        resource_id = state.pop("__id", None) or args.resource_id or f"{args.name}-{stable_id(args.typ, args.name)}"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        package = args.token.split(":", 1)[0]
        module = PROVIDERS.get(package)
        answer = module.CALLS.get(args.token) if module is not None else None
        if answer is None:
            raise LookupError(
                f"offline mocks have no answer for the provider call {args.token!r}; "
                f"add one to CALLS in offline/mocks/{package}.py"
            )
        return answer(args), []  # no check failures; pulumi iterates this list, so it must not be None
