"""What the driver prints: one line per resource operation, the per-stack table, the CI change summary."""

from __future__ import annotations

import json

from pulumi.automation import EngineEvent, OutputValue

from automation.render import (
    StackResult,
    Status,
    change_counts,
    change_summary_json,
    event_line,
    last_error_line,
    output_lines,
    resource_operation,
    summary_table,
)

BUCKET_URN = "urn:pulumi:dev-aws::mlops-platform::mlops:aws:Storage$aws:s3/bucket:Bucket::artifacts"


def outputs_event(op: str) -> EngineEvent:
    metadata = {"op": op, "urn": BUCKET_URN, "type": "aws:s3/bucket:Bucket", "provider": ""}
    return EngineEvent.from_json({"sequence": 1, "timestamp": 0, "resOutputsEvent": {"metadata": metadata}})


def test_resource_operation_is_one_line_with_stack_op_type_and_name() -> None:
    assert (
        event_line("dev-aws", outputs_event("create"))
        == "[dev-aws]  + create             aws:s3/bucket:Bucket  artifacts"
    )


def test_unchanged_resources_print_nothing() -> None:
    assert (event_line("dev-aws", outputs_event("same")), resource_operation(outputs_event("same"))) == (None, None)


def test_failed_operation_is_flagged() -> None:
    metadata = {"op": "update", "urn": BUCKET_URN, "type": "aws:s3/bucket:Bucket", "provider": ""}
    event = EngineEvent.from_json(
        {"sequence": 2, "timestamp": 0, "resOpFailedEvent": {"metadata": metadata, "status": 1, "steps": 1}}
    )
    assert event_line("dev-aws", event) == "[dev-aws] !! update failed        aws:s3/bucket:Bucket  artifacts"


def test_policy_violation_names_policy_resource_and_message() -> None:
    policy = {
        "message": "S3 bucket 'artifacts' has no aws.s3.BucketPublicAccessBlock; add one.\n",
        "color": "never",
        "policyName": "s3-bucket-has-public-access-block-and-encryption",
        "policyPackName": "mlops-platform",
        "policyPackVersion": "0.1.0",
        "policyPackVersionTag": "0.1.0",
        "enforcementLevel": "mandatory",
        "resourceUrn": BUCKET_URN,
    }
    line = event_line("dev-aws", EngineEvent.from_json({"sequence": 3, "timestamp": 0, "policyEvent": policy}))
    assert line == (
        "[dev-aws] policy mandatory s3-bucket-has-public-access-block-and-encryption (artifacts): "
        "S3 bucket 'artifacts' has no aws.s3.BucketPublicAccessBlock; add one."
    )


def test_summary_table_has_a_row_per_stack_with_counts() -> None:
    results = [
        StackResult("dev-aws", "up", Status.OK, changes={"create": 3, "replace": 1}),
        StackResult("dev-gcp", "up", Status.FAILED, message="error: quota exceeded\nmore"),
    ]
    rows = summary_table(results).splitlines()
    assert rows[0].split() == ["stack", "command", "status", "create", "update", "delete", "seconds", "note"]
    assert rows[2].split() == ["dev-aws", "up", "ok", "4", "0", "1", "0"]
    assert rows[3].split()[:3] == ["dev-gcp", "up", "failed"] and rows[3].endswith("error: quota exceeded")


def test_change_counts_drop_unchanged_resources() -> None:
    assert change_counts({"same": 40, "create": 2, "update": 0}) == {"create": 2}


def test_json_change_summary_lists_changes_and_resources_per_stack() -> None:
    operation = resource_operation(outputs_event("create"))
    assert operation is not None
    result = StackResult("dev-aws", "preview", changes={"create": 1}, resources=[operation])
    summary = json.loads(change_summary_json([result]))
    assert summary["dev-aws"]["changes"] == {"create": 1}
    assert summary["dev-aws"]["resources"] == [{"op": "create", "type": "aws:s3/bucket:Bucket", "name": "artifacts"}]


def test_secret_outputs_are_masked_unless_asked() -> None:
    outputs = {"kubeconfig": OutputValue("apiVersion: v1", True), "cloud": OutputValue("aws", False)}
    assert output_lines(outputs) == ['  cloud: "aws"', "  kubeconfig: [secret]"]
    assert output_lines(outputs, show_secrets=True)[1] == '  kubeconfig: "apiVersion: v1"'


def test_cli_error_is_reduced_to_its_error_line() -> None:
    error = RuntimeError(
        "code: 255\nstdout: Previewing update\nstderr: warning: x\nerror: preview failed: 2 policy violations\n"
    )
    assert last_error_line(error) == "error: preview failed: 2 policy violations"
