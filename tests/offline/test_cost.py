"""The cost estimate: idle and full-scale monthly cost from the plan and a pinned, dated price table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from offline import cost
from offline.harness import ROOT_DIR
from tests.conftest import REACHABLE_ENDPOINT, stack_run


def estimate_of(stack: str) -> cost.Estimate:
    return cost.estimate(stack_run(stack), cost.stack_config(stack, overrides=REACHABLE_ENDPOINT))


def line(result: cost.Estimate, item_start: str) -> cost.Line:
    found = [x for x in result.lines if x.item.startswith(item_start)]
    assert len(found) == 1, [x.item for x in result.lines]
    return found[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with the real program and no stack files (tests add their own)."""
    shutil.copy(ROOT_DIR / "__main__.py", tmp_path / "__main__.py")
    return tmp_path


def write_aws_stack(project: Path, name: str, region: str, system_type: str) -> None:
    (project / f"Pulumi.{name}.yaml").write_text(
        "config:\n"
        "  mlops-platform:cloud: aws\n"
        f"  mlops-platform:aws: {{region: {region}}}\n"
        f"  mlops-platform:nodePools: {{system: {{machineTypes: [{system_type}], minSize: 2, maxSize: 3}}}}\n"
    )


def test_spot_pools_cost_nothing_at_idle_and_their_on_demand_ceiling_at_full_scale() -> None:
    result = estimate_of("dev-azure")
    gpu = line(result, "gpuspot:")
    prices = cost.price_table("azure")["regions"]["westeurope"]["vm_hour"]
    assert gpu.idle == 0
    assert gpu.max == pytest.approx(2 * prices["Standard_NC4as_T4_v3"] * cost.HOURS_PER_MONTH)


def test_on_demand_system_pool_bills_its_minimum_at_idle_and_its_maximum_at_full_scale() -> None:
    pool = cost.stack_config("dev-aws", overrides=REACHABLE_ENDPOINT).node_pools.system
    system = line(estimate_of("dev-aws"), "capacity-system:")
    disk = pool.disk_size_gb * cost.price_table("aws")["regions"]["eu-west-1"]["ebs_gp3_gb_month"]
    hourly = cost.price_table("aws")["regions"]["eu-west-1"]["instance_hour"][pool.machine_types[0]]
    assert system.idle == pytest.approx(pool.min_size * (hourly * cost.HOURS_PER_MONTH + disk))
    assert system.max == pytest.approx(pool.max_size * (hourly * cost.HOURS_PER_MONTH + disk))


def test_fixed_charges_are_the_same_at_idle_and_at_full_scale() -> None:
    result = estimate_of("dev-aws")
    database = cost.stack_config("dev-aws", overrides=REACHABLE_ENDPOINT).cloud.database_instance_class
    for item in ("EKS control plane", "NAT gateway", f"RDS PostgreSQL {database}"):
        charge = line(result, item)
        assert charge.idle == charge.max and charge.idle is not None and charge.idle > 0


def test_a_load_balancer_is_counted_only_when_the_stack_creates_one() -> None:
    # The dev stacks publish no UI (no domain): the gateway Service is ClusterIP, so no NLB bills.
    assert not [x for x in estimate_of("dev-aws").lines if "NLB" in x.item]


def test_zonal_gke_cluster_is_credited_the_free_tier() -> None:
    result = estimate_of("dev-gcp")
    assert line(result, "GKE free tier").idle == -line(result, "GKE cluster management fee").idle


def test_local_stack_bills_nothing_to_a_cloud_account() -> None:
    result = estimate_of("dev-local")
    assert (result.total("idle"), result.total("max"), result.lines) == (0, 0, [])


def test_a_machine_type_the_table_does_not_list_has_no_price_and_the_total_is_incomplete(project: Path) -> None:
    # c6i.large is in clouds/machines.py (the program sizes the group from it) but not in the price table.
    write_aws_stack(project, "odd-aws", "eu-west-1", "c6i.large")
    result = cost.stack_estimate("odd-aws", project)
    system = line(result, "capacity-system:")
    assert (system.idle, system.max) == (None, None)
    assert "no price for c6i.large in eu-west-1" in system.basis
    assert not result.complete and result.figure("idle").endswith("+")


def test_a_region_the_table_does_not_list_prices_nothing(project: Path) -> None:
    write_aws_stack(project, "far-aws", "sa-east-1", "m6i.large")
    result = cost.stack_estimate("far-aws", project)
    assert all(x.idle is None for x in result.lines)
    assert "no prices for sa-east-1" in line(result, "EKS control plane").basis


def test_every_price_table_names_its_sources_and_date() -> None:
    for cloud in ("aws", "azure", "gcp"):
        table = cost.price_table(cloud)
        assert table["cloud"] == cloud
        assert table["transcribed"] and table["sources"] and table["regions"]
        assert all(url.startswith("https://") for url in table["sources"].values())


def test_json_output_has_both_totals_and_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cost.main(["dev-gcp", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["stack"] == "dev-gcp" and payload["currency"] == "USD"
    assert payload["idle"] == pytest.approx(sum(x["idle"] or 0 for x in payload["lines"]), abs=0.01)
    assert payload["max"] > payload["idle"] > 0


def test_cost_figures_in_the_docs_are_in_step_with_the_stack_files() -> None:
    markers = cost.doc_markers()
    assert markers, "README.md carries the dev stacks' cost figures between cost markers"
    stale = [
        f"{path.name}: {stack} {which} says {figure}, the estimate is {estimate_of(stack).figure(which)}"
        for path, stack, which, figure in markers
        if figure != estimate_of(stack).figure(which)
    ]
    assert not stale, "run `python -m offline.cost --write-docs`:\n" + "\n".join(stale)


def test_write_docs_rewrites_every_marker_from_the_estimate(project: Path) -> None:
    write_aws_stack(project, "demo-aws", "eu-west-1", "m6i.large")
    (project / "README.md").write_text("Idle: <!-- cost:demo-aws:idle -->$1<!-- /cost --> a month.\n")
    assert cost.main(["--write-docs", "--project-dir", str(project)]) == 0
    expected = cost.stack_estimate("demo-aws", project).figure("idle")
    assert (
        project / "README.md"
    ).read_text() == f"Idle: <!-- cost:demo-aws:idle -->{expected}<!-- /cost --> a month.\n"


def test_cost_of_an_unknown_stack_names_the_stacks_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    assert cost.main(["dev-nowhere"]) == 2
    assert capsys.readouterr().err.startswith("no stack file Pulumi.dev-nowhere.yaml; stacks here: dev-aws, ")
