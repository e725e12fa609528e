"""A component the stack does not install leaves nothing behind in AWS: no role, no queue, no rules."""

from __future__ import annotations

from typing import Any

from offline.harness import StackRun
from tests.clouds.aws.conftest import dev

RELEASE = "kubernetes:helm.sh/v3:Release"

KARPENTER_ONLY = (
    "aws:sqs/queue:Queue",
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
)


def role_names(run: StackRun) -> set[str]:
    return {r.name for r in run.of_type("aws:iam/role:Role")}


def test_without_the_node_autoscaler_no_interruption_queue_or_event_rules_exist(lean: StackRun) -> None:
    assert all(dev().of_type(kind) for kind in KARPENTER_ONLY)
    assert not [r for kind in KARPENTER_ONLY for r in lean.of_type(kind)]


def test_without_the_node_autoscaler_no_karpenter_controller_or_node_role_exists(lean: StackRun) -> None:
    assert {"capacity-karpenter", "capacity-karpenter-node"} <= role_names(dev())
    assert not {name for name in role_names(lean) if "karpenter" in name}
    assert not [a for a in lean.of_type("aws:eks/accessEntry:AccessEntry") if "karpenter" in a.name]


def test_without_the_node_autoscaler_the_contract_says_there_is_none(lean_contract: dict[str, Any]) -> None:
    assert lean_contract["autoscaling"] == {"nodes": "none", "keda": "helm"}
    assert lean_contract["karpenter"] is None
    assert "karpenter" not in lean_contract["identities"]


def test_without_the_node_autoscaler_karpenter_is_not_installed_or_exported(lean: StackRun) -> None:
    releases = {r.name for r in lean.of_type("kubernetes:helm.sh/v3:Release")}
    assert "karpenter" in {r.name for r in dev().of_type("kubernetes:helm.sh/v3:Release")}
    assert "karpenter" not in releases
    assert "karpenterInterruptionQueue" not in lean.outputs


def test_without_the_gateway_no_load_balancer_controller_role_exists(lean: StackRun, published: StackRun) -> None:
    assert "identity-aws-load-balancer-controller" in role_names(published)
    assert "identity-aws-load-balancer-controller" not in role_names(lean)


def test_the_load_balancer_controller_has_a_role_exactly_where_it_is_installed(published: StackRun) -> None:
    for run in (dev(), published):
        installed = any(r.inputs.get("name") == "aws-load-balancer-controller" for r in run.of_type(RELEASE))
        assert ("identity-aws-load-balancer-controller" in role_names(run)) == installed, run.stack


def test_without_the_gateway_the_contract_has_no_load_balancer_controller_identity(
    lean_contract: dict[str, Any],
) -> None:
    assert "aws-load-balancer-controller" not in lean_contract["identities"]
    assert {"mlflow", "kserve-inference", "argo-workflows", "external-secrets"} <= set(lean_contract["identities"])
