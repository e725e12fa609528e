"""The model image registry: scanned on push, immutable tags, a lifecycle, protected."""

from __future__ import annotations

import json

from tests.clouds.aws.conftest import dev

REPOSITORY = "aws:ecr/repository:Repository"


def test_images_are_scanned_on_push_and_tags_are_immutable() -> None:
    repository = dev().one(REPOSITORY).inputs
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["imageTagMutability"] == "IMMUTABLE"


def test_registry_expires_untagged_images_and_caps_tagged_ones() -> None:
    rules = json.loads(dev().one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    selections = {r["selection"]["tagStatus"]: r["selection"] for r in rules}
    assert selections["untagged"]["countType"] == "sinceImagePushed"
    assert selections["any"]["countType"] == "imageCountMoreThan"
    assert all(r["action"] == {"type": "expire"} for r in rules)


def test_registry_is_protected_and_never_force_deleted() -> None:
    repository = dev().one(REPOSITORY)
    assert repository.protect
    assert repository.inputs.get("forceDelete", False) is False


def test_registry_url_is_exported() -> None:
    run = dev()
    assert run.outputs["registryUrl"] == run.one(REPOSITORY).outputs["repositoryUrl"]
    assert run.outputs["registryUrl"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlops-dev/models"
