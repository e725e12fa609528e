"""Queries shared by the platform tests: Helm releases and their values, by release name."""

from __future__ import annotations

from typing import Any

from offline.harness import DeclaredResource, StackRun

RELEASE = "kubernetes:helm.sh/v3:Release"


def release(run: StackRun, name: str) -> DeclaredResource:
    return run.one(RELEASE, name)


def values(run: StackRun, name: str) -> dict[str, Any]:
    return release(run, name).inputs.get("values", {})


def release_names(run: StackRun) -> set[str]:
    return {r.name for r in run.of_type(RELEASE)}


def custom_resources(run: StackRun, kind: str) -> list[DeclaredResource]:
    return [r for r in run.resources if r.custom and r.type.endswith(f":{kind}") and "apiVersion" in r.inputs]
