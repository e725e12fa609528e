"""AWS test helpers: the dev-aws run, a production variant of it, the contract as data, and every IAM document.

The production variant is the dev-aws stack file with production answers (per-AZ NAT, private-only endpoint,
Multi-AZ and deletion protection, access logging), evaluated by the same harness, so behaviour that only
shows outside dev is tested without a second stack file in the repository.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from clouds import build_foundation
from clouds.contract import PlatformContract
from config import load_stack_config
from offline.harness import ROOT_DIR, DeclaredResource, StackRun, run_program, stack_file_config
from tests.conftest import AWS_TEAMS, REACHABLE_ENDPOINT

PROD_OVERRIDES: dict[str, Any] = {
    "mlops-platform:environment": "prod",
    "mlops-platform:aws": {
        "region": "eu-west-1",
        "natGatewayPerAz": True,
        "databaseInstanceClass": "db.m7g.large",
        "karpenterAmiAlias": "al2023@v20261101",
        "adminRoleArns": ["arn:aws:iam::123456789012:role/platform-admins"],
        "controlPlaneLogRetentionDays": 365,
    },
    # Private endpoint only: production deploys from a runner inside the VPC.
    "mlops-platform:cluster": {"kubernetesVersion": "1.34", "endpointAllowList": [], "deployerInNetwork": True},
    "mlops-platform:database": {
        "engineVersion": "17",
        "highAvailability": True,
        "deletionProtection": True,
        "backupRetentionDays": 30,
    },
    "mlops-platform:objectStore": {"accessLogging": True},
}

_runs: dict[str, StackRun] = {}


TEAMS = {"mlops-platform:teams": AWS_TEAMS}
"""Two teams whose roles live in the (mocked) deploying account, in every run here (dev-aws ships no teams: no
role of yours is known to it)."""


def dev() -> StackRun:
    """The whole dev-aws program, with `TEAMS`."""
    return _run("dev", _whole_program, "dev-aws", {})


def _whole_program() -> None:
    runpy.run_path(str(ROOT_DIR / "__main__.py"), run_name="__main__")


def _export_contract() -> None:
    """Build only the foundation and export its contract as plain data (every Output resolved by the run)."""
    contract: PlatformContract = build_foundation(load_stack_config()).contract
    karpenter = contract.autoscaling.karpenter
    pulumi.export(
        "contract",
        {
            "clusterName": contract.cluster_name,
            "defaultStorageClass": contract.default_storage_class,
            "registryUrl": contract.registry_url,
            "artifactStore": {
                "kind": contract.artifact_store.kind.value,
                "bucket": contract.artifact_store.bucket,
                "uri": contract.artifact_store.uri,
            },
            "database": {
                "host": contract.database.host,
                "port": contract.database.port,
                "sslMode": contract.database.ssl_mode,
            },
            "identities": {
                name: {
                    "annotations": dict(i.service_account_annotations),
                    "podLabels": dict(i.pod_labels),
                    "principal": i.principal,
                }
                for name, i in contract.identities.items()
            },
            "autoscaling": {"nodes": contract.autoscaling.nodes.value, "keda": contract.autoscaling.keda.value},
            "karpenter": karpenter
            and {
                "clusterName": karpenter.cluster_name,
                "clusterEndpoint": karpenter.cluster_endpoint,
                "interruptionQueueName": karpenter.interruption_queue_name,
                "nodeRoleName": karpenter.node_role_name,
                "discoveryTagValue": karpenter.discovery_tag_value,
                "amiAlias": karpenter.ami_alias,
                "cpuPool": karpenter.cpu_pool.model_dump(mode="json", by_alias=True),
                "gpuPool": karpenter.gpu_pool.model_dump(mode="json", by_alias=True),
            },
            "ingress": {
                "loadBalancer": contract.ingress.load_balancer.value,
                "serviceAnnotations": dict(contract.ingress.service_annotations),
                "controllerSettings": dict(contract.ingress.load_balancer_controller_settings),
            },
            "secretStore": {
                "kind": contract.secret_store.kind.value,
                "provider": contract.secret_store.provider,
                "secretKeys": dict(contract.secret_store.secret_keys),
            },
            "clusterReady": [r.urn for r in contract.cluster_ready],
        },
    )
    pulumi.export("databasePassword", contract.database.password)
    pulumi.export("kubeconfig", contract.kubeconfig)


def _run(key: str, program: Any, stack: str, overrides: dict[str, Any]) -> StackRun:
    if key not in _runs:
        config, secret_keys = stack_file_config("dev-aws", overrides=REACHABLE_ENDPOINT)
        values = {**TEAMS, **overrides}
        config.update({k: json.dumps(v) if not isinstance(v, str) else v for k, v in values.items()})
        _runs[key] = run_program(program, stack, config, secret_keys)
    return _runs[key]


FRAUD_FORCE_REMOVED = {
    "mlops-platform:teams": [
        {"name": "fraud", "identityGroup": "arn:aws:iam::123456789012:role/ds-fraud", "forceRemove": True},
        {"name": "search", "identityGroup": "arn:aws:iam::123456789012:role/ds-search"},
    ]
}


@pytest.fixture
def fraud_force_removed() -> StackRun:
    """dev-aws with the fraud team marked `forceRemove`: the step before deleting its config entry."""
    return _run("fraud-force-removed", _whole_program, "dev-aws-force-remove", FRAUD_FORCE_REMOVED)


@pytest.fixture
def prod() -> StackRun:
    """The whole dev-aws program with production settings."""
    return _run("prod", _whole_program, "prod-aws", PROD_OVERRIDES)


def _in_region(region: str, partition: str) -> dict[str, Any]:
    """dev-aws moved to another partition's region, with its team and admin roles in that partition."""
    return {
        "mlops-platform:aws": {"region": region, "adminRoleArns": [f"arn:{partition}:iam::123456789012:role/admins"]},
        "mlops-platform:teams": [
            {"name": "fraud", "identityGroup": f"arn:{partition}:iam::123456789012:role/ds-fraud"},
            {"name": "search", "identityGroup": f"arn:{partition}:iam::123456789012:role/ds-search"},
        ],
    }


