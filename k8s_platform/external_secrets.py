"""External Secrets: the operator, the one ClusterSecretStore on the contract's backend, and ExternalSecrets.

Every password or token a chart needs reaches it as a Kubernetes Secret synced from the secret store, never
as a Helm value. On the Kubernetes-backed store (local) the platform generates those secrets itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from clouds.contract import PlatformSecrets, SecretStore, SecretStoreKind, WorkloadIdentity, Workloads
from k8s_platform.catalog import EXTERNAL_SECRETS
from k8s_platform.helm import helm_release
from k8s_platform.namespace import namespace, namespace_name
from k8s_platform.options import children_of
from k8s_platform.placement import PlatformPods
from k8s_platform.sizing import SIZES

STORE_NAME = "platform"
SEED_NAMESPACE = "platform-secrets"
"""Kubernetes-backed store only: where the generated source secrets live (one Secret per name, key `value`)."""
API_VERSION = "external-secrets.io/v1"


@dataclass(frozen=True)
class ExternalSecretsArgs:
    version: str
    identity: WorkloadIdentity
    secret_store: SecretStore
    pods: PlatformPods


class ExternalSecrets(pulumi.ComponentResource):
    """The operator and the ClusterSecretStore every ExternalSecret of the platform reads from."""

    store: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ExternalSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:ExternalSecrets", name, None, opts)
        child = children_of(self, opts)
        self._secret_store = args.secret_store
        ns = namespace(EXTERNAL_SECRETS.namespace, child)
        self.release = helm_release(
            "external-secrets",
            EXTERNAL_SECRETS,
            {
                "installCRDs": True,
                "serviceAccount": {
                    "name": Workloads.EXTERNAL_SECRETS.service_account,
                    "annotations": dict(args.identity.service_account_annotations),
                },
                "podLabels": dict(args.identity.pod_labels),
                "serviceMonitor": {"enabled": False},
                **args.pods.pod_values(),
                "resources": SIZES["external-secrets"],
                # The webhook validates every ExternalSecret and fails closed: two replicas and a budget outside dev.
                "webhook": {
                    **args.pods.pod_values(),
                    "replicaCount": args.pods.replicas(),
                    "podDisruptionBudget": {"enabled": args.pods.high_availability},
                    "resources": SIZES["external-secrets-webhook"],
                },
                "certController": {**args.pods.pod_values(), "resources": SIZES["external-secrets-cert-controller"]},
            },
            child,
            version=args.version,
            namespace=namespace_name(ns),
        )
        provider: Mapping[str, Any] = args.secret_store.provider
        if args.secret_store.kind == SecretStoreKind.KUBERNETES:
            provider = self._kubernetes_backend(child)
        self.store = k8s.apiextensions.CustomResource(
            "cluster-secret-store",
            api_version=API_VERSION,
            kind="ClusterSecretStore",
            metadata={"name": STORE_NAME},
            spec={"provider": provider},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release]),  # the CRD comes with the chart
        )
        self.register_outputs({"store": STORE_NAME})

    def _kubernetes_backend(self, child: pulumi.ResourceOptions) -> Mapping[str, Any]:
        """Generated platform secrets in a namespace only External Secrets may read."""
        seed_ns = namespace(SEED_NAMESPACE, child)
        for logical in PlatformSecrets.all():
            password = random.RandomPassword(logical, length=32, special=False, opts=child)
            k8s.core.v1.Secret(
                f"seed-{logical}",
                metadata={"name": logical, "namespace": namespace_name(seed_ns)},
                string_data={"value": password.result},
                opts=child,
            )
        reader = k8s.rbac.v1.Role(
            "secret-reader",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="external-secrets-reader", namespace=namespace_name(seed_ns)),
            rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=["secrets"], verbs=["get", "list", "watch"])],
            opts=child,
        )
        k8s.rbac.v1.RoleBinding(
            "secret-reader",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="external-secrets-reader", namespace=namespace_name(seed_ns)),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="Role", name=reader.metadata.apply(lambda m: m.name or "")
            ),
            subjects=[
                k8s.rbac.v1.SubjectArgs(
                    kind="ServiceAccount",
                    name=Workloads.EXTERNAL_SECRETS.service_account,
                    namespace=Workloads.EXTERNAL_SECRETS.namespace,
                )
            ],
            opts=child,
        )
        return {
            "kubernetes": {
                "remoteNamespace": SEED_NAMESPACE,
                "server": {
                    "caProvider": {
                        "type": "ConfigMap",
                        "name": "kube-root-ca.crt",
                        "key": "ca.crt",
                        "namespace": Workloads.EXTERNAL_SECRETS.namespace,
                    }
                },
                "auth": {
                    "serviceAccount": {
                        "name": Workloads.EXTERNAL_SECRETS.service_account,
                        "namespace": Workloads.EXTERNAL_SECRETS.namespace,
                    }
                },
            }
        }

    def remote_ref(self, logical: str) -> dict[str, Any]:
        """Where a logical secret lives in the backend: the foundation's key, or the generated Kubernetes Secret."""
        if self._secret_store.kind == SecretStoreKind.KUBERNETES:
            return {"key": logical, "property": "value"}
        return {"key": self._secret_store.secret_keys.get(logical, logical)}

    def external_secret(
        self,
        name: str,
        namespace: pulumi.Input[str],
        target: str,
        data: Mapping[str, str],
        opts: pulumi.ResourceOptions,
        *,
        template: Mapping[str, Any] | None = None,
        merge: bool = False,
    ) -> k8s.apiextensions.CustomResource:
        """An ExternalSecret writing `data` (secret key in the target -> logical name or backend key) into `target`.

        `merge` adds keys to a Secret a chart already owns (ArgoCD's) instead of creating one. Waits for the
        ClusterSecretStore (and so the CRDs) through an explicit dependency; the caller adds its own.
        """
        target_spec: dict[str, Any] = {"name": target, "creationPolicy": "Merge" if merge else "Owner"}
        if template:
            target_spec["template"] = {"engineVersion": "v2", **template}
        return k8s.apiextensions.CustomResource(
            name,
            api_version=API_VERSION,
            kind="ExternalSecret",
            metadata={"name": target if not merge else f"{target}-merge", "namespace": namespace},
            spec={
                "refreshInterval": "1h",
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": STORE_NAME},
                "target": target_spec,
                "data": [{"secretKey": key, "remoteRef": self.remote_ref(ref)} for key, ref in data.items()],
            },
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[self.store])),
        )
