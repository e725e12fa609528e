"""Loki and OpenCost are optional add-ons, pinned in the catalog and wired to the platform's Prometheus."""

from __future__ import annotations

from k8s_platform.catalog import ALLOY, LOKI, OPENCOST
from tests.k8s_platform.tenancy.scenarios import dev_run, prod_run

RELEASE = "kubernetes:helm.sh/v3:Release"


def _release_names(run) -> set[str]:
    return {r.name for r in run.of_type(RELEASE)}


def test_logs_and_cost_add_ons_are_off_unless_configured():
    assert _release_names(prod_run()) == {"kyverno"}
    assert _release_names(dev_run()) == {"kyverno", "loki", "alloy", "opencost"}


def test_add_ons_use_the_catalog_pins():
    for chart in (LOKI, ALLOY, OPENCOST):
        release = dev_run().one(RELEASE, chart.chart)
        assert (release.get("version"), release.get("namespace")) == (chart.version, chart.namespace)


def test_loki_keeps_logs_for_the_configured_retention_with_compaction():
    loki = dev_run().one(RELEASE, "loki").get("values.loki")
    assert loki["limits_config"]["retention_period"] == "336h"
    assert loki["compactor"]["retention_enabled"] is True


def test_log_shipper_reads_through_the_api_without_host_access():
    values = dev_run().one(RELEASE, "alloy").get("values")
    assert values["controller"]["type"] == "deployment"
    assert "loki.source.kubernetes" in values["alloy"]["configMap"]["content"]
    assert not values["alloy"].get("mounts", {}).get("varlog")


def test_opencost_reads_the_monitoring_prometheus_and_names_the_cluster():
    opencost = dev_run().one(RELEASE, "opencost").get("values.opencost")
    assert opencost["prometheus"]["internal"]["namespaceName"] == "monitoring"
    assert opencost["exporter"]["defaultClusterId"] == "test-cluster"
