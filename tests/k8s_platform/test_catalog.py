"""The catalog is the one place chart versions live, and the docs table is generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.model import Component, Components, Kserve
from k8s_platform.catalog import (
    CLOUDNATIVE_PG,
    KSERVE,
    KSERVE_CRD,
    MLFLOW,
    OPERATIONS_CHARTS,
    PLATFORM_CHARTS,
    SEAWEEDFS,
    component_table,
)
from offline.harness import StackRun
from tests.k8s_platform.contracts import FLAVOURS, platform_run
from tests.k8s_platform.helpers import RELEASE, release

CATALOG = {chart.chart: chart for charts in PLATFORM_CHARTS.values() for chart in charts} | {
    c.chart: c for c in (SEAWEEDFS, CLOUDNATIVE_PG, *OPERATIONS_CHARTS)
}


def _assert_pinned(run: StackRun) -> None:
    releases = run.of_type(RELEASE)
    assert releases
    for r in releases:
        chart = CATALOG[r.inputs["chart"]]
        assert r.inputs["version"] == chart.version, r.name
        assert r.inputs.get("repositoryOpts", {}).get("repo") == chart.repository, r.name


def test_every_helm_release_of_every_stack_is_pinned_to_the_catalog(any_stack: StackRun) -> None:
    _assert_pinned(any_stack)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_helm_release_on_each_cloud_flavour_is_pinned_to_the_catalog(flavour: str) -> None:
    _assert_pinned(platform_run(flavour))


def test_a_component_version_override_replaces_the_pin() -> None:
    run = platform_run("gcs-nap", components=Components(mlflow=Component(version="1.11.4")))
    assert release(run, "mlflow").inputs["version"] == "1.11.4"


def test_kserve_crds_follow_the_kserve_version_override() -> None:
    run = platform_run("gcs-nap", components=Components(kserve=Kserve(version="v0.19.0")))
    assert release(run, "kserve-crd").inputs["version"] == release(run, "kserve").inputs["version"] == "v0.19.0"
    assert KSERVE.version == KSERVE_CRD.version


def test_a_disabled_component_installs_nothing() -> None:
    run = platform_run("gcs-nap", components=Components(mlflow=Component(enabled=False)))
    assert not [r for r in run.of_type(RELEASE) if r.inputs["chart"] == MLFLOW.chart]


def test_docs_component_table_matches_the_catalog() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "platform.md").read_text()
    assert component_table() in docs
