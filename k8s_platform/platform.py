"""The cloud-agnostic platform: every in-cluster service, composed from the contract and platform settings."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from clouds.contract import PlatformContract
from config.model import Components, Dns, Environment


@dataclass(frozen=True)
class MlopsPlatformArgs:
    contract: PlatformContract
    components: Components
    dns: Dns
    environment: Environment


class MlopsPlatform(pulumi.ComponentResource):
    """Installs the platform services onto whatever cluster the contract describes."""

    mlflow_url: pulumi.Output[str]

    def __init__(self, name: str, args: MlopsPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:MlopsPlatform", name, None, opts)
        # Filled in by the platform-layer work: one child component per service.
        self.mlflow_url = pulumi.Output.from_input("http://mlflow.mlflow.svc.cluster.local")
        self.register_outputs({"mlflowUrl": self.mlflow_url})
