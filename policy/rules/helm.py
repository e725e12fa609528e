"""Every Helm release names an exact chart version, so a re-run never silently upgrades a component."""

from __future__ import annotations

import re

from .model import Enforcement, Resource, Rule, is_unknown

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
# An exact SemVer (optionally v-prefixed, with pre-release/build parts); ranges and "latest" are not pins.
EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$")


def check_helm_version(resource: Resource) -> list[str]:
    if resource.type not in HELM_TYPES:
        return []
    version = resource.props.get("version")
    if is_unknown(version):
        return []
    chart = resource.props.get("chart", resource.name)
    if not version:
        return [f"Helm chart {chart!r} has no version; pin an exact version in k8s_platform/catalog.py."]
    if not EXACT_VERSION.match(str(version)):
        return [f"Helm chart {chart!r} version {version!r} is a range; pin an exact version (e.g. 1.2.3)."]
    return []


HELM_PINNED = Rule(
    name="helm-release-version-pinned",
    description="Every Helm release pins an exact chart version.",
    enforcement=Enforcement.MANDATORY,
    check=check_helm_version,
    fix="Set `version` to an exact chart version (the HelmChart entry in k8s_platform/catalog.py).",
)
