"""What the driver prints at the end: the per-stack table with its replacements, the CI change summary, outputs."""

from __future__ import annotations

import json

from pulumi.automation import EngineEvent, OutputValue

from automation.progress import StackProgress
from automation.render import (
    StackResult,
    Status,
    change_counts,
    change_summary_json,
    last_error_line,
    output_lines,
    summary_table,
)

BUCKET_URN = "urn:pulumi:dev-aws::mlops-platform::mlops:aws:Storage$aws:s3/bucket:Bucket::artifacts"


def outputs_event(op: str) -> EngineEvent:
    metadata = {"op": op, "urn": BUCKET_URN, "type": "aws:s3/bucket:Bucket", "provider": ""}
    return EngineEvent.from_json({"sequence": 1, "timestamp": 0, "resOutputsEvent": {"metadata": metadata}})


DB = {"op": "replace", "type": "aws:rds/instance:Instance", "name": "db", "replace_keys": ["engineVersion"]}


def test_summary_table_has_a_row_per_stack_with_counts() -> None:
    results = [
        StackResult("dev-aws", "up", Status.OK, changes={"create": 3, "update": 2}),
        StackResult("dev-gcp", "up", Status.FAILED, message="error: quota exceeded\nmore"),
    ]
    rows = summary_table(results).splitlines()
    assert rows[0].split()[:3] == ["stack", "command", "status"]
    assert rows[2].split() == ["dev-aws", "up", "ok", "3", "2", "0", "0", "0"]
    assert rows[3].split()[:3] == ["dev-gcp", "up", "failed"] and rows[3].endswith("error: quota exceeded")


def test_a_replacement_counts_once_in_its_own_column_not_as_create_and_delete() -> None:
    rows = summary_table([StackResult("dev-aws", "preview", changes={"replace": 1})]).splitlines()
    header, row = rows[0].split(), rows[2].split()
    assert dict(zip(header[3:7], row[3:7], strict=True)) == {
        "create": "0",
        "update": "0",
        "replace": "1",
        "delete": "0",
    }


def test_replacements_are_listed_below_the_table_with_the_inputs_forcing_them() -> None:
    table = summary_table([StackResult("dev-aws", "preview", changes={"replace": 1}, resources=[DB])])
    assert table.splitlines()[-2:] == [
        "REPLACEMENTS (the old resource is deleted):",
        "  dev-aws  aws:rds/instance:Instance  db  forced by: engineVersion",
    ]


def test_change_counts_drop_unchanged_resources() -> None:
    assert change_counts({"same": 40, "create": 2, "update": 0}) == {"create": 2}


def test_json_change_summary_lists_changes_and_resources_per_stack() -> None:
    progress = StackProgress("dev-aws")
    progress.start_phase("preview", planning=True)
    progress.lines_for(outputs_event("create"))
    resources = [op.as_dict() for op in progress.finished.values()]
    result = StackResult("dev-aws", "preview", changes={"create": 1}, resources=resources)
    summary = json.loads(change_summary_json([result]))
    assert summary["dev-aws"]["changes"] == {"create": 1}
    assert summary["dev-aws"]["resources"] == [
        {"op": "create", "type": "aws:s3/bucket:Bucket", "name": "artifacts", "urn": BUCKET_URN}
    ]


def test_json_change_summary_lists_the_replacements_apart() -> None:
    result = StackResult("dev-aws", "preview", changes={"replace": 1}, resources=[DB])
    assert json.loads(change_summary_json([result]))["dev-aws"]["replacements"] == [DB]


def test_secret_outputs_are_masked_unless_asked() -> None:
    outputs = {"kubeconfig": OutputValue("apiVersion: v1", True), "cloud": OutputValue("aws", False)}
    assert output_lines(outputs) == ['  cloud: "aws"', "  kubeconfig: [secret]"]
    assert output_lines(outputs, show_secrets=True)[1] == '  kubeconfig: "apiVersion: v1"'


def test_cli_error_is_reduced_to_its_error_line() -> None:
    error = RuntimeError(
        "code: 255\nstdout: Previewing update\nstderr: warning: x\nerror: preview failed: 2 policy violations\n"
    )
    assert last_error_line(error) == "error: preview failed: 2 policy violations"
