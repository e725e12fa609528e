"""Every IAM and resource policy the AWS foundation declares: built from data, never `*` on `*`."""

from __future__ import annotations

from offline.harness import StackRun
from tests.clouds.aws.conftest import as_list, dev, policy_documents, statements


def _wildcard_grants(run: StackRun) -> list[str]:
    return [
        f"{resource.type} {resource.name}: {statement}"
        for resource, document in policy_documents(run)
        for statement in statements(document)
        if statement["Effect"] == "Allow"
        and "*" in as_list(statement.get("Action", []))
        and "*" in as_list(statement.get("Resource", "*"))
    ]


def test_no_policy_allows_every_action_on_every_resource() -> None:
    assert _wildcard_grants(dev()) == []


def test_no_policy_allows_every_action_on_every_resource_in_production(prod: StackRun) -> None:
    assert _wildcard_grants(prod) == []


def test_every_policy_is_valid_json_with_a_version() -> None:
    documents = list(policy_documents(dev()))
    assert len(documents) > 20
    assert all(document["Version"] == "2012-10-17" for _, document in documents)


def test_no_static_access_keys_exist() -> None:
    types = {r.type for r in dev().resources}
    assert not types & {"aws:iam/accessKey:AccessKey", "aws:iam/user:User"}
