"""The local object store (SeaweedFS) in a namespace that enforces Pod Security `restricted`."""

from __future__ import annotations

from typing import Any

import pytest

from k8s_platform.catalog import SEAWEEDFS
from tests.conftest import stack_run
from tests.k8s_platform.helpers import values
from tests.k8s_platform.pod_security import chart_context, restricted_violations

SEAWEEDFS_POD_SECURITY_KEYS = {
    # Where chart 4.44.0 reads each rendered pod's contexts (seaweedfs/seaweedfs tag 4.44,
    # k8s/charts/seaweedfs/templates/all-in-one/all-in-one-deployment.yaml and templates/shared/
    # post-install-bucket-hook.yaml): the bucket hook takes the *filer's* contexts, even with the filer off.
    "Deployment/seaweedfs-all-in-one": ("allInOne", "podSecurityContext", "containerSecurityContext"),
    "Job/seaweedfs-bucket-hook": ("filer", "podSecurityContext", "containerSecurityContext"),
}


def test_the_keys_below_are_facts_of_the_pinned_chart() -> None:
    assert SEAWEEDFS.version == "4.44.0"


@pytest.mark.parametrize("pod", sorted(SEAWEEDFS_POD_SECURITY_KEYS))
def test_every_seaweedfs_pod_passes_pod_security_restricted(pod: str) -> None:
    section, pod_key, container_key = SEAWEEDFS_POD_SECURITY_KEYS[pod]
    settings: dict[str, Any] = values(stack_run("dev-local"), "seaweedfs").get(section, {})
    pod_context = chart_context(settings.get(pod_key))
    container_context = chart_context(settings.get(container_key))
    assert restricted_violations(pod_context, [container_context]) == []


def test_seaweedfs_bucket_hook_is_sized() -> None:
    hook = values(stack_run("dev-local"), "seaweedfs")["allInOne"]["s3"]["createBucketsHook"]["resources"]
    assert set(hook["requests"]) == {"cpu", "memory"} and "memory" in hook["limits"]
