"""Project APIs: enabled by the stack, never disabled on destroy, and awaited by whatever calls them."""

from __future__ import annotations

import pytest

from offline.harness import StackRun
from tests.conftest import stack_run

SERVICE = "gcp:projects/service:Service"


def gcp() -> StackRun:
    return stack_run("dev-gcp")


def api(run: StackRun, service: str):
    return next(r for r in run.of_type(SERVICE) if r.inputs["service"] == service)


def test_apis_stay_enabled_when_the_stack_is_destroyed() -> None:
    services = gcp().of_type(SERVICE)
    assert services
    assert all(s.inputs["disableOnDestroy"] is False for s in services)


@pytest.mark.parametrize(
    ("resource_type", "service"),
    [
        ("gcp:container/cluster:Cluster", "container.googleapis.com"),
        ("gcp:compute/network:Network", "compute.googleapis.com"),
        ("gcp:servicenetworking/connection:Connection", "servicenetworking.googleapis.com"),
        ("gcp:sql/databaseInstance:DatabaseInstance", "sqladmin.googleapis.com"),
        ("gcp:storage/bucket:Bucket", "storage.googleapis.com"),
        ("gcp:artifactregistry/repository:Repository", "artifactregistry.googleapis.com"),
        ("gcp:kms/keyRing:KeyRing", "cloudkms.googleapis.com"),
        ("gcp:secretmanager/secret:Secret", "secretmanager.googleapis.com"),
        ("gcp:serviceaccount/account:Account", "iam.googleapis.com"),
        ("gcp:logging/projectBucketConfig:ProjectBucketConfig", "logging.googleapis.com"),
    ],
)
def test_resources_wait_for_the_api_they_call(resource_type: str, service: str) -> None:
    run = gcp()
    resources = run.of_type(resource_type)
    assert resources, f"the stack declares no {resource_type}"
    for resource in resources:
        assert run.depends_on(resource, api(run, service)), f"{resource.name} does not wait for {service}"
