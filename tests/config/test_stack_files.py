"""Broken stack files, end to end through `make plan`: one clear line per problem, exit 2, never a traceback;
and what Pulumi and Kubernetes accept is accepted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config import parse_stack_config
from config.loader import OFFLINE_SECRET, PATTERN_WORDS
from config.stack import StackConfig
from offline import plan
from offline.harness import ROOT_DIR
from tests.conftest import DEPLOYER_CIDR

REACHABLE = {"endpointAllowList": [DEPLOYER_CIDR]}

NS = "mlops-platform"
GCP = f"  {NS}:cloud: gcp\n  {NS}:gcp: {{project: acme-mlops-dev}}\n"
AZURE = f"  {NS}:cloud: azure\n"
AWS = f"  {NS}:cloud: aws\n"


def stack(body: str) -> str:
    return "config:\n" + body


# (id, stack file text, a line the user must see). Every case is a distinct mistake.
BROKEN = [
    # The file itself: YAML and layout.
    ("yaml-bad-indentation", f"config:\n  {NS}:cloud: aws\n   {NS}:environment: dev\n", "line 3, column"),
    ("yaml-unclosed-flow", stack(AWS + f"  {NS}:tags: {{team: platform\n"), "not valid YAML"),
    ("yaml-undefined-alias", stack(AWS + f"  {NS}:namePrefix: *prefix\n"), "undefined alias"),
    ("yaml-tab-indentation", f"config:\n\t{NS}:cloud: aws\n", "not valid YAML"),
    ("document-is-a-list", f"- {NS}:cloud: aws\n", "got a list; a stack file is a mapping with a `config:` key"),
    ("document-is-a-string", "just some text\n", "got a str; a stack file is a mapping"),
    ("misspelled-config-key", f"confg:\n{AWS}", "confg: unknown top-level key; did you mean 'config'?"),
    ("config-is-a-list", f"config:\n  - {NS}:cloud: aws\n", "config: got"),
    ("misspelled-namespace", stack("  mlops-platfrom:cloud: aws\n"), "unknown config namespace 'mlops-platfrom'"),
    ("misspelled-namespace-of-a-block", stack(AWS + "  mlops-plattform:aws: {region: eu-west-1}\n"), "did you mean"),
    # Values: what was expected, in words.
    (
        "float-kubernetes-version",
        stack(AWS + f"  {NS}:cluster: {{kubernetesVersion: 1.30}}\n"),
        'quote it, e.g. "1.30"',
    ),
    ("uppercase-name-prefix", stack(AWS + f"  {NS}:namePrefix: MLOps\n"), "expected lowercase letters and digits"),
    ("tag-value-with-space", stack(AWS + f"  {NS}:tags: {{team: data science}}\n"), "up to 63 lowercase letters"),
    ("gcp-project-too-short", stack(f"  {NS}:cloud: gcp\n  {NS}:gcp: {{project: abc}}\n"), "a GCP project ID: 6-30"),
    (
        "team-quota-not-a-quantity",
        stack(AWS + f"  {NS}:teams: [{{name: ab-c, identityGroup: x, quota: {{memory: lots}}}}]\n"),
        "a Kubernetes quantity",
    ),
    (
        "gcp-zone-misspelled",
        stack(GCP.replace("}\n", ", zones: [europe-west4a]}\n")),
        "a GCP zone such as europe-west4-a",
    ),
    (
        "rds-class-without-db-prefix",
        stack(AWS + f"  {NS}:aws: {{databaseInstanceClass: t4g.medium}}\n"),
        "an RDS instance class",
    ),
    (
        "acme-email-not-an-address",
        stack(AWS + f"  {NS}:dns: {{domain: ml.example.com, acmeEmail: ops}}\n"),
        "an e-mail address",
    ),
    ("protect-not-a-boolean", stack(AWS + f"  {NS}:protect: maybe\n"), "protect: got 'maybe'"),
    ("node-pools-a-list", stack(AWS + f"  {NS}:nodePools: [system]\n"), "nodePools: got"),
    # Mistakes that used to slip through: machine types of another cloud, GPU pools without a GPU.
    (
        "aws-type-on-azure",
        stack(AZURE + f"  {NS}:nodePools: {{system: {{machineTypes: [m6i.large]}}}}\n"),
        "'m6i.large' is an AWS machine type; on Azure",
    ),
    (
        "azure-size-on-gcp",
        stack(GCP + f"  {NS}:nodePools: {{cpuSpot: {{machineTypes: [Standard_D8ds_v5]}}}}\n"),
        "'Standard_D8ds_v5' is an Azure machine type; on GCP",
    ),
    (
        "gcp-type-on-aws",
        stack(AWS + f"  {NS}:nodePools: {{system: {{machineTypes: [e2-standard-4]}}}}\n"),
        "'e2-standard-4' is a GCP machine type; on AWS",
    ),
    (
        "aws-gpu-pool-without-gpu",
        stack(AWS + f"  {NS}:nodePools: {{gpuSpot: {{machineTypes: [m6i.xlarge]}}}}\n"),
        "'m6i.xlarge' has no GPU",
    ),
    (
        "azure-gpu-pool-without-gpu",
        stack(AZURE + f"  {NS}:nodePools: {{gpuSpot: {{machineTypes: [Standard_D8ds_v5]}}}}\n"),
        "'Standard_D8ds_v5' has no GPU",
    ),
    (
        "gcp-gpu-pool-without-gpu",
        stack(GCP + f"  {NS}:nodePools: {{gpuSpot: {{machineTypes: [n2-standard-4], gpuType: nvidia-l4}}}}\n"),
        "'n2-standard-4' has no GPU",
    ),
    (
        "gpus-per-node-the-machine-lacks",
        stack(AWS + f"  {NS}:nodePools: {{gpuSpot: {{machineTypes: [g5.xlarge], gpusPerNode: 4}}}}\n"),
        "g5.xlarge has 1 GPU(s) per node",
    ),
    # Identity groups in the cloud's own format.
    (
        "aws-team-group-not-a-role-arn",
        stack(AWS + f"  {NS}:teams: [{{name: fraud, identityGroup: fraud@example.com}}]\n"),
        "on AWS this is the IAM role ARN",
    ),
    (
        "azure-team-group-not-a-guid",
        stack(AZURE + f"  {NS}:teams: [{{name: vision, identityGroup: vision@example.com}}]\n"),
        "not an Entra ID object ID",
    ),
    (
        "gcp-team-group-not-an-email",
        stack(GCP + f"  {NS}:teams: [{{name: vision, identityGroup: 8a1d6c3e-52f4-4b7a-a0c9-1e2f3d4c5b6a}}]\n"),
        "on GCP this is the Google group's e-mail",
    ),
    # Database SKU outside its tier; retention outside the cloud's range.
    (
        "azure-sku-outside-tier",
        stack(AZURE + f"  {NS}:azure: {{databaseSku: Standard_D2ds_v5, databaseTier: Burstable}}\n"),
        "the Burstable tier has Standard_B* sizes only",
    ),
    (
        "azure-memory-tier-with-burstable-sku",
        stack(AZURE + f"  {NS}:azure: {{databaseTier: MemoryOptimized}}\n"),
        "the MemoryOptimized tier has Standard_E* sizes only",
    ),
    (
        "azure-backup-retention-below-7",
        stack(AZURE + f"  {NS}:database: {{backupRetentionDays: 3}}\n"),
        "Flexible Server keeps 7 to 35 days",
    ),
    (
        "azure-flow-log-retention-over-a-year",
        stack(AZURE + f"  {NS}:network: {{flowLogRetentionDays: 400}}\n"),
        "VNet flow logs keep at most 365 days",
    ),
    (
        "gcp-flow-log-retention-over-ten-years",
        stack(GCP + f"  {NS}:network: {{flowLogRetentionDays: 3653}}\n"),
        "a Cloud Logging bucket keeps at most 3650 days",
    ),
    (
        "aws-flow-log-retention-cloudwatch-refuses",
        stack(AWS + f"  {NS}:network: {{flowLogRetentionDays: 15}}\n"),
        "CloudWatch Logs accepts",
    ),
    (
        "backup-retention-beyond-35",
        stack(AWS + f"  {NS}:database: {{backupRetentionDays: 90}}\n"),
        "backupRetentionDays: got 90",
    ),
    ("engine-version-not-offered", stack(AWS + f"  {NS}:database: {{engineVersion: 15}}\n"), "allowed values: 16, 17"),
    (
        "gcp-gpu-type-on-the-wrong-family",
        stack(GCP + f"  {NS}:nodePools: {{gpuSpot: {{machineTypes: [g2-standard-4], gpuType: nvidia-tesla-t4}}}}\n"),
        "nvidia-tesla-t4 attaches only to n1-*",
    ),
    (
        "local-stack-unknown-key",
        stack(f"  {NS}:cloud: local\n  {NS}:local: {{kubeContext: kind-mlops}}\n"),
        "did you mean 'kubeconfigContext'?",
    ),
    (
        "secret-value-not-a-mapping",
        stack(AWS + f"  {NS}:aws:\n    secure: v1:AAAA\n"),
        "aws: got a secret value (not shown); expected a mapping",
    ),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT_DIR / "__main__.py", directory / "__main__.py")
    return directory


def plan_of(project: Path, name: str, text: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    (project / f"Pulumi.{name}.yaml").write_text(text)
    status = plan.main([name, "--no-json", "--project-dir", str(project), *extra])
    return status, capsys.readouterr().err


def test_there_are_at_least_forty_distinct_broken_stack_files_across_all_clouds() -> None:
    texts = {text for _, text, _ in BROKEN}
    assert len(texts) == len(BROKEN) >= 40
    assert all(any(f"cloud: {cloud}" in t for t in texts) for cloud in ("aws", "azure", "gcp", "local"))


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in BROKEN])
def test_a_broken_stack_file_exits_2_with_a_clear_line_and_no_traceback(
    project: Path, text: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = plan_of(project, "broken", text, capsys)
    assert status == 2, err
    assert err.startswith("Pulumi.broken.yaml: "), err
    assert "nothing was declared." in err.splitlines()[0]
    assert expected in err, err
    assert "Traceback" not in err and OFFLINE_SECRET not in err


ACCEPTED = [
    ("unquoted-engine-version", stack(AWS + f"  {NS}:database: {{engineVersion: 17}}\n")),
    (
        "unquoted-cpu-quota",
        stack(
            AWS
            + f"  {NS}:teams: [{{name: fraud, identityGroup: 'arn:aws:iam::123456789012:role/x', quota: {{cpu: 32, memory: 128Gi}}}}]\n"
        ),
    ),
    ("empty-block", stack(AWS + f"  {NS}:database:\n  {NS}:objectStore:\n")),
    ("empty-nested-block", stack(AWS + f"  {NS}:nodePools:\n    system:\n")),
    (
        "nested-secure-value",
        stack(
            AWS
            + f"  {NS}:dns:\n    domain: ml.example.com\n    acmeEmail: ops@example.com\n    sso:\n      issuer: https://login.example.com\n      clientId:\n        secure: v1:AAAA\n"
        ),
    ),
    ("azure-without-node-pools", stack(AZURE)),
    ("gcp-without-node-pools", stack(GCP)),
]


@pytest.mark.parametrize("text", [pytest.param(t, id=i) for i, t in ACCEPTED])
def test_what_pulumi_and_kubernetes_accept_is_accepted(
    project: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # No stack file can name the deployer's address; the user passes it as `make plan` users do.
    status, err = plan_of(project, "fine", text, capsys, "--set", f"cluster.endpointAllowList=[{DEPLOYER_CIDR}]")
    assert status == 0, err


def test_an_azure_stack_without_node_pools_gets_azure_sizes_not_aws_types() -> None:
    config = parse_stack_config({"cloud": "azure", "cluster": REACHABLE}, "Pulumi.x.yaml")
    pools = config.node_pools
    assert [pools.system.machine_types, pools.cpu_spot.machine_types, pools.gpu_spot.machine_types] == [
        ["Standard_D4ds_v5"],
        ["Standard_D8ds_v5"],
        ["Standard_NC4as_T4_v3"],
    ]


def test_a_secret_value_is_never_echoed_in_a_message() -> None:
    with pytest.raises(Exception) as caught:
        parse_stack_config({"cloud": "aws", "namePrefix": "S3cr3t!"}, "Pulumi.x.yaml", secret_keys=["namePrefix"])
    assert "S3cr3t!" not in str(caught.value)
    assert "got a secret value (not shown)" in str(caught.value)


def _patterns(schema: object) -> set[str]:
    if isinstance(schema, dict):
        own = {schema["pattern"]} if isinstance(schema.get("pattern"), str) else set()
        return own.union(*(_patterns(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_patterns(v) for v in schema))
    return set()


def test_every_pattern_of_the_model_is_said_in_words() -> None:
    missing = _patterns(StackConfig.model_json_schema(by_alias=True)) - set(PATTERN_WORDS)
    assert not missing, f"add these to config.loader.PATTERN_WORDS: {sorted(missing)}"


def test_a_pool_that_names_its_machine_type_takes_none_of_the_cloud_defaults() -> None:
    raw = {
        "cloud": "gcp",
        "gcp": {"project": "acme-mlops-dev", "nodeAutoProvisioning": {"gpuLimits": {"nvidia-tesla-t4": 8}}},
        "nodePools": {"gpuSpot": {"machineTypes": ["n1-standard-4"]}},
        "cluster": REACHABLE,
    }
    gpu = parse_stack_config(raw, "Pulumi.x.yaml").node_pools.gpu_spot
    assert (gpu.machine_types, gpu.gpu_type) == (["n1-standard-4"], "nvidia-tesla-t4")
