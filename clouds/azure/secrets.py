"""Key Vault holding the platform's secrets for External Secrets: RBAC-only, soft delete and purge protection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native
import pulumi_random as random

from clouds.azure.identity import BuiltInRole, grant


@dataclass(frozen=True)
class KeyVaultArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    vault_name: str
    tenant_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    secrets: Mapping[str, pulumi.Output[str]]
    """Key Vault secret name -> value (a Pulumi secret) created elsewhere, e.g. the database password."""
    generated_secrets: Sequence[str]
    """Secret names whose values are generated here (admin passwords of platform UIs)."""
    officer_group_ids: Sequence[str]
    """Entra ID groups that may add and rotate secrets (repository tokens, SSO client secrets)."""
    soft_delete_days: int
    protect: bool
    tags: Mapping[str, str]
    allowed_subnet_ids: Sequence[pulumi.Input[str]] = ()
    """Subnets whose pods read secrets (External Secrets on the AKS nodes), through their service endpoint."""
    allowed_ip_ranges: Sequence[str] = ()
    """Public ranges from which admins reach the vault's data plane (`az keyvault secret set`)."""


class KeyVault(pulumi.ComponentResource):
    vault: azure_native.keyvault.Vault
    vault_uri: pulumi.Output[str]
    secret_names: dict[str, pulumi.Output[str]]
    """Logical name -> Key Vault secret name, for `SecretStore.secret_keys`."""

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:azure:KeyVault", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vault = azure_native.keyvault.Vault(
            "vault",
            vault_name=args.vault_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties={
                "tenant_id": args.tenant_id,
                "sku": {"family": "A", "name": azure_native.keyvault.SkuName.STANDARD},
                # Access is Azure RBAC only (no access policies): each reader is a scoped role assignment.
                "enable_rbac_authorization": True,
                "enable_soft_delete": True,
                "soft_delete_retention_in_days": args.soft_delete_days,
                # Purge protection cannot be turned off again; a deleted vault stays recoverable until expiry.
                "enable_purge_protection": True,
                "enabled_for_deployment": False,
                "enabled_for_disk_encryption": False,
                "enabled_for_template_deployment": False,
                # Deny by default. The secrets declared here are written through ARM, a trusted service.
                "network_acls": {
                    "default_action": "Deny",
                    "bypass": "AzureServices",
                    "virtual_network_rules": [{"id": subnet} for subnet in args.allowed_subnet_ids],
                    "ip_rules": [{"value": ip_range} for ip_range in args.allowed_ip_ranges],
                },
            },
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        values = dict(args.secrets)
        for secret_name in args.generated_secrets:
            generated = random.RandomPassword(secret_name, length=32, special=False, opts=child)
            values[secret_name] = pulumi.Output.secret(generated.result)
        # Secrets are written through Azure Resource Manager, so the deployer needs no data-plane role.
        self.secret_names = {}
        for secret_name, value in values.items():
            secret = azure_native.keyvault.Secret(
                secret_name,
                secret_name=secret_name,
                vault_name=self.vault.name,
                resource_group_name=args.resource_group_name,
                properties={"value": value, "content_type": "text/plain"},
                opts=child,
            )
            self.secret_names[secret_name] = secret.name
        for group_id in args.officer_group_ids:
            grant(
                f"secrets-officer-{group_id[:8]}",
                purpose=f"secrets officer group {group_id}",
                role=BuiltInRole.KEY_VAULT_SECRETS_OFFICER,
                principal_id=group_id,
                principal_type="Group",
                scope=self.vault.id,
                subscription_id=args.subscription_id,
                opts=child,
            )
        self.vault_uri = self.vault.properties.apply(lambda p: p.vault_uri)
        self.register_outputs({"vaultUri": self.vault_uri})
