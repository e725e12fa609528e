"""Stable cloud names that fit GCP's length limits (service-account IDs 30 characters, bucket names 63)."""

from __future__ import annotations

import hashlib

SERVICE_ACCOUNT_ID_LIMIT = 30
BUCKET_NAME_LIMIT = 63


def bounded(name: str, limit: int) -> str:
    """`name` itself when it fits; otherwise a truncation with a short hash of the full name, so two long
    names that share a beginning still differ, and the same name always gives the same result."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:5]
    return f"{name[: limit - 6].rstrip('-')}-{digest}"
