"""Evaluate `__main__.py` for one stack file under Pulumi mocks and record every declared resource.

Used by the offline plan, the benchmark and the test fixture, so all three see exactly what
`pulumi up -s <stack>` would declare (minus what only a real provider can compute).
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import ROOT, SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from config.loader import read_stack_file
from config.model import PROJECT
from offline.mocks import PlatformMocks

ROOT_DIR = Path(__file__).resolve().parent.parent
SECRET_MASK = "[secret]"


def stack_files(root: Path = ROOT_DIR) -> list[str]:
    """Every stack with a `Pulumi.<stack>.yaml` in the project, sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


class UnknownStackError(ValueError):
    """A command names a stack that has no stack file in the project."""


def known_stacks(names: Sequence[str], available: Sequence[str]) -> list[str]:
    """`names`, each checked to be one of the project's stacks (`stack_files`); the offline commands' one way to say
    which stacks exist when a name is wrong."""
    unknown = [s for s in names if s not in available]
    if unknown:
        raise UnknownStackError(f"no stack file Pulumi.{unknown[0]}.yaml; stacks here: {', '.join(available)}")
    return list(names)


STAND_IN_DEPLOYER: Mapping[str, Any] = {"cluster.endpointAllowList": ["93.184.216.0/24"]}
"""Overrides for offline evaluations of a shipped stack file that are not about the API endpoint (tests, cost
figures, `make verify`): no shipped file can name the deployer's egress CIDR (it is each user's own, and the config
refuses an empty list and documentation ranges), so this routable, non-documentation range stands in for it."""


def stack_file_config(
    stack: str, root: Path = ROOT_DIR, overrides: Mapping[str, Any] | None = None
) -> tuple[dict[str, str], list[str]]:
    """The stack file's config as the engine would hand it to the program: `ns:key` -> string (JSON for
    structured values). Encrypted values cannot be decrypted offline; they become a masked secret.

    `overrides` set values the way `pulumi config set --path` does, by project-relative path
    (`{"cluster.endpointAllowList": ["93.184.216.0/24"]}`), over what the file says.
    Raises `config.ConfigError` for a file Pulumi could not read (YAML syntax, layout)."""
    config, secret_keys = read_stack_file(root / f"Pulumi.{stack}.yaml")
    for dotted, value in (overrides or {}).items():
        top, *path_in_value = dotted.split(".")
        key = top if ":" in top else f"{PROJECT}:{top}"
        if path_in_value:
            document = json.loads(config[key]) if key in config else {}
            node = document
            for part in path_in_value[:-1]:
                node = node.setdefault(part, {})
            node[path_in_value[-1]] = value
            value = document
        config[key] = value if isinstance(value, str) else json.dumps(value)
    return config, secret_keys


@dataclass
class DeclaredResource:
    type: str
    name: str
    urn: str
    parent: str | None
    inputs: dict[str, Any]
    """Plain values (secrets unwrapped) for assertions."""
    masked_inputs: dict[str, Any]
    """The same with every secret replaced by `[secret]`, for printing."""
    outputs: dict[str, Any]
    custom: bool
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    provider: str
    options: dict[str, Any] = field(default_factory=dict)

    def get(self, dotted: str, default: Any = None) -> Any:
        """`res.get("spec.template.metadata.labels")`: a nested input, or `default`."""
        value: Any = self.inputs
        for part in dotted.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return default
        return value


