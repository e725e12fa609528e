"""Queries shared by the platform tests: Helm releases and their values, by release name."""

from __future__ import annotations

import json
import re
import runpy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from offline.harness import ROOT_DIR, DeclaredResource, StackRun, run_program, stack_file_config
from tests.conftest import REACHABLE_ENDPOINT

RELEASE = "kubernetes:helm.sh/v3:Release"
SCHEMAS = Path(__file__).parent / "crd_schemas"


def release(run: StackRun, name: str) -> DeclaredResource:
    return run.one(RELEASE, name)


def values(run: StackRun, name: str) -> dict[str, Any]:
    return release(run, name).inputs.get("values", {})


def release_names(run: StackRun) -> set[str]:
    return {r.name for r in run.of_type(RELEASE)}


def custom_resources(run: StackRun, kind: str) -> list[DeclaredResource]:
    return [r for r in run.resources if r.custom and r.type.endswith(f":{kind}") and "apiVersion" in r.inputs]


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _strict(schema: Any) -> Any:
    """Reject unknown fields wherever the CRD lists its properties and does not preserve unknown ones.
    Go-only regex syntax (a handful of patterns) is dropped rather than mistranslated."""
    if isinstance(schema, dict):
        schema = {
            k: _strict(v) for k, v in schema.items() if not (k == "pattern" and isinstance(v, str) and not _compiles(v))
        }
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def crd_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    """A validator for `kind` from the upstream CRD schema of the pinned controller (`crd_schemas/`)."""
    group, version = api_version.split("/")
    path = SCHEMAS / f"{group}_{version}_{kind}.json"
    return jsonschema.Draft7Validator(_strict(json.loads(path.read_text())["schema"]))


SSO_KEY = "mlops-sso-client-secret"
REPO_TOKEN_KEY = "mlops-models-repo-token"
WITH_PROVIDED_SECRETS: dict[str, Any] = {
    "mlops-platform:dns": {
        "domain": "ml.example.com",
        "acmeEmail": "platform@example.com",
        "sso": {"issuer": "https://login.example.com/realms/mlops", "clientId": "mlops", "clientSecretKey": SSO_KEY},
    },
    "mlops-platform:components": {
        "argocd": {
            "repositories": [
                {"name": "models", "url": "https://git.example.com/ml/models.git", "tokenKey": REPO_TOKEN_KEY}
            ]
        }
    },
}

_published_runs: dict[str, StackRun] = {}


def published_run(stack: str) -> StackRun:
    """The whole program for `stack` with its UIs published behind SSO (a Let's Encrypt domain) and a private
    ArgoCD repository: the deployer-provided secrets configured."""
    if stack not in _published_runs:
        config, secret_keys = stack_file_config(stack, overrides=REACHABLE_ENDPOINT)
        config.update({key: json.dumps(value) for key, value in WITH_PROVIDED_SECRETS.items()})
        _published_runs[stack] = run_program(_main, f"{stack}-provided-secrets", config, secret_keys)
    return _published_runs[stack]


def _main() -> None:
    runpy.run_path(str(ROOT_DIR / "__main__.py"), run_name="__main__")
