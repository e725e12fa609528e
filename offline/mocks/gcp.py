"""Mock answers for the gcp provider: the IDs, links, e-mails and addresses GCP would compute."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pulumi

PROJECT = "mock-project"
"""Only used when a resource does not name its project (the provider's default is invisible to mocks)."""
PROJECT_NUMBER = "123456789012"
REGION = "europe-west4"
API = "https://www.googleapis.com/compute/v1"
SQL_CA_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nmock-cloud-sql-server-ca\n-----END CERTIFICATE-----\n"
CA_CERTIFICATE = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nmock-gke-ca\n-----END CERTIFICATE-----\n").decode()


def _project(args: pulumi.runtime.MockResourceArgs) -> str:
    return args.inputs.get("project") or PROJECT


def _region(args: pulumi.runtime.MockResourceArgs) -> str:
    return args.inputs.get("region") or args.inputs.get("location") or REGION


def _name(args: pulumi.runtime.MockResourceArgs) -> str:
    return args.inputs.get("name") or args.name


def _network(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    path = f"projects/{_project(args)}/global/networks/{_name(args)}"
    return {"__id": path, "name": _name(args), "selfLink": f"{API}/{path}"}


def _subnetwork(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    path = f"projects/{_project(args)}/regions/{_region(args)}/subnetworks/{_name(args)}"
    return {"__id": path, "name": _name(args), "selfLink": f"{API}/{path}", "gatewayAddress": "10.40.0.1"}


def _global_address(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    path = f"projects/{_project(args)}/global/addresses/{_name(args)}"
    return {"__id": path, "name": _name(args), "selfLink": f"{API}/{path}"}


def _service_account(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    email = f"{args.inputs['accountId']}@{_project(args)}.iam.gserviceaccount.com"
    return {
        "__id": f"projects/{_project(args)}/serviceAccounts/{email}",
        "name": f"projects/{_project(args)}/serviceAccounts/{email}",
        "email": email,
        "member": f"serviceAccount:{email}",
        "uniqueId": "104000000000000000001",
    }


def _cluster(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    location = args.inputs.get("location") or REGION
    path = f"projects/{_project(args)}/locations/{location}/clusters/{_name(args)}"
    private = (args.inputs.get("privateClusterConfig") or {}).get("enablePrivateEndpoint")
    endpoints = args.inputs.get("controlPlaneEndpointsConfig") or {}
    dns = {
        **(endpoints.get("dnsEndpointConfig") or {}),
        "endpoint": f"gke-0123456789abcdef-{PROJECT_NUMBER}.{location}.gke.goog",
    }
    return {
        "controlPlaneEndpointsConfig": {**endpoints, "dnsEndpointConfig": dns},
        "__id": path,
        "name": _name(args),
        "location": location,
        "endpoint": "172.16.0.2" if private else "34.90.10.20",
        "masterAuth": {"clusterCaCertificate": CA_CERTIFICATE},
        "masterVersion": f"{args.inputs.get('minMasterVersion', '1.34')}.1-gke.1000000",
        "selfLink": f"https://container.googleapis.com/v1/{path}",
    }


def _node_pool(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"__id": f"{args.inputs.get('location', REGION)}/{args.inputs.get('cluster')}/{_name(args)}"}


def _bucket(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = _name(args)
    return {"__id": name, "url": f"gs://{name}", "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}"}


def _sql_instance(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = _name(args)
    return {
        "__id": name,
        "privateIpAddress": "10.41.0.3",
        "connectionName": f"{_project(args)}:{_region(args)}:{name}",
        "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{_project(args)}/instances/{name}",
        "serviceAccountEmailAddress": f"p{PROJECT_NUMBER}-abcd@gcp-sa-cloud-sql.iam.gserviceaccount.com",
        "serverCaCerts": [{"cert": SQL_CA_CERTIFICATE, "commonName": f"C=US,O=Google\\, Inc,CN={name}"}],
    }


SERVICE_AGENTS = {
    "container.googleapis.com": "container-engine-robot.iam.gserviceaccount.com",
    "sqladmin.googleapis.com": "gcp-sa-cloud-sql.iam.gserviceaccount.com",
    "storage.googleapis.com": "gs-project-accounts.iam.gserviceaccount.com",
}
"""Domains of the service agents' e-mails, `service-<project number>@<domain>` (Google's service-agent list)."""


def _service_identity(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    email = f"service-{PROJECT_NUMBER}@{SERVICE_AGENTS[args.inputs['service']]}"
    return {"email": email, "member": f"serviceAccount:{email}"}


def _key_ring(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"__id": f"projects/{_project(args)}/locations/{args.inputs.get('location')}/keyRings/{_name(args)}"}


def _crypto_key(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"__id": f"{args.inputs.get('keyRing')}/cryptoKeys/{_name(args)}"}


def _secret(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    secret_id = args.inputs["secretId"]
    return {
        "__id": f"projects/{_project(args)}/secrets/{secret_id}",
        "name": f"projects/{PROJECT_NUMBER}/secrets/{secret_id}",
    }


def _log_bucket(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    path = f"projects/{_project(args)}/locations/{args.inputs.get('location')}/buckets/{args.inputs['bucketId']}"
    return {"__id": path, "name": path}


def _repository(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    location, repository = args.inputs.get("location") or REGION, args.inputs["repositoryId"]
    path = f"projects/{_project(args)}/locations/{location}/repositories/{repository}"
    return {"__id": path, "name": repository, "registryUri": f"{location}-docker.pkg.dev/{_project(args)}/{repository}"}


RESOURCES: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = {
    "gcp:compute/network:Network": _network,
    "gcp:compute/subnetwork:Subnetwork": _subnetwork,
    "gcp:compute/globalAddress:GlobalAddress": _global_address,
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:container/cluster:Cluster": _cluster,
    "gcp:container/nodePool:NodePool": _node_pool,
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:sql/databaseInstance:DatabaseInstance": _sql_instance,
    "gcp:kms/keyRing:KeyRing": _key_ring,
    "gcp:kms/cryptoKey:CryptoKey": _crypto_key,
    "gcp:secretmanager/secret:Secret": _secret,
    "gcp:artifactregistry/repository:Repository": _repository,
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": _log_bucket,
    "gcp:projects/serviceIdentity:ServiceIdentity": _service_identity,
}


def _client_config(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    return {"project": PROJECT, "region": REGION, "zone": f"{REGION}-a", "accessToken": "mock-token", "id": PROJECT}


def _get_project(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    project = args.args.get("projectId") or PROJECT
    return {"projectId": project, "number": PROJECT_NUMBER, "name": project, "id": f"projects/{project}"}


def _storage_agent(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    email = f"service-{PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
    return {"emailAddress": email, "member": f"serviceAccount:{email}", "project": args.args.get("project", PROJECT)}


CALLS: dict[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]] = {
    "gcp:organizations/getClientConfig:getClientConfig": _client_config,
    "gcp:organizations/getProject:getProject": _get_project,
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": _storage_agent,
}
