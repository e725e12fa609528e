"""The webhook port table: read at the pinned chart versions, and narrowed to the components a stack installs."""

from __future__ import annotations

from clouds.webhooks import KYVERNO, WEBHOOK_SERVERS, markdown_table, webhook_ports
from config.model import Components
from k8s_platform.catalog import KYVERNO as KYVERNO_CHART
from k8s_platform.catalog import PLATFORM_CHARTS
from offline.harness import ROOT_DIR


def test_every_port_was_read_at_the_chart_version_the_catalog_pins() -> None:
    pins = {chart.chart.rsplit("/", 1)[-1]: chart.version for charts in PLATFORM_CHARTS.values() for chart in charts}
    pins[KYVERNO_CHART.chart] = KYVERNO_CHART.version
    for servers in WEBHOOK_SERVERS.values():
        for server in servers:
            assert pins[server.chart] == server.version, f"re-read {server.server}'s port at {pins[server.chart]}"


def test_table_keys_are_components_or_kyverno() -> None:
    assert set(WEBHOOK_SERVERS) - {KYVERNO} <= set(Components.model_fields)


def test_all_components_call_kserve_kyverno_keda_and_cert_manager_ports() -> None:
    assert webhook_ports(Components()) == [6443, 9443, 10250]


def test_a_disabled_component_opens_no_port() -> None:
    components = Components.model_validate({"keda": {"enabled": False}})
    assert 6443 not in webhook_ports(components)


def test_kyverno_is_counted_even_with_every_component_off() -> None:
    off = {name: {"enabled": False} for name in Components.model_fields}
    assert webhook_ports(Components.model_validate(off)) == [9443]


def test_a_cloud_managed_keda_opens_no_port_for_it() -> None:
    assert 6443 not in webhook_ports(Components(), helm_keda=False)


def test_docs_show_the_table_the_firewall_is_built_from() -> None:
    page = (ROOT_DIR / "docs" / "gcp.md").read_text()
    assert f"<!-- webhooks:table -->\n{markdown_table()}\n<!-- /webhooks:table -->" in page
