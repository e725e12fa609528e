"""Every Kubernetes object declared directly (not through Helm) is valid for the cluster it goes to.

Built-in kinds are checked, offline, against the Kubernetes OpenAPI schema of the stack's version
(`kubernetes_validate`, strict: unknown fields fail). Custom resources are checked against the upstream CRD
schema of the controller version the catalog pins (`crd_schemas/`, descriptions stripped; see each file's
`source`), with unknown fields rejected as the API server's strict field validation would.
"""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from offline.harness import DeclaredResource, StackRun
from tests.conftest import stack_run
from tests.k8s_platform.contracts import FLAVOURS, platform_run
from tests.k8s_platform.helpers import crd_validator

RUNS = {"dev-local": lambda: stack_run("dev-local"), **{f: (lambda f=f: platform_run(f)) for f in FLAVOURS}}
KUBERNETES_VERSION = "1.34"
"""The version every stack above runs (dev-local's stack file and the hand-made contracts)."""


def _objects(run: StackRun) -> list[DeclaredResource]:
    return [
        r
        for r in run.resources
        if r.custom
        and r.type.startswith("kubernetes:")
        and "apiVersion" in r.inputs
        and "kind" in r.inputs
        # Server-side patches (e.g. DeploymentPatch) are partial objects by design: no schema requires them whole.
        and not r.type.endswith("Patch")
    ]


CRD_GROUPS = ("gateway.networking.k8s.io",)
"""Groups under k8s.io that are still custom resources, not built into the API server."""


def _is_builtin(api_version: str) -> bool:
    group = api_version.split("/")[0] if "/" in api_version else ""
    return group == "" or (group.endswith("k8s.io") and group not in CRD_GROUPS)


@pytest.mark.parametrize("run_name", RUNS)
def test_builtin_objects_validate_against_the_kubernetes_schema(run_name: str) -> None:
    objects = [r for r in _objects(RUNS[run_name]()) if _is_builtin(r.inputs["apiVersion"])]
    assert objects
    for r in objects:
        kubernetes_validate.validate(r.inputs, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("run_name", RUNS)
def test_platform_custom_resources_validate_against_their_pinned_crd(run_name: str) -> None:
    run = RUNS[run_name]()
    (platform,) = run.of_type("mlops:platform:MlopsPlatform")
    objects = [
        r for r in run.descendants_of(platform) if r in _objects(run) and not _is_builtin(r.inputs["apiVersion"])
    ]
    assert objects
    for r in objects:
        manifest = {k: r.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec") if k in r.inputs}
        crd_validator(r.inputs["apiVersion"], r.inputs["kind"]).validate(manifest)


def test_schema_check_rejects_an_unknown_field() -> None:
    with pytest.raises(jsonschema.ValidationError):
        crd_validator("karpenter.sh/v1", "NodePool").validate(
            {
                "apiVersion": "karpenter.sh/v1",
                "kind": "NodePool",
                "metadata": {},
                "spec": {"template": {}, "limitz": {}},
            }
        )
