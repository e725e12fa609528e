"""The contract the AWS foundation hands the platform layer: complete, and in AWS's terms."""

from __future__ import annotations

import json
from typing import Any

from offline.harness import StackRun
from tests.clouds.aws.conftest import dev


def test_every_identity_uses_pod_identity_with_no_service_account_annotations(contract: dict[str, Any]) -> None:
    identities = contract["identities"]
    assert {"mlflow", "kserve-inference", "argo-workflows", "external-secrets", "karpenter"} <= set(identities)
    assert {"team-fraud", "team-search"} <= set(identities)
    assert "aws-load-balancer-controller" not in identities  # dev publishes nothing: no LBC, no role
    for identity in identities.values():
        assert identity["annotations"] == {} and identity["podLabels"] == {}
        assert identity["principal"].startswith("arn:aws:iam::123456789012:role/")


def test_gpu_pool_is_tainted_spot_and_scales_to_zero(contract: dict[str, Any]) -> None:
    gpu = contract["karpenter"]["gpuPool"]
    assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"} in gpu["taints"]
    assert gpu["minSize"] == 0 and gpu["spot"] is True
    assert gpu["machineTypes"] == ["g5.xlarge", "g6.xlarge"]


def test_cpu_pool_is_spot_and_scales_to_zero(contract: dict[str, Any]) -> None:
    cpu = contract["karpenter"]["cpuPool"]
    assert cpu["minSize"] == 0 and cpu["spot"] is True


def test_karpenter_inputs_name_this_cluster_its_queue_and_node_role(contract: dict[str, Any]) -> None:
    karpenter = contract["karpenter"]
    assert contract["autoscaling"] == {"nodes": "karpenter", "keda": "helm"}
    assert karpenter["clusterName"] == karpenter["discoveryTagValue"] == "mlops-dev-eks"
    assert karpenter["interruptionQueueName"] == "mlops-dev-eks-karpenter"
    assert karpenter["nodeRoleName"].startswith("capacity-karpenter-node")
    assert karpenter["amiAlias"] == "al2023@latest"


def test_gateway_gets_an_nlb_from_the_load_balancer_controller(contract: dict[str, Any]) -> None:
    ingress = contract["ingress"]
    assert ingress["loadBalancer"] == "aws-load-balancer-controller"
    assert ingress["serviceAnnotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "external"
    assert ingress["serviceAnnotations"]["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] == "ip"
    assert ingress["controllerSettings"]["clusterName"] == "mlops-dev-eks"
    assert ingress["controllerSettings"]["region"] == "eu-west-1"
    assert ingress["controllerSettings"]["vpcId"].startswith("vpc-")


def test_without_a_domain_the_load_balancer_stays_internal(contract: dict[str, Any]) -> None:
    scheme = contract["ingress"]["serviceAnnotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"]
    assert scheme == "internal"


def test_external_secrets_reads_secrets_manager_in_the_stack_region(contract: dict[str, Any]) -> None:
    store = contract["secretStore"]
    assert store["kind"] == "aws-secrets-manager"
    assert store["provider"] == {"aws": {"service": "SecretsManager", "region": "eu-west-1"}}
    assert set(store["secretKeys"]) == {"database-password", "grafana-admin-password", "argocd-admin-password"}


def test_artifact_store_is_the_s3_bucket_prefix(contract: dict[str, Any]) -> None:
    store = contract["artifactStore"]
    assert store["kind"] == "s3"
    assert store["uri"] == f"s3://{store['bucket']}/mlflow"


def test_database_is_the_rds_address_over_tls(contract: dict[str, Any]) -> None:
    database = contract["database"]
    assert database["host"].endswith(".eu-west-1.rds.amazonaws.com")
    assert (database["port"], database["sslMode"]) == (5432, "require")


def test_database_password_and_kubeconfig_reach_the_platform_only_as_secrets(contract_run: StackRun) -> None:
    assert {"databasePassword", "kubeconfig"} <= contract_run.secret_outputs


def test_kubeconfig_gets_short_lived_tokens_from_aws_eks_get_token(contract_run: StackRun) -> None:
    user = json.loads(contract_run.outputs["kubeconfig"])["users"][0]["user"]
    assert user["exec"]["command"] == "aws"
    assert user["exec"]["args"][:6] == ["eks", "get-token", "--cluster-name", "mlops-dev-eks", "--region", "eu-west-1"]
    assert "token" not in user


def test_kubeconfig_token_is_json_whatever_the_users_aws_cli_output_setting(contract_run: StackRun) -> None:
    # kubectl parses an ExecCredential: a deployer with `output = text` in ~/.aws/config would break it.
    args = json.loads(contract_run.outputs["kubeconfig"])["users"][0]["user"]["exec"]["args"]
    assert args[args.index("--output") + 1] == "json"


def test_platform_waits_for_system_nodes_and_addons(contract: dict[str, Any]) -> None:
    ready = contract["clusterReady"]
    assert any(urn.endswith("NodeGroup::capacity-system") for urn in ready)
    assert any(urn.endswith("Addon::addons-coredns") for urn in ready)


def test_default_storage_class_is_gp3(contract: dict[str, Any]) -> None:
    assert contract["defaultStorageClass"] == "gp3"


def test_every_stateful_resource_is_protected_from_destroy() -> None:
    stateful = {
        "aws:s3/bucket:Bucket",
        "aws:rds/instance:Instance",
        "aws:ecr/repository:Repository",
        "aws:kms/key:Key",
    }
    found = [r for r in dev().resources if r.type in stateful]
    assert len(found) == 7  # bucket, database, registry, four keys
    assert [r.name for r in found if not r.protect] == []


def test_platform_controllers_prefer_the_on_demand_system_node_group() -> None:
    run = dev()
    labels = run.one("aws:eks/nodeGroup:NodeGroup").inputs["labels"]
    affinity = run.one("kubernetes:helm.sh/v3:Release", "mlflow").inputs["values"]["affinity"]["nodeAffinity"]
    (preference,) = affinity["preferredDuringSchedulingIgnoredDuringExecution"]
    (expression,) = preference["preference"]["matchExpressions"]
    assert labels[expression["key"]] == expression["values"][0] == "system"
