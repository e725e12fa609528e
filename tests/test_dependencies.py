"""One set of pins: pyproject.toml (what uv and Pulumi's uv toolchain install), requirements.txt (what the
Automation API driver reads for plugin versions) and uv.lock (the same versions, every file hash-checked)."""

from __future__ import annotations

import re
import tomllib

from offline.harness import ROOT_DIR

PYPROJECT = tomllib.loads((ROOT_DIR / "pyproject.toml").read_text())
LOCK = tomllib.loads((ROOT_DIR / "uv.lock").read_text())


def pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)==([^\s;#]+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_pyproject_pins_exactly_the_runtime_requirements() -> None:
    requirements = pins((ROOT_DIR / "requirements.txt").read_text().splitlines())
    assert pins(PYPROJECT["project"]["dependencies"]) == requirements


def test_the_lock_file_holds_every_pinned_version() -> None:
    locked = {package["name"]: package["version"] for package in LOCK["package"]}
    for name, version in pins(PYPROJECT["project"]["dependencies"]).items():
        assert locked.get(name) == version, f"{name}: uv.lock has {locked.get(name)}; run `make lock`"


def test_every_locked_file_has_a_hash() -> None:
    for package in LOCK["package"]:
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        if package.get("source", {}).get("virtual"):
            continue  # the project itself
        assert files and all(f["hash"].startswith("sha256:") for f in files), package["name"]


def test_the_plan_installs_no_test_tools() -> None:
    locked = {package["name"] for package in LOCK["package"]}
    assert not locked & {"pytest", "pytest-xdist", "ruff", "mypy", "kubernetes-validate", "pulumi-policy"}
