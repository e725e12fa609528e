"""Argo Workflows: pipelines run as the `workflow-runner` service account, artifacts on the contract's store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from clouds.contract import WORKFLOW_ARTIFACT_PREFIX, ArtifactStore, ArtifactStoreKind, WorkloadIdentity, Workloads
from config.model import Component, Sso
from k8s_platform.catalog import ARGO_WORKFLOWS
from k8s_platform.external_secrets import ExternalSecrets
from k8s_platform.helm import helm_release, pinned
from k8s_platform.namespace import namespace, namespace_name
from k8s_platform.object_store import credentials_secret, endpoint_host, s3_endpoint
from k8s_platform.options import children_of
from k8s_platform.placement import PlatformPods
from k8s_platform.sizing import SIZES

SERVICE = "argo-workflows-server"
PORT = 2746
S3_CREDENTIALS_SECRET = "artifact-store-s3"
SSO_SECRET = "argo-server-sso"
ARTIFACT_KEY_FORMAT = f"{WORKFLOW_ARTIFACT_PREFIX}/{{{{workflow.namespace}}}}/{{{{workflow.name}}}}/{{{{pod.name}}}}"
"""Where each step's artifacts and logs go: under the prefix the pipeline identity may write, nowhere else."""
SSO_VIEWER = "sso-viewer"
"""Who a signed-in user acts as when no other rule names them: read-only on the pipelines namespace."""
VIEW_ROLE = "argo-workflows-view"
"""The chart's aggregated read-only ClusterRole (`<release>-view`)."""
CONTROLLER_LABELS = {"app.kubernetes.io/name": "argo-workflows-workflow-controller"}
SERVER_LABELS = {"app.kubernetes.io/name": "argo-workflows-server"}


@dataclass(frozen=True)
class ArgoWorkflowsArgs:
    component: Component
    artifact_store: ArtifactStore
    identity: WorkloadIdentity
    public_host: str | None
    sso: Sso | None
    secrets: ExternalSecrets | None
    pods: PlatformPods
    server_identity: WorkloadIdentity | None = None
    """The UI server's own read-only identity for artifacts and archived logs (`Workloads.ARGO_SERVER`)."""


def _literal(text: str) -> str:
    """The chart renders the gcs and azure blocks through `tpl`: a Go-template string literal survives it."""
    return '{{ "' + text + '" }}'


def artifact_repository(
    store: ArtifactStore, key_format: str = ARTIFACT_KEY_FORMAT, *, through_helm: bool = True
) -> dict[str, Any]:
    """An artifact repository on the contract's store; cloud stores are reached with the pod's workload identity
    (SDK creds). `through_helm`: the chart's values (gcs/azure key formats pass through `tpl`), else the shape of
    a namespace's `artifact-repositories` ConfigMap, which the controller reads as is."""

    def _helm_literal(text: str) -> str:
        return _literal(text) if through_helm else text

    match store.kind:
        case ArtifactStoreKind.S3:
            return {
                "s3": {
                    "bucket": store.bucket,
                    "endpoint": s3_endpoint(store.region),
                    "region": store.region,
                    "useSDKCreds": True,
                    "keyFormat": key_format,
                }
            }
        case ArtifactStoreKind.S3_COMPATIBLE:
            return {
                "s3": {
                    "bucket": store.bucket,
                    "endpoint": endpoint_host(store),
                    "insecure": True,  # in-cluster traffic to the local store, which serves plain HTTP
                    "accessKeySecret": {"name": S3_CREDENTIALS_SECRET, "key": "accessKey"},
                    "secretKeySecret": {"name": S3_CREDENTIALS_SECRET, "key": "secretKey"},
                    "keyFormat": key_format,
                }
            }
        case ArtifactStoreKind.GCS:
            return {"gcs": {"bucket": store.bucket, "keyFormat": _helm_literal(key_format)}}
        case ArtifactStoreKind.AZURE_BLOB:
            endpoint = pulumi.Output.concat("https://", store.account_name or "", ".blob.core.windows.net")
            return {
                "azure": {
                    "endpoint": endpoint,
                    "container": store.bucket,
                    "useSDKCreds": True,
                    "blobNameFormat": _helm_literal(key_format),
                }
            }
    raise AssertionError(f"unhandled artifact store {store.kind}")


