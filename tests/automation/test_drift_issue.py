"""The drift workflow's tracking issue, kept through a stand-in `gh` that records every call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from automation import drift_issue
from automation.drift_issue import body, track
from tests.automation.conftest import StandIn

BUCKET = {"op": "update", "type": "aws:s3/bucket:Bucket", "name": "artifacts", "urn": "urn:x::artifacts"}
DRIFT = {"stack": "dev-aws", "status": "drift", "drifted": [BUCKET], "message": ""}
NO_DRIFT = {"stack": "dev-aws", "status": "ok", "drifted": [], "message": ""}


@pytest.fixture
def stand_in_gh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    stand_in = StandIn("gh", tmp_path)
    stand_in.play({"issues": []})
    for key in ("PATH", "STAND_IN_RECORD", "STAND_IN_SCENARIO"):
        monkeypatch.setenv(key, stand_in.env()[key])
    return stand_in


def writes(stand_in: StandIn) -> list[list[str]]:
    """The calls that change something (everything but `issue list`), as `gh` subcommand + first argument."""
    return [c["argv"][:3] for c in stand_in.calls() if c["argv"][:2] != ["issue", "list"]]


def existing(report: dict[str, Any]) -> dict[str, Any]:
    return {"number": 7, "title": "Drift: dev-aws", "body": body(report)}


def test_drift_without_an_open_issue_opens_one_listing_the_resources(stand_in_gh: StandIn) -> None:
    track(DRIFT)
    [create] = [c for c in stand_in_gh.calls() if c["argv"][:2] == ["issue", "create"]]
    assert create["argv"][2:6] == ["--title", "Drift: dev-aws", "--label", "drift"]
    assert "| update | `aws:s3/bucket:Bucket` | `artifacts` |" in create["stdin"]


def test_unchanged_drift_updates_the_open_issue_without_a_comment(stand_in_gh: StandIn) -> None:
    stand_in_gh.play({"issues": [existing(DRIFT)]})
    track(DRIFT)
    assert writes(stand_in_gh) == [["issue", "edit", "7"]]


def test_changed_drift_updates_the_open_issue_and_comments(stand_in_gh: StandIn) -> None:
    stand_in_gh.play({"issues": [existing({**DRIFT, "drifted": []})]})
    track(DRIFT)
    assert writes(stand_in_gh) == [["issue", "edit", "7"], ["issue", "comment", "7"]]


def test_no_drift_closes_the_open_issue(stand_in_gh: StandIn) -> None:
    stand_in_gh.play({"issues": [existing(DRIFT)]})
    track(NO_DRIFT)
    assert writes(stand_in_gh) == [["issue", "close", "7"]]


def test_an_issue_of_another_stack_is_not_touched(stand_in_gh: StandIn) -> None:
    stand_in_gh.play({"issues": [{"number": 8, "title": "Drift: dev-gcp", "body": ""}]})
    track(NO_DRIFT)
    assert writes(stand_in_gh) == []


def test_a_failed_drift_check_leaves_the_issue_alone(stand_in_gh: StandIn) -> None:
    track({**DRIFT, "status": "failed"})
    assert stand_in_gh.calls() == []


def test_the_issue_links_the_run_that_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "5",
    }.items():
        monkeypatch.setenv(key, value)
    assert "Last checked: https://github.com/o/r/actions/runs/5." in drift_issue.body(DRIFT)
