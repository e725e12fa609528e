"""The platform's secrets: generated, stored in Secrets Manager under one path, encrypted with their own key."""

from __future__ import annotations

from offline.harness import SECRET_MASK, StackRun
from offline.mocks.random import fake_password
from tests.clouds.aws.conftest import dev

SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"


def test_platform_secrets_live_under_the_stack_path() -> None:
    names = sorted(s.inputs["name"] for s in dev().of_type(SECRET))
    assert names == [
        "mlops/dev/argocd-admin-password",
        "mlops/dev/database-password",
        "mlops/dev/grafana-admin-password",
    ]


def test_secrets_are_encrypted_with_the_platform_secrets_key() -> None:
    run = dev()
    key_arn = run.one("aws:kms/key:Key", "secrets-key").outputs["arn"]
    assert {s.inputs["kmsKeyId"] for s in run.of_type(SECRET)} == {key_arn}


def test_the_database_password_in_secrets_manager_is_the_one_rds_uses() -> None:
    run = dev()
    stored = run.one(VERSION, "secrets-database-password")
    assert stored.inputs["secretString"] == run.one("aws:rds/instance:Instance").inputs["password"]


def test_secret_values_are_generated_and_masked_in_the_plan() -> None:
    run = dev()
    grafana = run.one(VERSION, "secrets-grafana-admin-password")
    assert grafana.inputs["secretString"] == fake_password("secrets-grafana-admin-password")
    assert all(v.masked_inputs["secretString"] == SECRET_MASK for v in run.of_type(VERSION))


def test_dev_secrets_delete_at_once_so_the_stack_can_be_recreated() -> None:
    assert {s.inputs["recoveryWindowInDays"] for s in dev().of_type(SECRET)} == {0}


def test_production_secrets_keep_a_recovery_window(prod: StackRun) -> None:
    assert {s.inputs["recoveryWindowInDays"] for s in prod.of_type(SECRET)} == {30}