@pytest.fixture
def china() -> StackRun:
    """The whole dev-aws program in cn-north-1 (the aws-cn partition)."""
    return _run("china", _whole_program, "dev-aws-cn", _in_region("cn-north-1", "aws-cn"))


@pytest.fixture
def govcloud() -> StackRun:
    """The whole dev-aws program in us-gov-west-1 (the aws-us-gov partition)."""
    return _run("govcloud", _whole_program, "dev-aws-gov", _in_region("us-gov-west-1", "aws-us-gov"))


PUBLISHED = {
    "mlops-platform:dns": {
        "domain": "ml.example.org",
        "acmeEmail": "platform@example.org",
        "sso": {"issuer": "https://login.example.org", "clientId": "mlops"},
    },
}


@pytest.fixture
def published() -> StackRun:
    """The whole dev-aws program with a domain and single sign-on: UIs published, so the LBC makes an NLB."""
    return _run("published", _whole_program, "dev-aws-published", PUBLISHED)


WITHOUT_AUTOSCALER_AND_GATEWAY = {
    "mlops-platform:components": {"nodeAutoscaler": {"enabled": False}, "gateway": {"enabled": False}},
}


@pytest.fixture
def lean() -> StackRun:
    """The whole dev-aws program with neither Karpenter nor the gateway (so no load balancer controller)."""
    return _run("lean", _whole_program, "dev-aws-lean", WITHOUT_AUTOSCALER_AND_GATEWAY)


@pytest.fixture
def lean_contract() -> dict[str, Any]:
    """The contract of that stack, as data."""
    return _run("lean-contract", _export_contract, "dev-aws-lean", WITHOUT_AUTOSCALER_AND_GATEWAY).outputs["contract"]


@pytest.fixture
def contract_run() -> StackRun:
    return _run("contract", _export_contract, "dev-aws", {})


@pytest.fixture
def contract(contract_run: StackRun) -> dict[str, Any]:
    """The dev-aws contract as data."""
    return contract_run.outputs["contract"]


POLICY_INPUTS = {
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:secretsmanager/secret:Secret": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
}


def policy_documents(run: StackRun) -> Iterator[tuple[DeclaredResource, dict[str, Any]]]:
    """Every IAM/resource policy the program declares, parsed."""
    for resource in run.resources:
        key = POLICY_INPUTS.get(resource.type)
        if key and resource.inputs.get(key):
            yield resource, json.loads(resource.inputs[key])


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def role_policy(run: StackRun, workload: str) -> list[dict[str, Any]]:
    """The inline policy statements of a workload's Pod Identity role."""
    return statements(json.loads(run.one("aws:iam/rolePolicy:RolePolicy", f"identity-{workload}").inputs["policy"]))
