"""MLflow's RDS PostgreSQL: private, cluster-only, encrypted, TLS-only, backed up, protected."""

from __future__ import annotations

import json

from offline.harness import SECRET_MASK, StackRun
from offline.mocks.random import fake_password
from tests.clouds.aws.conftest import dev

INSTANCE = "aws:rds/instance:Instance"


def test_database_runs_the_configured_postgres_major() -> None:
    db = dev().one(INSTANCE).inputs
    assert (db["engine"], db["engineVersion"], db["instanceClass"]) == ("postgres", "17", "db.t4g.micro")


def test_database_is_not_publicly_accessible_and_lives_in_the_private_subnets() -> None:
    run = dev()
    subnet_ids = run.one("aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"]
    public_ids = {
        a.inputs["subnetId"]
        for a in run.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if a.name.startswith("network-public-")
    }
    assert run.one(INSTANCE).inputs["publiclyAccessible"] is False
    assert subnet_ids == run.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]["subnetIds"]
    assert len(subnet_ids) == 3
    assert not public_ids & set(subnet_ids)


def test_database_admits_only_the_cluster_security_group_on_5432() -> None:
    run = dev()
    cluster_sg = run.one("aws:eks/cluster:Cluster").outputs["vpcConfig"]["clusterSecurityGroupId"]
    group = run.one("aws:ec2/securityGroup:SecurityGroup", "postgres-sg").inputs
    assert [(r["fromPort"], r["toPort"], r["securityGroups"]) for r in group["ingress"]] == [(5432, 5432, [cluster_sg])]
    assert all(not r.get("cidrBlocks") for r in group["ingress"])


def test_database_storage_and_insights_are_encrypted_with_its_own_key(prod: StackRun) -> None:
    key_arn = prod.one("aws:kms/key:Key", "postgres-key").outputs["arn"]
    db = prod.one(INSTANCE).inputs
    assert db["storageEncrypted"] is True
    assert db["kmsKeyId"] == db["performanceInsightsKmsKeyId"] == key_arn


def test_the_micro_dev_database_runs_without_performance_insights() -> None:
    db = dev().one(INSTANCE).inputs
    assert db["performanceInsightsEnabled"] is False and "performanceInsightsKmsKeyId" not in db


def test_exported_database_logs_go_to_log_groups_pulumi_owns_with_retention() -> None:
    run = dev()
    groups = {g.inputs["name"]: g for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")}
    instance = run.one(INSTANCE)
    for log in instance.inputs["enabledCloudwatchLogsExports"]:
        group = groups[f"/aws/rds/instance/mlops-dev-mlflow/{log}"]
        assert group.inputs["retentionInDays"] == 14
        assert run.depends_on(instance, group)


def test_production_database_has_enhanced_monitoring_and_may_take_a_major_upgrade(prod: StackRun) -> None:
    db = prod.one(INSTANCE).inputs
    role = prod.one("aws:iam/role:Role", "postgres-monitoring")
    assert db["monitoringInterval"] == 60 and db["monitoringRoleArn"] == role.outputs["arn"]
    assert "monitoring.rds.amazonaws.com" in role.inputs["assumeRolePolicy"]
    assert db["allowMajorVersionUpgrade"] is True


def test_database_refuses_connections_without_tls() -> None:
    params = {p["name"]: p["value"] for p in dev().one("aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]}
    assert params["rds.force_ssl"] == "1"


def test_database_keeps_backups_for_the_configured_days() -> None:
    assert dev().one(INSTANCE).inputs["backupRetentionPeriod"] == 7


def test_dev_database_can_be_torn_down_without_a_final_snapshot() -> None:
    db = dev().one(INSTANCE).inputs
    assert db["skipFinalSnapshot"] is True
    assert db["deletionProtection"] is False


def test_production_database_is_multi_az_deletion_protected_and_keeps_a_final_snapshot(prod: StackRun) -> None:
    db = prod.one(INSTANCE).inputs
    assert db["multiAz"] is True
    assert db["deletionProtection"] is True
    assert db["skipFinalSnapshot"] is False
    assert db["finalSnapshotIdentifier"] == "mlops-prod-mlflow-final"
    assert db["backupRetentionPeriod"] == 30


def test_database_and_its_key_are_protected_from_destroy() -> None:
    run = dev()
    assert run.one(INSTANCE).protect
    assert run.one("aws:kms/key:Key", "postgres-key").protect


def test_database_password_is_generated_and_only_ever_a_secret() -> None:
    db = dev().one(INSTANCE)
    assert db.inputs["password"] == fake_password("postgres-password")
    assert db.masked_inputs["password"] == SECRET_MASK
    assert fake_password("postgres-password") not in json.dumps(db.masked_inputs)
