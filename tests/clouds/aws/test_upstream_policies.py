"""The controller policies equal upstream's at the pinned chart versions, statement by statement.

The fixtures in `upstream/` are reduced from upstream's own policy files (source and tag inside each) and named
after the chart version in `k8s_platform/catalog.py`: bumping a chart without reviewing its policy fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clouds.aws.iam import Partition
from clouds.aws.identity import load_balancer_controller_policy
from k8s_platform.catalog import AWS_LOAD_BALANCER_CONTROLLER, KARPENTER
from offline.harness import StackRun
from tests.clouds.aws.conftest import dev, statements

UPSTREAM = Path(__file__).parent / "upstream"


def _fixture(name: str) -> dict[str, Any]:
    path = UPSTREAM / name
    assert path.exists(), f"no upstream policy fixture {path.name}: review the controller's policy at that version"
    return json.loads(path.read_text())


def _sorted(value: Any) -> list[Any]:
    return sorted(value if isinstance(value, list) else [value])


def _normal(statement: dict[str, Any]) -> dict[str, Any]:
    """The fixture's shape: Sid, sorted actions and resources, each condition value as a sorted list."""
    assert statement["Effect"] == "Allow"
    normal: dict[str, Any] = {
        "sid": statement.get("Sid"),
        "actions": _sorted(statement["Action"]),
        "resources": _sorted(statement["Resource"]),
    }
    if "Condition" in statement:
        normal["condition"] = {
            op: {key: _sorted(value) for key, value in sorted(pairs.items())}
            for op, pairs in sorted(statement["Condition"].items())
        }
    return normal


def _filled(fixture: dict[str, Any], values: dict[str, str]) -> list[dict[str, Any]]:
    text = json.dumps(fixture["statements"])
    for placeholder, value in values.items():
        text = text.replace("{" + placeholder + "}", value)
    return [_normal_fixture(s) for s in json.loads(text)]


def _normal_fixture(statement: dict[str, Any]) -> dict[str, Any]:
    # Placeholders can change the sort order of resources and values; sort again after filling them in.
    filled = {
        "sid": statement["sid"],
        "actions": sorted(statement["actions"]),
        "resources": sorted(statement["resources"]),
    }
    if "condition" in statement:
        filled["condition"] = {
            op: {k: sorted(v) for k, v in pairs.items()} for op, pairs in statement["condition"].items()
        }
    return filled


def _karpenter_policy(run: StackRun) -> tuple[list[dict[str, Any]], dict[str, str]]:
    policy = statements(json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "capacity-karpenter").inputs["policy"]))
    cluster = run.one("aws:eks/cluster:Cluster")
    values = {
        "partition": cluster.outputs["arn"].split(":")[1],
        "region": cluster.outputs["arn"].split(":")[3],
        "account": "123456789012",
        "cluster": cluster.inputs["name"],
        "node_role_arn": run.one("aws:iam/role:Role", "capacity-karpenter-node").outputs["arn"],
        "queue_arn": run.one("aws:sqs/queue:Queue").outputs["arn"],
    }
    return [_normal(s) for s in policy], values


def _by_sid(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    sids = [s["sid"] for s in found]
    assert len(set(sids)) == len(sids), f"duplicate Sids: {sids}"
    return {s["sid"]: s for s in found}


@pytest.mark.parametrize("region", ["dev", "china"])
def test_karpenter_controller_policy_equals_upstream_at_the_pinned_chart_version(
    region: str, request: pytest.FixtureRequest
) -> None:
    run = dev() if region == "dev" else request.getfixturevalue("china")
    ours, values = _karpenter_policy(run)
    upstream = _filled(_fixture(f"karpenter-{KARPENTER.version}-controller-policy.json"), values)
    ours_by_sid, upstream_by_sid = _by_sid(ours), _by_sid(upstream)
    assert sorted(ours_by_sid) == sorted(upstream_by_sid)
    for sid, statement in upstream_by_sid.items():
        assert ours_by_sid[sid] == statement, sid


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_load_balancer_controller_policy_equals_upstream_at_the_pinned_chart_version(partition: str) -> None:
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    ours = [_normal(s) for s in load_balancer_controller_policy(Partition(partition, suffix))]
    upstream = _filled(
        _fixture(f"aws-load-balancer-controller-{AWS_LOAD_BALANCER_CONTROLLER.version}-policy.json"),
        {"partition": partition},
    )
    key = lambda s: json.dumps(s, sort_keys=True)  # noqa: E731 (IAM statements are a set, not a sequence)
    assert sorted(map(key, ours)) == sorted(map(key, upstream))
