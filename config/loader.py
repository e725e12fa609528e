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
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pydantic import BaseModel, ValidationError

from config.aws import AwsSettings
from config.azure import AzureSettings
from config.gcp import GcpSettings
from config.local import LocalSettings
from config.model import PROJECT, CloudSettings
from config.stack import CLOUDS, StackConfig

CLOUD_SETTINGS: dict[str, type[CloudSettings]] = {
    "aws": AwsSettings,
    "azure": AzureSettings,
    "gcp": GcpSettings,
    "local": LocalSettings,
}


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    namespace: str | None = PROJECT
    """The key's config namespace; None for a problem of the stack file itself (its YAML, its layout)."""

    def __str__(self) -> str:
        return f"{self.namespace}:{self.key}: {self.message}" if self.namespace else f"{self.key}: {self.message}"


class ConfigError(pulumi.RunError):
    """Raised before any resource exists. `pulumi.RunError` is reported by Pulumi without a traceback."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        count = f"{len(problems)} configuration problem{'s' if len(problems) != 1 else ''}"
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {count}; nothing was declared.\n{lines}")


def parse_stack_config(raw: Mapping[str, Any], source: str, secret_keys: Collection[str] = ()) -> StackConfig:
    """Validate project config (keys without the `mlops-platform:` prefix, values already decoded).

    `secret_keys` (without the prefix) are never echoed in a message: the CLI hands the program their
    decrypted value."""
    data = _without_nulls(dict(raw))
    hidden = frozenset(secret_keys)
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
        shown = SECRET_SHOWN if cloud in hidden else repr(block)
        problems.append(Problem(str(cloud), f"got {shown}; expected a mapping of {cloud} settings"))
        block = {}
    if problems:
        # Validate the rest anyway so the user sees every problem in one run.
        data["cloud"] = {"cloud": "local"}
        problems += _validate(data, cloud_key=None, hidden=hidden)[1]
        raise ConfigError(source, problems)
    settings = CLOUD_SETTINGS[str(cloud)]
    data = _with_cloud_defaults(data, settings.DEFAULT_NODE_POOLS)
    config, problems = _validate({**data, "cloud": {**block, "cloud": cloud}}, cloud_key=cloud, hidden=hidden)
    if problems or config is None:
        raise ConfigError(source, problems)
    return config


SECRET_SHOWN = "a secret value (not shown)"
"""What a message says instead of a value the stack file encrypts."""


def _without_nulls(value: Any) -> Any:
    """An empty YAML block (`database:` with nothing under it) means "the defaults", as it does to Pulumi."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _with_cloud_defaults(data: dict[str, Any], pools: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Fill what a pool leaves unset with the chosen cloud's defaults (an Azure stack without `nodePools` gets
    Azure VM sizes, not the AWS instance types of the cloud-neutral model)."""
    given = data.get("nodePools", data.get("node_pools", {}))
    if not isinstance(given, dict) or not pools:
        return data
    merged = dict(given)
    for pool, defaults in pools.items():
        current = merged.get(pool, {})
        # Only a pool that names no machine type takes the cloud's: its GPU type belongs to that machine.
        if isinstance(current, dict) and "machineTypes" not in current and "machine_types" not in current:
            merged[pool] = {**defaults, **current}
    key = "nodePools" if "nodePools" in data or "node_pools" not in data else "node_pools"
    return {**data, key: merged}


def load_stack_config() -> StackConfig:
    """Read this stack's config the way the Pulumi engine hands it to the program."""
    source = f"Pulumi.{pulumi.get_stack()}.yaml"
    settings = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    secret = set(pulumi.runtime.config.get_config_secret_keys_env()) | {
        key for key in settings if pulumi.runtime.config.is_config_secret(key)
    }
    return parse_engine_config(settings, source, secret)


def parse_engine_config(settings: Mapping[str, Any], source: str, secret_keys: Collection[str] = ()) -> StackConfig:
    """Validate config as the engine passes it (`namespace:key` -> value); a key whose namespace is a
    misspelling of the project's is reported instead of silently ignored."""
    misspelled = namespace_problems(settings)
    prefix = f"{PROJECT}:"
    hidden = [key[len(prefix) :] for key in secret_keys if key.startswith(prefix)]
    try:
        config = parse_stack_config(decode_project_config(settings), source, hidden)
    except ConfigError as error:
        raise ConfigError(source, misspelled + error.problems) from None
    if misspelled:
        raise ConfigError(source, misspelled)
    return config


