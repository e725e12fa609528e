"""What every rule sees: a resource as plain data, and the small helpers rules share to read it.

Rules are pure functions of `Resource` (type token, camelCase input properties as the engine sends
them, protect flag, stack name), so the policy pack and the tests run exactly the same code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class _Unknown:
    """A value the engine cannot know during preview (an output of a resource not yet created)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

ENVIRONMENTS = ("dev", "staging", "prod")


class Enforcement(StrEnum):
    MANDATORY = "mandatory"
    ADVISORY = "advisory"


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    protect: bool = False
    dependencies: tuple[str, ...] = ()
    """URNs this resource waits for (directly or through its inputs)."""
    provider_props: Mapping[str, Any] = field(default_factory=dict)
    """Inputs of the provider resource that manages it (AWS default tags, GCP default labels)."""

    @property
    def stack(self) -> str:
        """`urn:pulumi:<stack>::<project>::...` -> `<stack>`."""
        parts = self.urn.split("::")
        return parts[0].removeprefix("urn:pulumi:") if len(parts) > 1 else ""

    def get(self, dotted: str, default: Any = None) -> Any:
        """`res.get("vpcConfig.publicAccessCidrs")`: a nested input, or `default`."""
        return dig(self.props, dotted, default)


@dataclass(frozen=True)
class Rule:
    """One check of single resources; `check` returns what to change (empty when compliant)."""

    name: str
    description: str
    enforcement: Enforcement
    check: Callable[[Resource], list[str]]
    fix: str
    """How to comply, for the docs table and the violation's remediation text."""


@dataclass(frozen=True)
class StackRule:
    """A check that needs several resources at once (e.g. an S3 bucket and its public-access block)."""

    name: str
    description: str
    enforcement: Enforcement
    check: Callable[[Sequence[Resource]], list[tuple[Resource, str]]]
    fix: str


def dig(value: Any, dotted: str, default: Any = None) -> Any:
    for part in dotted.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif _is_list(value) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return default
    return value


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def as_list(value: Any) -> list[Any]:
    """A list input, or [] when it is absent or unknown."""
    return list(value) if _is_list(value) else []


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string leaf of a nested input with its dotted path; unknown values are skipped."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, child in value.items():
            yield from walk_strings(child, f"{path}.{key}" if path else str(key))
    elif _is_list(value):
        for index, child in enumerate(value):
            yield from walk_strings(child, f"{path}.{index}" if path else str(index))


def walk_items(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, value) of every mapping inside a nested input."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            yield child_path, str(key), child
            yield from walk_items(child, child_path)
    elif _is_list(value):
        for index, child in enumerate(value):
            yield from walk_items(child, f"{path}.{index}" if path else str(index))


# Where each cloud keeps a resource's tags/labels, when not at the top-level `tags`/`labels` key.
TAG_PATHS: dict[str, str] = {
    "gcp:container/cluster:Cluster": "resourceLabels",
    "gcp:sql/databaseInstance:DatabaseInstance": "settings.userLabels",
    "gcp:container/nodePool:NodePool": "nodeConfig.resourceLabels",
}


def tags_of(resource: Resource) -> Mapping[str, Any]:
    """The tags/labels a resource will carry: its own plus the provider's defaults (AWS defaultTags,
    GCP defaultLabels)."""
    own = resource.get(TAG_PATHS.get(resource.type, ""), None) if resource.type in TAG_PATHS else None
    if own is None:
        own = resource.props.get("tags", resource.props.get("labels"))
    provider = {key: _json_or_value(value) for key, value in resource.provider_props.items()}
    defaults = dig(provider, "defaultTags.tags", None) or provider.get("defaultLabels")
    merged: dict[str, Any] = {}
    for source in (defaults, own):
        if isinstance(source, Mapping):
            merged.update(source)
    return merged


def _json_or_value(value: Any) -> Any:
    """Provider inputs reach the engine as strings; structured ones (defaultTags) are JSON."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def environment_of(resource: Resource) -> str:
    """dev, staging or prod: the resource's `environment` tag (every cloud resource carries one), else
    the stack name's first word (`dev-aws` -> dev). Unknown means prod: the strict rules apply."""
    tagged = tags_of(resource).get("environment")
    if isinstance(tagged, str) and tagged in ENVIRONMENTS:
        return tagged
    first_word = resource.stack.split("-")[0]
    return first_word if first_word in ENVIRONMENTS else "prod"


def is_open_cidr(cidr: Any) -> bool:
    return isinstance(cidr, str) and cidr.strip() in ("0.0.0.0/0", "::/0", "*", "Internet", "any")
