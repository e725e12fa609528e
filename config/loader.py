"""Turns the stack file's `mlops-platform:*` keys into a validated StackConfig, or one clear error.

A bad stack file never reaches resource declaration and never prints a Python traceback: every problem
is reported on its own line with the stack file, the full key, what was given and what is allowed.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from config.model import PROJECT
from config.stack import CLOUDS, StackConfig


@dataclass(frozen=True)
class Problem:
    key: str
    message: str

    def __str__(self) -> str:
        return f"{PROJECT}:{self.key}: {self.message}"


class ConfigError(pulumi.RunError):
    """Raised before any resource exists. `pulumi.RunError` is reported by Pulumi without a traceback."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        count = f"{len(problems)} configuration problem{'s' if len(problems) != 1 else ''}"
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {count}; nothing was declared.\n{lines}")


def parse_stack_config(raw: Mapping[str, Any], source: str) -> StackConfig:
    """Validate project config (keys without the `mlops-platform:` prefix, values already decoded)."""
    data = dict(raw)
    problems: list[Problem] = []
    cloud = data.pop("cloud", None)
    if cloud is None:
        problems.append(Problem("cloud", f"is required; allowed values: {', '.join(CLOUDS)}"))
    elif cloud not in CLOUDS:
        problems.append(Problem("cloud", f"got {cloud!r}; allowed values: {', '.join(CLOUDS)}"))
    for other in CLOUDS:
        if other != cloud and other in data:
            problems.append(
                Problem(other, f"is set but cloud is {cloud!r}; remove it, or set {PROJECT}:cloud to {other!r}")
            )
            data.pop(other)
    block = data.pop(cloud, {}) if cloud in CLOUDS else {}
    if not isinstance(block, dict):
        problems.append(Problem(str(cloud), f"got {block!r}; expected a mapping of {cloud} settings"))
        block = {}
    if problems:
        # Validate the rest anyway so the user sees every problem in one run.
        data["cloud"] = {"cloud": "local"}
        problems += _validate(data, cloud_key=None)[1]
        raise ConfigError(source, problems)
    config, problems = _validate({**data, "cloud": {**block, "cloud": cloud}}, cloud_key=cloud)
    if problems or config is None:
        raise ConfigError(source, problems)
    return config


def load_stack_config() -> StackConfig:
    """Read this stack's config the way the Pulumi engine hands it to the program."""
    source = f"Pulumi.{pulumi.get_stack()}.yaml"
    return parse_stack_config(project_config(), source)


def project_config() -> dict[str, Any]:
    """This stack's config as the engine passed it to the program."""
    return decode_project_config({**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()})


def decode_project_config(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Every `mlops-platform:*` key without its prefix, JSON-decoded where Pulumi passed structured values as text."""
    prefix = f"{PROJECT}:"
    return {key[len(prefix) :]: _decode(value) for key, value in settings.items() if key.startswith(prefix)}


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _validate(data: dict[str, Any], cloud_key: str | None) -> tuple[StackConfig | None, list[Problem]]:
    try:
        return StackConfig.model_validate(data), []
    except ValidationError as exc:
        problems = [p for err in exc.errors() for p in _problems_from(err, cloud_key)]
        return None, problems


def _problems_from(err: Mapping[str, Any], cloud_key: str | None) -> list[Problem]:
    loc = _stack_file_path(err["loc"], cloud_key)
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if cloud_key is None and ((loc and loc[0] == "cloud") or kind == "config_problems"):
        return []  # the cloud itself was already reported; checks against a stand-in cloud would mislead
    if kind == "config_problems":
        return [Problem(_join(loc + _key_path(key)), message) for key, message in ctx["problems"]]
    if kind == "config_problem":
        return [Problem(_join(loc + _key_path(ctx["key"])), ctx["message"])]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(err["loc"][:-1])
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        return [Problem(_join(loc), f"unknown key; {hint}allowed keys: {', '.join(allowed)}")]
    if kind == "missing":
        return [Problem(_join(loc), "is required")]
    message = err["msg"].removeprefix("Value error, ")
    if kind in ("literal_error", "enum"):
        message = "allowed values: " + ", ".join(re.findall(r"'([^']*)'", message))
    return [Problem(_join(loc), f"got {_show(err.get('input'))}; {message[0].lower()}{message[1:]}")]


def _key_path(dotted: str) -> tuple[str | int, ...]:
    return tuple(int(part) if part.isdigit() else part for part in dotted.split("."))


def _stack_file_path(loc: tuple[Any, ...], cloud_key: str | None) -> tuple[Any, ...]:
    """Pydantic says ('cloud', 'aws', 'region'); the stack file says `aws.region`."""
    if len(loc) >= 2 and loc[0] == "cloud" and loc[1] in CLOUDS:
        return (loc[1], *loc[2:])
    return tuple(loc)


def _join(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _show(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, dict | list) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = StackConfig
    for part in loc:
        model = _step(model, part)
        if model is None:
            return []
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    keys = [f.alias or name for name, f in model.model_fields.items() if name != "cloud" or model is StackConfig]
    return sorted(keys + list(CLOUDS) if model is StackConfig else keys)


def _step(model: Any, part: Any) -> Any:
    """The type found one step down `loc` from `model` (a field, a union member, a list or dict item)."""
    if isinstance(part, int):
        args = typing.get_args(model)
        return args[0] if args else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return _unwrap(field.annotation)
        return None
    for member in typing.get_args(model):  # a discriminated union: the tag picks the member
        fields = getattr(member, "model_fields", {})
        if "cloud" in fields and typing.get_args(fields["cloud"].annotation) == (part,):
            return member
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated so a field's model type is what remains."""
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            non_none = [a for a in args if a is not type(None)]
            if len(non_none) == 1:
                annotation = non_none[0]
            else:
                return annotation
        else:
            return annotation
