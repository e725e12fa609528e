"""Mock answers for pulumi-kubernetes: objects come back with their metadata, as the API server would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi


def default_state(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    metadata = dict(args.inputs.get("metadata") or {})
    metadata.setdefault("name", args.name)
    return {"metadata": metadata} if "metadata" in args.inputs or args.custom else {}


def _release(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = args.inputs.get("name") or args.name
    return {
        "name": name,
        "status": {
            "name": name,
            "namespace": args.inputs.get("namespace", "default"),
            "version": args.inputs.get("version", ""),
            "status": "deployed",
            "revision": 1,
        },
    }


RESOURCES: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = {
    "kubernetes:helm.sh/v3:Release": _release,
}
CALLS: dict[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]] = {}