def namespace_problems(settings: Mapping[str, Any]) -> list[Problem]:
    """`mlops-platfrom:cloud` is not ours, but it was surely meant to be."""
    problems = []
    for full_key in settings:
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT and difflib.get_close_matches(namespace, [PROJECT], n=1, cutoff=0.8):
            problems.append(
                Problem(key, f"unknown config namespace {namespace!r}; did you mean {PROJECT}:{key}?", namespace)
            )
    return problems


def project_config() -> dict[str, Any]:
    """This stack's config as the engine passed it to the program."""
    return decode_project_config({**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()})


STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")
"""The top-level keys of a Pulumi.<stack>.yaml (Pulumi's stack settings file)."""
OFFLINE_SECRET = "offline-plan-placeholder"
"""What an encrypted value becomes offline (nothing can decrypt it there); never shown in a message."""


def read_stack_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """A stack file's config as the engine would hand it to the program: `ns:key` -> string (JSON for structured
    values), plus the keys holding encrypted values. Encrypted values, top-level or nested in a structured
    value, cannot be decrypted offline: the value becomes a placeholder and its key is a secret, as the CLI
    marks a key secret when any value inside it is encrypted.

    Raises ConfigError (file, line, what was expected) for YAML syntax errors and a layout Pulumi would reject.
    """
    source = path.name
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        what = " ".join(str(part) for part in (error.context, error.problem) if part)
        hint = "; a value starting with a character such as * & ! { [ @ ` or containing ': ' must be quoted"
        raise ConfigError(source, [Problem(where, f"not valid YAML ({what}){hint}", None)]) from None
    except yaml.YAMLError as error:
        raise ConfigError(source, [Problem("file", f"not valid YAML ({error})", None)]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ConfigError(
            source, [Problem("line 1", f"got a {kind}; a stack file is a mapping with a `config:` key", None)]
        )
    problems = []
    for key in document:
        if key not in STACK_FILE_KEYS:
            guess = difflib.get_close_matches(str(key), STACK_FILE_KEYS, n=1)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            line = _line_of(path, str(key))
            problems.append(
                Problem(
                    f"{line}{key}", f"unknown top-level key; {hint}a stack file has {', '.join(STACK_FILE_KEYS)}", None
                )
            )
    settings = document.get("config") or {}
    if not isinstance(settings, dict):
        line = _line_of(path, "config")
        problems.append(
            Problem(f"{line}config", f"got {_show(settings)}; expected a mapping of `{PROJECT}:<key>: value`", None)
        )
        settings = {}
    if problems:
        raise ConfigError(source, problems)
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in settings.items():
        full_key = key if ":" in str(key) else f"{PROJECT}:{key}"
        plain, secret = _replace_secure(value)
        if secret:
            secret_keys.append(full_key)
        config[full_key] = plain if isinstance(plain, str) else json.dumps(plain)
    return config, secret_keys


def _replace_secure(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return OFFLINE_SECRET, True
    if isinstance(value, dict):
        pairs = {k: _replace_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_replace_secure(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _line_of(path: Path, key: str) -> str:
    """`line 3: ` for a top-level key of the file, so the message points at it."""
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if re.match(rf"^{re.escape(key)}\s*:", text):
            return f"line {number}: "
    return ""


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


def _validate(
    data: dict[str, Any], cloud_key: str | None, hidden: frozenset[str] = frozenset()
) -> tuple[StackConfig | None, list[Problem]]:
    try:
        return StackConfig.model_validate(data), []
    except ValidationError as exc:
        problems = [p for err in exc.errors() for p in _problems_from(err, cloud_key, hidden)]
        return None, problems


def _problems_from(
    err: Mapping[str, Any], cloud_key: str | None, hidden: frozenset[str] = frozenset()
) -> list[Problem]:
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
    value = err.get("input")
    if kind in ("literal_error", "enum"):
        message = "allowed values: " + ", ".join(re.findall(r"'([^']*)'", message))
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        message = f"expected {PATTERN_WORDS[pattern]}" if pattern in PATTERN_WORDS else message
    if isinstance(value, float) or (
        isinstance(value, str) and kind == "string_pattern_mismatch" and _float_text(value)
    ):
        message += (
            f"; YAML reads an unquoted {value} as a number, which drops trailing zeros (1.30 becomes 1.3):"
            ' quote it, e.g. "1.30"'
        )
    shown = SECRET_SHOWN if loc and str(loc[0]) in hidden else _show(value)
    return [Problem(_join(loc), f"got {shown}; {message[0].lower()}{message[1:]}")]


def _float_text(value: str) -> bool:
    return bool(re.fullmatch(r"\d+\.\d", value))


PATTERN_WORDS: dict[str, str] = {
    r"^([01]\d|2[0-3]):[0-5]\d$": "a time of day HH:MM, 24-hour (e.g. 02:00)",
    r"^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$": (
        "a Kubernetes label value: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter "
        "or digit (or empty)"
    ),
    r"^([a-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$": (
        "a Kubernetes label key: an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.', "
        "starting and ending with a letter or digit (e.g. nvidia.com/gpu)"
    ),
    r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$": "a lowercase DNS domain such as ml.example.com",
    r"^(https://|ssh://|git@)\S+$": "a Git URL starting with https://, ssh:// or git@, without spaces",
    r"^1\.\d{2}$": 'a Kubernetes minor version such as "1.34" (quoted, two digits after the dot)',
    r"^Standard_[A-Za-z0-9_]+$": "an Azure SKU name starting with Standard_ (e.g. Standard_B2s)",
    r"^[A-Za-z0-9._()-]{1,89}[A-Za-z0-9_()-]$": (
        "an Azure resource group name: 1-90 letters, digits, '.', '_', '-', '(' or ')', not ending with '.'"
    ),
    r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,254}$": (
        "a secret-store key: up to 255 letters, digits, '/', '_', '.' or '-', starting with a letter or digit"
    ),
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "an e-mail address (name@example.com)",
    r"^gke-security-groups@([a-z0-9-]+\.)+[a-z]{2,63}$": (
        "the Google group gke-security-groups@<your domain> (lowercase), which Google Groups for RBAC requires"
    ),
    r"^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$": (
        "up to 52 lowercase letters, digits or '-', starting and ending with a letter or digit"
    ),
    r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(/[a-z0-9._-]+)*$": (
        "a lowercase registry host with an optional :port and /path (e.g. ghcr.io/my-org)"
    ),
    r"^[a-z0-9][a-z0-9-]{0,62}$": "up to 63 lowercase letters, digits or '-', starting with a letter or digit",
    r"^[a-z0-9_-]{0,63}$": "up to 63 lowercase letters, digits, '_' or '-' (what AWS, Azure and GCP all accept)",
    r"^[a-z](-?[a-z0-9])+$": (
        "lowercase letters and digits starting with a letter, with single '-' only between characters (e.g. ml-ops)"
    ),
    r"^[a-z]+-[a-z]+\d+-[a-z]$": "a GCP zone such as europe-west4-a",
    r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$": (
        "3-22 lowercase letters, digits or '-', starting with a letter and ending with a letter or digit"
    ),
    r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$": (
        "a GCP project ID: 6-30 lowercase letters, digits or '-', starting with a letter, not ending with '-'"
    ),
    r"^[a-z][a-z0-9_]{0,62}$": "up to 63 lowercase letters, digits or '_', starting with a letter",
    r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$": "a Kubernetes quantity such as 32, 500m or 128Gi",
    r"^al2023@(latest|v\d{8})$": "al2023@latest or a release al2023@vYYYYMMDD",
    r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$": (
        "an IAM role ARN, arn:<partition>:iam::<12-digit account>:role/<name>"
    ),
    r"^db-[a-z0-9-]+$": "a Cloud SQL tier such as db-custom-2-7680",
    r"^db\.[a-z0-9]+\.[a-z0-9]+$": "an RDS instance class such as db.t4g.medium",
    r"^https://\S+$": "an https:// URL without spaces",
    r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$": "an exact chart version such as 1.2.3 or v1.2.3 (no ranges)",
}
"""Every pattern of the model, said in words (a test checks none is missing)."""


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
