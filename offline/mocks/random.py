"""Mock answers for pulumi-random: deterministic, recognisable values so tests can look for leaks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi


def fake_password(name: str) -> str:
    """What a RandomPassword named `name` resolves to under mocks; tests search for it where it must not be."""
    return f"mock-password-{name}"


def _password(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"result": fake_password(args.name), "bcryptHash": f"$2a$10$mock{args.name}"}


def _string(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"result": f"mock{args.name}"[: int(args.inputs.get("length", 16))].lower()}


def _id(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"hex": "0a1b2c3d", "b64Url": "CmssPQ", "dec": "169552957"}


def _uuid(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"result": "00000000-0000-4000-8000-000000000000"}


RESOURCES: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = {
    "random:index/randomPassword:RandomPassword": _password,
    "random:index/randomString:RandomString": _string,
    "random:index/randomId:RandomId": _id,
    "random:index/randomUuid:RandomUuid": _uuid,
}
CALLS: dict[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]] = {}
