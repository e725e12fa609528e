"""Blob storage: the hardened storage-account shape, and MLflow's private, versioned artifact container."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from clouds.contract import ArtifactStore, ArtifactStoreKind
from config.model import ObjectStore as ObjectStoreSettings


def network_rules(
    *,
    subnet_ids: Sequence[pulumi.Input[str]] = (),
    ip_ranges: Sequence[str] = (),
    trusted_services: bool = False,
) -> dict[str, Any]:
    """Deny by default: only these subnets (through their `Microsoft.Storage` service endpoint) and public
    ranges reach the data plane. `trusted_services` lets Azure's trusted services in (Network Watcher writing
    flow logs); ARM management calls are never subject to these rules."""
    return {
        "default_action": "Deny",
        "bypass": "AzureServices" if trusted_services else "None",
        "virtual_network_rules": [{"virtual_network_resource_id": s, "action": "Allow"} for s in subnet_ids],
        "ip_rules": [{"i_p_address_or_range": _storage_ip(r), "action": "Allow"} for r in ip_ranges],
    }


def _storage_ip(cidr: str) -> str:
    # Storage IP rules take a single address without a prefix length; /31 and /32 are rejected.
    address, _, length = cidr.partition("/")
    return address if length in ("", "32") else cidr


def storage_account(
    name: str,
    *,
    account_name: str,
    resource_group_name: pulumi.Input[str],
    location: str,
    tags: Mapping[str, str],
    shared_key_access: bool,
    sku: str,
    network: Any,
    opts: pulumi.ResourceOptions,
) -> azure_native.storage.StorageAccount:
    """StorageV2 with TLS 1.2, HTTPS only, no anonymous blob access and infrastructure (double) encryption.
    `network` (from `network_rules`) is required: no account is created open to every network."""
    return azure_native.storage.StorageAccount(
        name,
        account_name=account_name,
        resource_group_name=resource_group_name,
        location=location,
        kind="StorageV2",
        sku={"name": sku},
        access_tier=azure_native.storage.AccessTier.HOT,
        minimum_tls_version="TLS1_2",
        enable_https_traffic_only=True,
        allow_blob_public_access=False,
        allow_shared_key_access=shared_key_access,
        # Entra ID is the default for portal and CLI data access too, matching the disabled keys.
        default_to_o_auth_authentication=not shared_key_access,
        allow_cross_tenant_replication=False,
        public_network_access="Enabled",  # reachable only as `network_rule_set` allows
        network_rule_set=network,
        encryption={
            "key_source": "Microsoft.Storage",
            "require_infrastructure_encryption": True,
            "services": {"blob": {"enabled": True, "key_type": "Account"}},
        },
        tags=dict(tags),
        opts=opts,
    )


@dataclass(frozen=True)
class ArtifactStorageArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    account_name: str
    container_name: str
    settings: ObjectStoreSettings
    soft_delete_days: int
    protect: bool
    tags: Mapping[str, str]
    allowed_subnet_ids: Sequence[pulumi.Input[str]] = ()
    """Subnets whose pods reach the blobs (the AKS node subnet); nothing else does but `allowed_ip_ranges`."""
    allowed_ip_ranges: Sequence[str] = ()


class ArtifactStorage(pulumi.ComponentResource):
    """MLflow's artifact root: a container nobody reaches with a key or anonymously, only with an identity."""

    artifact_store: ArtifactStore
    account: azure_native.storage.StorageAccount
    container: azure_native.storage.BlobContainer

    def __init__(self, name: str, args: ArtifactStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:ArtifactStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        common: dict[str, Any] = {"resource_group_name": args.resource_group_name}

        self.account = storage_account(
            "account",
            account_name=args.account_name,
            location=args.location,
            tags=args.tags,
            shared_key_access=False,
            sku="Standard_ZRS",  # every location the config allows has zones: artifacts survive losing one
            # MLflow proxies artifacts, so only pods on the nodes (and listed admin ranges) need the data plane.
            network=network_rules(subnet_ids=args.allowed_subnet_ids, ip_ranges=args.allowed_ip_ranges),
            opts=stateful,
            **common,
        )
        blob_service = azure_native.storage.BlobServiceProperties(
            "blob-service",
            account_name=self.account.name,
            blob_services_name="default",
            is_versioning_enabled=True,
            change_feed={"enabled": True},
            delete_retention_policy={"enabled": True, "days": args.soft_delete_days},
            container_delete_retention_policy={"enabled": True, "days": args.soft_delete_days},
            opts=child,
            **common,
        )
        self.container = azure_native.storage.BlobContainer(
            "artifacts",
            container_name=args.container_name,
            account_name=self.account.name,
            public_access=azure_native.storage.PublicAccess.NONE,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[blob_service]),
            **common,
        )
        # Versioning keeps every overwrite; old versions expire so the bill does not grow without bound.
        azure_native.storage.ManagementPolicy(
            "lifecycle",
            account_name=self.account.name,
            management_policy_name="default",
            policy={
                "rules": [
                    {
                        "name": "expire-noncurrent-versions",
                        "type": "Lifecycle",
                        "enabled": True,
                        "definition": {
                            "filters": {"blob_types": ["blockBlob"]},
                            "actions": {
                                "version": {
                                    "delete": {
                                        "days_after_creation_greater_than": (
                                            args.settings.noncurrent_version_expiration_days
                                        )
                                    }
                                }
                            },
                        },
                    }
                ]
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[blob_service]),
            **common,
        )

        prefix = args.settings.artifact_prefix
        self.artifact_store = ArtifactStore(
            kind=ArtifactStoreKind.AZURE_BLOB,
            bucket=self.container.name,
            prefix=prefix,
            uri=pulumi.Output.concat(
                "wasbs://", self.container.name, "@", self.account.name, ".blob.core.windows.net/", prefix
            ),
            region=args.location,
            account_name=self.account.name,
        )
        self.register_outputs({"uri": self.artifact_store.uri, "containerId": self.container.id})