@dataclass
class StackRun:
    stack: str
    resources: list[DeclaredResource]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    mock_values: set[str] = field(default_factory=set)
    """Strings only the mocks made up (IDs, ARNs, endpoints, account numbers): a plan marks values containing them."""

    def of_type(self, type_: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> DeclaredResource:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise LookupError(
                f"expected one {type_}{f' named {name}' if name else ''}; found {len(found)} among {names}"
            )
        return found[0]

    def by_urn(self, urn: str) -> DeclaredResource:
        return next(r for r in self.resources if r.urn == urn)

    def children_of(self, resource: DeclaredResource) -> list[DeclaredResource]:
        return [r for r in self.resources if r.parent == resource.urn]

    def descendants_of(self, resource: DeclaredResource) -> Iterator[DeclaredResource]:
        for child in self.children_of(resource):
            yield child
            yield from self.descendants_of(child)

    def depends_on(self, resource: DeclaredResource, other: DeclaredResource) -> bool:
        """True if `resource` waits for `other` directly, or for a component that contains it."""
        ancestors = {other.urn}
        parent = other.parent
        while parent:
            ancestors.add(parent)
            parent = self.by_urn(parent).parent if any(r.urn == parent for r in self.resources) else None
        return bool(ancestors & set(resource.dependencies))


class RecordingMonitor(MockMonitor):
    """The stock mock monitor, also keeping what mocks are not told: parent, protect, dependencies, secrets."""

    def __init__(self, mocks: PlatformMocks) -> None:
        super().__init__(mocks)
        self.declared: list[DeclaredResource] = []
        self.ids: list[str] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.ids.append(response.id)
            registration = self.resources.get(response.urn)
            raw = json_format.MessageToDict(request.object)
            self.declared.append(
                DeclaredResource(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent or None,
                    inputs=_unwrap_secrets(rpc.deserialize_properties(request.object)),
                    masked_inputs=_mask_secrets(raw),
                    outputs=_unwrap_secrets(registration.state) if registration else {},
                    custom=request.custom,
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    dependencies=list(request.dependencies),
                    provider=request.provider,
                    options={
                        "ignoreChanges": list(request.ignoreChanges),
                        "deleteBeforeReplace": request.deleteBeforeReplace,
                        "additionalSecretOutputs": list(request.additionalSecretOutputs),
                        "customTimeouts": json_format.MessageToDict(request.customTimeouts),
                    },
                )
            )
        return response


def _unwrap_secrets(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return _unwrap_secrets(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


def _mask_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET_MASK
        return {k: _mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_secrets(v) for v in value]
    return value


def run_stack(stack: str, root: Path = ROOT_DIR, overrides: Mapping[str, Any] | None = None) -> StackRun:
    """Run the program for `stack` under mocks (`overrides` as in `stack_file_config`). Raises
    `config.ConfigError` for a bad stack file."""
    config, secret_keys = stack_file_config(stack, root, overrides)

    def program() -> None:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")

    return run_program(program, stack, config, secret_keys)


def run_program(
    program: Callable[[], None],
    stack: str = "unit",
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
) -> StackRun:
    """Run any function that declares resources under the same mocks and recording as a whole stack, so a
    component can be tested on inputs the test builds itself."""
    mocks = PlatformMocks()
    mock_values: set[str] = set()
    answer_call = mocks.call

    def recording_call(args: Any) -> Any:
        answer = answer_call(args)
        mock_values.update(_made_up_strings(answer[0]))
        return answer

    mocks.call = recording_call  # type: ignore[method-assign]
    monitor = RecordingMonitor(mocks)
    ROOT.set(None)  # a fresh root Stack per run, so outputs of an earlier run do not leak into this one
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()
    _sync_await(run_pulumi_func(program))

    stack_resource = pulumi.runtime.get_root_resource()
    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()
    for key, value in getattr(stack_resource, "outputs", {}).items():
        output = pulumi.Output.from_input(value)
        outputs[key] = _sync_await(output.future())
        if _sync_await(output.is_secret()):
            secret_outputs.add(key)
    for resource in monitor.declared:
        computed = {k: v for k, v in resource.outputs.items() if k not in resource.inputs}
        mock_values.update(_made_up_strings(computed))
    mock_values.update(_made_up_strings(monitor.ids))
    # What the stack file says (a region, a CIDR, a name) is real even where a mock echoes it.
    given = [_decoded(value) for value in (config or {}).values()]
    mock_values -= set(_made_up_strings(given))
    return StackRun(stack, monitor.declared, outputs, secret_outputs, mock_values)


def _decoded(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _made_up_strings(value: Any) -> Iterator[str]:
    """String leaves that look like identifiers (8+ characters with a digit), not words such as `ACTIVE`."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _made_up_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _made_up_strings(item)
    elif isinstance(value, str) and len(value) >= 8 and any(c.isdigit() for c in value):
        yield value
