"""What a stack prints while it runs: phase headers, each operation once, replacements with their cause, heartbeats."""

from __future__ import annotations

from typing import Any

from pulumi.automation import EngineEvent

from automation.progress import StackProgress
from tests.automation.conftest import engine_event, step

BUCKET = "urn:pulumi:dev-aws::mlops-platform::mlops:aws:Storage$aws:s3/bucket:Bucket::artifacts"
DB = "urn:pulumi:dev-aws::mlops-platform::mlops:aws:Database$aws:rds/instance:Instance::db"
CLUSTER = "urn:pulumi:dev-aws::mlops-platform::mlops:aws:Cluster$aws:eks/cluster:Cluster::main"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def printed(progress: StackProgress, *events: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for number, event in enumerate(events, start=1):
        lines += progress.lines_for(EngineEvent.from_json({"sequence": number, "timestamp": 0, **event}))
    return lines


def in_phase(name: str, planning: bool = False, clock: FakeClock | None = None) -> StackProgress:
    progress = StackProgress("dev-aws", clock=clock or FakeClock(), heartbeat_seconds=60)
    progress.start_phase(name, planning=planning)
    return progress


def replacement_steps(planning: bool) -> list[dict[str, Any]]:
    """The engine's three steps of one create-before-delete replacement, each with a pre and an outputs event."""
    keys = {"keys": ["engineVersion"], "diffs": ["engineVersion", "tags"]}
    return [
        event
        for op in ("create-replacement", "replace", "delete-replaced")
        for event in (
            step("resourcePreEvent", op, DB, planning, **keys),
            step("resOutputsEvent", op, DB, planning, **keys),
        )
    ]


def test_each_phase_starts_with_a_header_naming_stack_and_phase() -> None:
    assert StackProgress("dev-aws").start_phase("update") == "[dev-aws] --- update ---"


def test_an_operation_reported_by_pre_and_outputs_events_prints_one_line() -> None:
    lines = printed(
        in_phase("update"), step("resourcePreEvent", "create", BUCKET), step("resOutputsEvent", "create", BUCKET)
    )
    assert lines == ["[dev-aws]  + create             aws:s3/bucket:Bucket  artifacts"]


def test_an_operation_reported_twice_prints_once() -> None:
    progress = in_phase("update")
    assert len(printed(progress, *[step("resOutputsEvent", "update", BUCKET)] * 2)) == 1


def test_a_replacement_prints_one_line_naming_the_input_that_forces_it() -> None:
    lines = printed(in_phase("update"), *replacement_steps(planning=False))
    assert lines == [
        "[dev-aws] +- REPLACE            aws:rds/instance:Instance  db  (forced by: engineVersion)",
    ]


def test_a_planned_replacement_prints_one_line_in_a_preview() -> None:
    lines = printed(in_phase("preview", planning=True), *replacement_steps(planning=True))
    assert [line for line in lines if "REPLACE" in line] == [
        "[dev-aws] +- REPLACE            aws:rds/instance:Instance  db  (forced by: engineVersion)"
    ]


def test_a_replacement_without_replace_keys_is_explained_by_the_detailed_diff() -> None:
    diff = {"detailedDiff": {"storageEncrypted": {"diffKind": "update-replace", "inputDiff": True}}}
    lines = printed(in_phase("preview", planning=True), step("resOutputsEvent", "replace", DB, True, **diff))
    assert lines[0].endswith("(forced by: storageEncrypted)")


def test_a_replacement_is_recorded_once_with_its_keys() -> None:
    progress = in_phase("update")
    printed(progress, *replacement_steps(planning=False))
    assert [op.as_dict() for op in progress.finished.values()] == [
        {
            "op": "replace",
            "type": "aws:rds/instance:Instance",
            "name": "db",
            "urn": DB,
            "replace_keys": ["engineVersion"],
        }
    ]


def test_unchanged_resources_print_nothing() -> None:
    progress = in_phase("update")
    assert (printed(progress, step("resOutputsEvent", "same", BUCKET)), progress.finished) == ([], {})


def test_failed_operation_is_flagged() -> None:
    failed = engine_event(
        "resOpFailedEvent",
        metadata={"op": "update", "urn": BUCKET, "type": "aws:s3/bucket:Bucket", "provider": ""},
        status=1,
        steps=1,
    )
    assert printed(in_phase("update"), failed) == ["[dev-aws] !! update failed        aws:s3/bucket:Bucket  artifacts"]


def test_the_same_warning_prints_once_per_run() -> None:
    warning = engine_event(
        "diagnosticEvent", message="deprecated input\n", color="never", severity="warning", urn=BUCKET
    )
    progress = in_phase("preview", planning=True)
    first = printed(progress, warning)
    progress.start_phase("update")
    assert (first, printed(progress, warning)) == (["[dev-aws] warning (artifacts): deprecated input"], [])


def test_policy_violation_names_policy_resource_and_message() -> None:
    policy = engine_event(
        "policyEvent",
        message="S3 bucket 'artifacts' has no aws.s3.BucketPublicAccessBlock; add one.\n",
        color="never",
        policyName="s3-bucket-has-public-access-block-and-encryption",
        policyPackName="mlops-platform",
        policyPackVersion="0.1.0",
        policyPackVersionTag="0.1.0",
        enforcementLevel="mandatory",
        resourceUrn=BUCKET,
    )
    assert printed(in_phase("preview", planning=True), policy) == [
        "[dev-aws] policy mandatory s3-bucket-has-public-access-block-and-encryption (artifacts): "
        "S3 bucket 'artifacts' has no aws.s3.BucketPublicAccessBlock; add one."
    ]


def test_heartbeat_names_each_running_operation_with_its_elapsed_time() -> None:
    clock = FakeClock()
    progress = in_phase("update", clock=clock)
    printed(progress, step("resourcePreEvent", "create", CLUSTER))
    clock.now += 30
    printed(progress, step("resourcePreEvent", "create", DB))
    clock.now += 31
    assert progress.heartbeat() == [
        "[dev-aws] .. update running 1m01s: still creating aws:eks/cluster:Cluster main (1m01s); "
        "creating aws:rds/instance:Instance db (31s)"
    ]


def test_no_heartbeat_before_the_interval_has_passed() -> None:
    clock = FakeClock()
    progress = in_phase("update", clock=clock)
    printed(progress, step("resourcePreEvent", "create", CLUSTER))
    clock.now += 59
    assert progress.heartbeat() == []


def test_a_finished_operation_leaves_the_heartbeat() -> None:
    clock = FakeClock()
    progress = in_phase("update", clock=clock)
    printed(progress, step("resourcePreEvent", "create", CLUSTER), step("resOutputsEvent", "create", CLUSTER))
    clock.now += 120
    assert progress.heartbeat() == []


def test_gate_preview_prints_its_plan_as_counts() -> None:
    progress = StackProgress("dev-aws")
    progress.start_phase("preview", planning=True, show_each_operation=False)
    assert printed(progress, step("resOutputsEvent", "create", BUCKET, True)) == []
    assert progress.plan_line({"create": 1, "replace": 1}) == "[dev-aws] preview: 1 to create, 1 to replace"