class ArgoWorkflows(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: ArgoWorkflowsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:ArgoWorkflows", name, None, opts)
        child = children_of(self, opts)
        # Pipeline steps are user images; baseline keeps privileged pods out without breaking typical images.
        ns = namespace_name(namespace(ARGO_WORKFLOWS.namespace, child, "baseline"))
        store = args.artifact_store
        credentials_secret("artifact-store-s3", S3_CREDENTIALS_SECRET, ns, store, ("accessKey", "secretKey"), child)
        runner = Workloads.ARGO_WORKFLOWS
        server_identity = args.server_identity or WorkloadIdentity(Workloads.ARGO_SERVER)
        pods = args.pods
        replicas = pods.replicas()
        server: dict[str, Any] = {"authModes": ["client"]}
        if args.sso and args.public_host and args.secrets is not None:
            args.secrets.external_secret(
                "sso-client",
                ns,
                SSO_SECRET,
                {"client-secret": args.sso.client_secret_key},
                child,
                template={"data": {"client-id": args.sso.client_id, "client-secret": '{{ index . "client-secret" }}'}},
            )
            _sso_viewer(ns, child)
            server = {
                "authModes": ["sso", "client"],
                "sso": {
                    "enabled": True,
                    "issuer": args.sso.issuer,
                    "clientId": {"name": SSO_SECRET, "key": "client-id"},
                    "clientSecret": {"name": SSO_SECRET, "key": "client-secret"},
                    "redirectUrl": f"https://{args.public_host}/oauth2/callback",
                    "scopes": ["openid", "profile", "email"],
                },
            }
        self.release = helm_release(
            "argo-workflows",
            ARGO_WORKFLOWS,
            {
                "workflow": {
                    "serviceAccount": {
                        "create": True,
                        "name": runner.service_account,
                        "annotations": dict(args.identity.service_account_annotations),
                    },
                    "rbac": {"create": True},
                },
                "controller": {
                    "workflowNamespaces": [runner.namespace],
                    "metricsConfig": {"enabled": True},
                    # One active controller (leader election); the second replica takes over on a drain.
                    **pods.pod_values(CONTROLLER_LABELS),
                    "resources": SIZES["argo-workflows-controller"],
                    "replicas": replicas,
                    "pdb": {"enabled": replicas > 1, "maxUnavailable": 1},
                    # Every workflow runs as the runner (its cloud identity) unless it names another account.
                    "workflowDefaults": {
                        "spec": {
                            "serviceAccountName": runner.service_account,
                            # Steps are user work: they run on the CPU spot pool, whatever it is tainted with.
                            "tolerations": pods.workload_pod_tolerations(),
                            "podMetadata": {"labels": dict(args.identity.pod_labels)},
                            "ttlStrategy": {"secondsAfterCompletion": 7 * 24 * 3600},
                        }
                    },
                },
                "server": {
                    **server,
                    "serviceAccount": {
                        "create": True,
                        "name": Workloads.ARGO_SERVER.service_account,
                        "annotations": dict(server_identity.service_account_annotations),
                    },
                    "podLabels": dict(server_identity.pod_labels),
                    **pods.pod_values(SERVER_LABELS),
                    "resources": SIZES["argo-workflows-server"],
                    "replicas": replicas,
                    "pdb": {"enabled": replicas > 1, "maxUnavailable": 1},
                },
                # The CRD install Job is a pre-install/upgrade hook (chart 1.0.18 `crds.upgradeJob`): an untolerated
                # hook on a fully tainted cluster (AKS) never runs and the release times out.
                "crds": {
                    "upgradeJob": {
                        "tolerations": pods.tolerations(),
                        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
                    }
                },
                "useStaticCredentials": store.credentials is not None,
                "artifactRepository": {"archiveLogs": True, **artifact_repository(store)},
            },
            child,
            version=pinned(ARGO_WORKFLOWS, args.component),
            namespace=ns,
        )
        self.register_outputs({})


def _sso_viewer(ns: pulumi.Input[str], opts: pulumi.ResourceOptions) -> None:
    """The lowest-precedence SSO rule. With SSO RBAC on (the chart's default) a user no rule matches is refused,
    so without it nobody could use the published UI; more access comes from accounts with narrower rules."""
    k8s.core.v1.ServiceAccount(
        SSO_VIEWER,
        metadata={
            "name": SSO_VIEWER,
            "namespace": ns,
            "annotations": {
                "workflows.argoproj.io/rbac-rule": "true",
                "workflows.argoproj.io/rbac-rule-precedence": "0",
            },
        },
        opts=opts,
    )
    # Argo reads the account's token from this Secret; Kubernetes no longer creates one by itself.
    k8s.core.v1.Secret(
        f"{SSO_VIEWER}-token",
        metadata={
            "name": f"{SSO_VIEWER}.service-account-token",
            "namespace": ns,
            "annotations": {"kubernetes.io/service-account.name": SSO_VIEWER},
        },
        type="kubernetes.io/service-account-token",
        opts=opts,
    )
    k8s.rbac.v1.RoleBinding(
        SSO_VIEWER,
        metadata={"name": SSO_VIEWER, "namespace": ns},
        role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": VIEW_ROLE},
        subjects=[{"kind": "ServiceAccount", "name": SSO_VIEWER, "namespace": ns}],
        opts=opts,
    )
