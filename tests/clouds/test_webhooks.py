"""The webhook port table: read at the pinned chart versions, and narrowed to the components a stack installs."""

from __future__ import annotations

from clouds.webhooks import KYVERNO, WEBHOOK_SERVERS, webhook_ports
from config.model import Components
from k8s_platform.catalog import KYVERNO as KYVERNO_CHART
from k8s_platform.catalog import PLATFORM_CHARTS


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
