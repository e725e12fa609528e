"""Project APIs: enabled by the program, so every resource can wait for exactly the APIs it calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import pulumi
import pulumi_gcp as gcp


class Api(StrEnum):
    COMPUTE = "compute.googleapis.com"
    CONTAINER = "container.googleapis.com"
    SQL_ADMIN = "sqladmin.googleapis.com"
    SERVICE_NETWORKING = "servicenetworking.googleapis.com"
    STORAGE = "storage.googleapis.com"
    ARTIFACT_REGISTRY = "artifactregistry.googleapis.com"
    SECRET_MANAGER = "secretmanager.googleapis.com"
    CLOUD_KMS = "cloudkms.googleapis.com"
    IAM = "iam.googleapis.com"
    IAM_CREDENTIALS = "iamcredentials.googleapis.com"
    """Workload Identity exchanges Kubernetes tokens for Google ones through it."""
    RESOURCE_MANAGER = "cloudresourcemanager.googleapis.com"
    """Project-level IAM bindings go through it."""
    LOGGING = "logging.googleapis.com"
    MONITORING = "monitoring.googleapis.com"


@dataclass(frozen=True)
class ProjectServicesArgs:
    project: str
    apis: Sequence[Api] = tuple(Api)
    agents: Sequence[Api] = ()
    """APIs whose Google-managed service agent the stack grants roles to. Google creates an agent some time
    after its API is enabled; granting a role to it before then fails, so each is created explicitly."""


class ProjectServices(pulumi.ComponentResource):
    """Enables the APIs; `needs(...)` returns what a resource must depend on, `agent(...)` an API's service agent."""

    def __init__(self, name: str, args: ProjectServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:ProjectServices", name, None, opts)
        self._services = {
            api: gcp.projects.Service(
                f"{name}-{api.split('.', 1)[0]}",
                project=args.project,
                service=api.value,
                # Other workloads in the project may use the same APIs; destroying this stack must not cut them off.
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for api in args.apis
        }
        self._agents = {
            api: gcp.projects.ServiceIdentity(
                f"{name}-{api.split('.', 1)[0]}-agent",
                project=args.project,
                service=api.value,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self._services[api]]),
            )
            for api in args.agents
        }
        self.register_outputs({"apis": [api.value for api in self._services]})

    def agent(self, api: Api) -> gcp.projects.ServiceIdentity:
        """The API's service agent, once it surely exists; grant roles to its `member`."""
        return self._agents[api]

    def needs(self, *apis: Api) -> list[pulumi.Resource]:
        return [self._services[api] for api in apis]
