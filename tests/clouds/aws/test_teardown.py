"""Teardown order: what a controller needs while it cleans up (its IAM policy, its Pod Identity association, the
node access entry of the nodes it launched) is deleted only after the controller and its objects are gone.

`pulumi destroy` deletes dependents before their dependencies, so each edge below is one step of docs/aws.md's
teardown; without them the identities go first, and Karpenter's nodes and the LBC's NLB are orphaned.
"""

from __future__ import annotations

import pytest

from offline.harness import DeclaredResource, StackRun
from tests.clouds.aws.conftest import dev

RELEASE = "kubernetes:helm.sh/v3:Release"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CUSTOM = "kubernetes:{}:{}"


def _release(run: StackRun, name: str) -> DeclaredResource:
    return next(r for r in run.of_type(RELEASE) if r.inputs.get("name") == name)


def _waits_for(run: StackRun, resource: DeclaredResource, other: DeclaredResource) -> bool:
    """`resource` is created after `other` and deleted before it: a path of dependencies leads from one to the
    other (Pulumi orders by the transitive closure; a dependency on a component covers its children)."""
    seen: set[str] = set()
    todo = [resource]
    while todo:
        current = todo.pop()
        if run.depends_on(current, other):
            return True
        for urn in current.dependencies:
            if urn not in seen and any(r.urn == urn for r in run.resources):
                seen.add(urn)
                todo.append(run.by_urn(urn))
    return False


def _custom(run: StackRun, api_version: str, kind: str) -> list[DeclaredResource]:
    return run.of_type(CUSTOM.format(api_version, kind))


def test_karpenter_waits_for_its_role_policy_and_pod_identity_association() -> None:
    run = dev()
    karpenter = _release(run, "karpenter")
    assert run.depends_on(karpenter, run.one("aws:iam/rolePolicy:RolePolicy", "capacity-karpenter"))
    assert run.depends_on(karpenter, run.one(ASSOCIATION, "capacity-karpenter"))


def test_node_class_and_node_pools_wait_for_the_node_access_entry_and_node_policies() -> None:
    run = dev()
    entry = run.one("aws:eks/accessEntry:AccessEntry", "capacity-karpenter-node")
    policies = [
        r
        for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("capacity-karpenter-node-")
    ]
    objects = [*_custom(run, "karpenter.k8s.aws/v1", "EC2NodeClass"), *_custom(run, "karpenter.sh/v1", "NodePool")]
    assert len(objects) == 4 and len(policies) == 4  # a node class and a node pool per spot pool
    for declared in objects:
        assert run.depends_on(declared, entry), declared.name
        assert run.depends_on(declared, _release(run, "karpenter")), declared.name
        assert all(run.depends_on(declared, p) for p in policies), declared.name


@pytest.mark.parametrize("variant", ["dev", "published"])
def test_every_release_waits_for_the_pod_identity_association_of_its_namespace(
    variant: str, request: pytest.FixtureRequest
) -> None:
    run = dev() if variant == "dev" else request.getfixturevalue("published")
    checked = 0
    for association in run.of_type(ASSOCIATION):
        for release in run.of_type(RELEASE):
            if release.inputs.get("namespace") == association.inputs["namespace"]:
                assert _waits_for(run, release, association), (release.inputs["name"], association.name)
                checked += 1
    assert checked >= (5 if variant == "published" else 4)


def test_gateway_proxy_and_gateway_wait_for_the_load_balancer_controller(published: StackRun) -> None:
    controller = _release(published, "aws-load-balancer-controller")
    proxy = _custom(published, "gateway.envoyproxy.io/v1alpha1", "EnvoyProxy")
    gateways = _custom(published, "gateway.networking.k8s.io/v1", "Gateway")
    assert proxy and gateways
    for declared in [*proxy, *gateways]:
        assert published.depends_on(declared, controller), declared.name
