"""Mock answers for the azure provider (filled in by the azure foundation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

RESOURCES: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = {}
CALLS: dict[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]] = {}
