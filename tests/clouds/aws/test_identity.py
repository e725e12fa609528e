"""Workload identities: one Pod Identity role per workload, each scoped to exactly what it touches."""

from __future__ import annotations

import json

from clouds.contract import Workloads
from offline.harness import StackRun
from tests.clouds.aws.conftest import as_list, dev, role_policy, statements

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
BUCKET_ARN = "arn:aws:s3:::mlops-dev-artifacts-123456789012-eu-west-1"


def _object_resources(workload: str) -> list[str]:
    return [r for s in role_policy(dev(), workload) if s.get("Sid") == "ObjectsUnderOwnPrefix" for r in s["Resource"]]


def _actions(workload: str) -> set[str]:
    return {a for s in role_policy(dev(), workload) for a in as_list(s["Action"])}


def test_every_platform_workload_is_bound_to_its_own_role_by_pod_identity() -> None:
    associations = {
        (a.inputs["namespace"], a.inputs["serviceAccount"]): a.inputs["roleArn"] for a in dev().of_type(ASSOCIATION)
    }
    expected = [
        Workloads.MLFLOW,
        Workloads.KSERVE_INFERENCE,
        Workloads.ARGO_WORKFLOWS,
        Workloads.ARGO_SERVER,
        Workloads.EXTERNAL_SECRETS,
        Workloads.KARPENTER,
        Workloads.team("fraud"),
        Workloads.team("search"),
    ]
    assert set(associations) == {(w.namespace, w.service_account) for w in expected}
    assert len(set(associations.values())) == len(expected)


def _trust(role_name: str) -> dict[str, object]:
    (trust,) = statements(json.loads(dev().one("aws:iam/role:Role", role_name).inputs["assumeRolePolicy"]))
    return trust


def test_workload_roles_trust_only_the_pod_identity_agent() -> None:
    trust = _trust("identity-mlflow")
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]


def test_workload_roles_are_scoped_to_this_cluster_by_the_session_tag_eks_documents() -> None:
    # EKS Pod Identity tags the session with eks-cluster-arn (EKS User Guide, pod-id-abac: "List of session
    # tags added by EKS Pod Identity"); aws:SourceArn would be the association's ARN, never the cluster's.
    cluster_arn = dev().one("aws:eks/cluster:Cluster").outputs["arn"]
    condition = _trust("identity-mlflow")["Condition"]
    assert condition["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert condition["StringEquals"]["aws:RequestTag/eks-cluster-arn"] == cluster_arn
    assert "aws:SourceArn" not in json.dumps(condition)


def test_a_bound_role_trusts_only_its_own_namespace_and_service_account() -> None:
    condition = _trust("identity-external-secrets")["Condition"]["StringEquals"]
    assert condition["aws:RequestTag/kubernetes-namespace"] == Workloads.EXTERNAL_SECRETS.namespace
    assert condition["aws:RequestTag/kubernetes-service-account"] == Workloads.EXTERNAL_SECRETS.service_account


def test_every_pod_identity_role_names_the_cluster_namespace_and_service_account() -> None:
    roles = [r for r in dev().of_type("aws:iam/role:Role") if "pods.eks.amazonaws.com" in r.inputs["assumeRolePolicy"]]
    scoped = {
        "aws:SourceAccount",
        "aws:RequestTag/eks-cluster-arn",
        "aws:RequestTag/kubernetes-namespace",
        "aws:RequestTag/kubernetes-service-account",
    }
    assert "capacity-karpenter" in {r.name for r in roles} and "addons-ebs-csi" in {r.name for r in roles}
    for role in roles:
        (trust,) = statements(json.loads(role.inputs["assumeRolePolicy"]))
        assert set(trust["Condition"]) == {"StringEquals"}, role.name
        assert set(trust["Condition"]["StringEquals"]) == scoped, role.name


def test_mlflow_can_touch_only_its_bucket_prefix_and_the_teams_run_artifacts() -> None:
    assert _object_resources("mlflow") == [f"{BUCKET_ARN}/mlflow/*", f"{BUCKET_ARN}/teams/*"]
    listing = next(s for s in role_policy(dev(), "mlflow") if s.get("Sid") == "ListOwnPrefix")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["mlflow", "mlflow/*", "teams", "teams/*"]}}
    assert {"s3:PutObject", "s3:DeleteObject"} <= _actions("mlflow")


def test_kserve_inference_can_only_read_models() -> None:
    assert _object_resources("kserve-inference") == [f"{BUCKET_ARN}/mlflow/*"]
    assert not {a for a in _actions("kserve-inference") if a.startswith("s3:") and ("Put" in a or "Delete" in a)}
    assert "kms:GenerateDataKey" not in _actions("kserve-inference")


def test_each_team_can_touch_only_its_own_prefix() -> None:
    assert _object_resources("team-fraud") == [f"{BUCKET_ARN}/teams/fraud/*"]
    assert _object_resources("team-search") == [f"{BUCKET_ARN}/teams/search/*"]


def test_bucket_key_is_usable_only_through_s3() -> None:
    key = next(s for s in role_policy(dev(), "mlflow") if s.get("Sid") == "BucketKey")
    assert key["Resource"] == [dev().one("aws:kms/key:Key", "artifacts-key").outputs["arn"]]
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}


def test_external_secrets_reads_exactly_the_platform_secrets() -> None:
    run = dev()
    secret_arns = sorted(s.outputs["arn"] for s in run.of_type("aws:secretsmanager/secret:Secret"))
    read = next(s for s in role_policy(run, "external-secrets") if s.get("Sid") == "PlatformSecrets")
    assert sorted(read["Resource"]) == secret_arns
    assert not any(a.startswith(("secretsmanager:Put", "secretsmanager:Delete")) for a in read["Action"])


def test_no_workload_role_can_touch_the_whole_bucket() -> None:
    for workload in ("mlflow", "kserve-inference", "argo-workflows", "team-fraud"):
        resources = [r for s in role_policy(dev(), workload) for r in as_list(s["Resource"])]
        assert f"{BUCKET_ARN}/*" not in resources


def test_argo_workflows_writes_only_its_workflow_prefix_and_the_mlflow_prefix() -> None:
    assert _object_resources("argo-workflows") == [f"{BUCKET_ARN}/workflows/*", f"{BUCKET_ARN}/mlflow/*"]


def test_team_roles_are_protected_like_their_namespaces() -> None:
    run = dev()
    for team in ("fraud", "search"):
        assert run.one("aws:iam/role:Role", f"identity-team-{team}").protect, team
        assert run.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", f"identity-team-{team}").protect


def test_a_force_removed_teams_role_is_no_longer_protected(fraud_force_removed: StackRun) -> None:
    assert not fraud_force_removed.one("aws:iam/role:Role", "identity-team-fraud").protect
    assert fraud_force_removed.one("aws:iam/role:Role", "identity-team-search").protect


def test_platform_roles_are_not_protected() -> None:
    assert not dev().one("aws:iam/role:Role", "identity-mlflow").protect


def test_every_namespace_may_reach_the_pod_identity_agent_and_not_the_metadata_endpoint() -> None:
    run = dev()
    policies = [p for p in run.of_type(NETWORK_POLICY) if p.get("metadata.name") == "allow-workload-identity"]
    assert {p.get("metadata.namespace") for p in policies} >= {"team-fraud", "mlflow", "argo"}
    for policy in policies:
        (rule,) = policy.get("spec.egress")
        assert rule["to"] == [{"ipBlock": {"cidr": "169.254.170.23/32"}}]
        assert rule["ports"] == [{"protocol": "TCP", "port": 80}]
