"""Azure Container Registry for model and pipeline images: no admin user, pulled by the kubelet identity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from clouds.azure.identity import BuiltInRole, grant


@dataclass(frozen=True)
class RegistryArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    registry_name: str
    sku: str
    kubelet_object_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    protect: bool
    tags: Mapping[str, str]


class Registry(pulumi.ComponentResource):
    registry: azure_native.containerregistry.Registry
    login_server: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:Registry", name, None, opts)
        self.registry = azure_native.containerregistry.Registry(
            "registry",
            registry_name=args.registry_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku={"name": args.sku},
            # Pushes and pulls use Entra ID identities; there is no shared admin password to leak.
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),  # pushed images may exist nowhere else
        )
        # Nodes pull images as the kubelet identity, so no imagePullSecrets are needed anywhere.
        grant(
            "kubelet-acr-pull",
            purpose="kubelet image pull",
            role=BuiltInRole.ACR_PULL,
            principal_id=args.kubelet_object_id,
            scope=self.registry.id,
            subscription_id=args.subscription_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.login_server = self.registry.login_server
        self.register_outputs({"loginServer": self.login_server})
