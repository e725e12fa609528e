"""How platform pods reach an artifact store that needs keys (the local stack's in-cluster S3): one Secret shape.

Cloud stores never come here: their pods use workload identity. MLflow, Argo Workflows and KServe each read
the same two keys, under the names their own software expects.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import ArtifactStore

AWS_ENV_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
"""Key names boto3 (MLflow, KServe's storage initializer) reads when the Secret is loaded as environment."""


def s3_endpoint(region: str | None) -> str:
    """Amazon S3's regional endpoint; the China partition serves it under its own domain."""
    if not region:
        return "s3.amazonaws.com"
    return f"s3.{region}.amazonaws.com" + (".cn" if region.startswith("cn-") else "")


def endpoint_host(store: ArtifactStore) -> pulumi.Output[str]:
    """The in-cluster endpoint without its scheme (`host:port`): the form S3 clients take."""
    return pulumi.Output.from_input(store.endpoint_url or "").apply(
        lambda url: url.removeprefix("http://").removeprefix("https://")
    )


def credentials_secret(
    resource_name: str,
    secret_name: str,
    namespace: pulumi.Input[str],
    store: ArtifactStore,
    keys: tuple[str, str],
    opts: pulumi.ResourceOptions,
    annotations: Mapping[str, pulumi.Input[str]] | None = None,
) -> k8s.core.v1.Secret | None:
    """A Secret with the store's access key and secret key under `keys`; None when the store uses identities."""
    if store.credentials is None:
        return None
    access_key, secret_key = keys
    return k8s.core.v1.Secret(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=secret_name, namespace=namespace, annotations=dict(annotations) if annotations else None
        ),
        string_data={
            access_key: store.credentials.access_key_id,
            secret_key: store.credentials.secret_access_key,
        },
        opts=opts,
    )
