"""Every core Kubernetes object Tenancy declares is valid for the cluster's API version."""

from __future__ import annotations

import functools

import kubernetes_validate
import kubernetes_validate.utils
import pytest

from tests.k8s_platform.tenancy.scenarios import dev_run, prod_run

CORE_GROUPS = {"core", "rbac.authorization.k8s.io", "networking.k8s.io", "scheduling.k8s.io"}
KUBERNETES_VERSION = "1.34.0"


def _core_objects():
    for run in (dev_run(), prod_run()):
        for resource in run.resources:
            package, group_version, _ = resource.type.split(":")
            if package == "kubernetes" and group_version.split("/")[0] in CORE_GROUPS:
                yield resource


def test_there_are_core_objects_to_validate():
    assert len(list(_core_objects())) > 100


def test_every_core_object_validates_against_the_kubernetes_openapi_schema(monkeypatch: pytest.MonkeyPatch):
    # The library re-reads the (large) shared definitions for every object; read each file once.
    monkeypatch.setattr(
        kubernetes_validate.utils, "schema_contents", functools.cache(kubernetes_validate.utils.schema_contents)
    )
    failures = []
    for resource in _core_objects():
        try:
            kubernetes_validate.validate(resource.inputs, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{resource.type} {resource.name}: {error.message}")
    assert failures == []
