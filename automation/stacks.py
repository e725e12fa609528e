"""Which stacks a command runs on, where their config lives, and which provider plugins they need."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"
POLICY_PACK = ROOT / "policy"
BACKEND_SCHEMES = ("file://", "s3://", "azblob://", "gs://", "https://")
# `pulumi-aws==7.51.1` -> plugin `aws` v7.51.1; `pulumi==` (the SDK) and `pulumi-policy` are not resource plugins.
_PIN = re.compile(r"^pulumi-(?P<name>[a-z0-9-]+)==(?P<version>\d+\.\d+\.\d+\S*)\s*(#.*)?$")
_NOT_PLUGINS = {"policy"}


class SelectionError(ValueError):
    """The command line names stacks that do not exist, or none at all."""


def short_name(stack: str) -> str:
    """`acme/mlops-platform/dev-aws` -> `dev-aws`: the part that names the stack file."""
    return stack.rsplit("/", 1)[-1]


def stack_file(stack: str, root: Path = ROOT) -> Path:
    """The CLI reads this file itself for a stack of the project in `root`, so its config is applied as written."""
    return root / f"Pulumi.{short_name(stack)}.yaml"


def select_stacks(requested: list[str], all_stacks: bool, available: list[str]) -> list[str]:
    """The stacks to run: `--all` means every stack file; otherwise each `--stack` must have one."""
    if all_stacks and requested:
        raise SelectionError("pass --stack NAME (repeatable) or --all, not both")
    if all_stacks:
        if not available:
            raise SelectionError("no Pulumi.<stack>.yaml in the project")
        return list(available)
    if not requested:
        raise SelectionError(f"name a stack with --stack ({', '.join(available) or 'none found'}) or pass --all")
    missing = [s for s in requested if short_name(s) not in available]
    if missing:
        raise SelectionError(
            f"no stack file Pulumi.{short_name(missing[0])}.yaml; stacks here: {', '.join(available) or 'none'}"
        )
    return list(dict.fromkeys(requested))


def plugin_pins(requirements_text: str) -> list[tuple[str, str]]:
    """Resource plugins at the versions pinned in requirements.txt: [("aws", "v7.51.1"), ...]."""
    pins = []
    for line in requirements_text.splitlines():
        match = _PIN.match(line.strip())
        if match and match["name"] not in _NOT_PLUGINS:
            pins.append((match["name"], f"v{match['version']}"))
    return pins


def check_backend_url(url: str) -> str:
    if not url.startswith(BACKEND_SCHEMES):
        raise SelectionError(f"--backend-url {url!r} must start with one of {', '.join(BACKEND_SCHEMES)}")
    return url
