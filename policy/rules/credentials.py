"""No static cloud credentials: none in Kubernetes Secrets or Helm values, and no key-minting resources at all.

Workloads reach clouds through workload identity (IRSA/Pod Identity, Azure workload identity, GKE
Workload Identity), so a long-lived key anywhere in the program is a leak waiting to happen.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .model import Enforcement, Resource, Rule, walk_items, walk_strings

KEY_RESOURCES = {
    "aws:iam/accessKey:AccessKey": "aws.iam.AccessKey mints a long-lived AWS key; use IRSA or EKS Pod Identity.",
    "gcp:serviceaccount/key:Key": "gcp.serviceaccount.Key mints a service-account JSON key; use Workload Identity.",
}
AWS_ACCESS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
# Azure client secrets have no recognisable shape, so their conventional key names give them away. AWS pairs are
# found by the access key id (AKIA/ASIA...), not by AWS_SECRET_ACCESS_KEY: S3-compatible in-cluster stores (the
# local stack's SeaweedFS) use that name for generated keys that are not cloud credentials.
SECRET_KEY_NAMES = re.compile(r"^(azure_client_secret|client_?secret)$", re.I)
CARRIERS = {
    "kubernetes:core/v1:Secret": ("data", "stringData"),
    "kubernetes:helm.sh/v3:Release": ("values",),
    "kubernetes:helm.sh/v4:Chart": ("values",),
}


def check_static_credentials(resource: Resource) -> list[str]:
    if resource.type in KEY_RESOURCES:
        return [KEY_RESOURCES[resource.type]]
    fields = CARRIERS.get(resource.type)
    if not fields:
        return []
    problems: list[str] = []
    for field in fields:
        decode = field == "data"  # Secret.data is base64
        for path, finding in _findings(resource.props.get(field), decode):
            problems.append(f"{field}.{path}: {finding}; use workload identity instead of a static key.")
    return problems


def _findings(value: Any, decode: bool) -> Iterator[tuple[str, str]]:
    for path, text in walk_strings(value):
        plain = _b64(text) if decode else text
        if AWS_ACCESS_KEY_ID.search(plain):
            yield path, "contains an AWS access key id"
        if _is_gcp_key(plain):
            yield path, "contains a GCP service-account JSON key"
    for path, key, child in walk_items(value):
        if SECRET_KEY_NAMES.match(key) and isinstance(child, str) and child:
            yield path, f"sets {key!r} (a cloud client secret)"
        if isinstance(child, Mapping) and child.get("type") == "service_account" and "private_key" in child:
            yield path, "contains a GCP service-account JSON key"


def _b64(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return text


def _is_gcp_key(text: str) -> bool:
    if '"private_key"' not in text or "service_account" not in text:
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return True  # a fragment of one is as bad as the whole
    return isinstance(document, Mapping) and document.get("type") == "service_account"


NO_STATIC_CREDENTIALS = Rule(
    name="no-static-cloud-credentials",
    description="No AWS access keys, Azure client secrets or GCP service-account keys in Kubernetes Secrets or "
    "Helm values, and no aws.iam.AccessKey / gcp.serviceaccount.Key resources.",
    enforcement=Enforcement.MANDATORY,
    check=check_static_credentials,
    fix="Give the workload a cloud identity (IRSA/Pod Identity, Azure workload identity, GKE Workload Identity) "
    "and annotate its service account; delete the key.",
)
