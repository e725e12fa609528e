"""The driver's decisions, tested without the Pulumi CLI: stacks, plugins, confirmation, retries, exit codes."""

from __future__ import annotations

import pytest
from pulumi.automation._cmd import CommandResult
from pulumi.automation.errors import ConcurrentUpdateError

from automation.render import ExitCode, StackResult, Status, change_counts, drifted, exit_code
from automation.runner import Options, workspace_options
from automation.safety import destroy_refusal, protected_resources, retry_delays, with_retries
from automation.stacks import ROOT, SelectionError, check_backend_url, plugin_pins, select_stacks, stack_file

AVAILABLE = ["dev-aws", "dev-local"]


def locked() -> ConcurrentUpdateError:
    return ConcurrentUpdateError(CommandResult("", "error: the stack is currently locked by 1 lock(s)", 255))


def test_all_selects_every_stack_file() -> None:
    assert select_stacks([], True, AVAILABLE) == AVAILABLE


def test_repeated_stack_flags_select_each_once_in_order() -> None:
    assert select_stacks(["dev-local", "dev-aws", "dev-local"], False, AVAILABLE) == ["dev-local", "dev-aws"]


def test_unknown_stack_is_refused_naming_the_missing_file() -> None:
    with pytest.raises(SelectionError, match=r"no stack file Pulumi\.prod-aws\.yaml; stacks here: dev-aws, dev-local"):
        select_stacks(["prod-aws"], False, AVAILABLE)


def test_no_stack_at_all_asks_for_one() -> None:
    with pytest.raises(SelectionError, match="--stack"):
        select_stacks([], False, AVAILABLE)


def test_stack_and_all_together_are_refused() -> None:
    with pytest.raises(SelectionError, match="not both"):
        select_stacks(["dev-aws"], True, AVAILABLE)


def test_qualified_stack_name_uses_the_project_stack_file() -> None:
    assert select_stacks(["acme/dev-aws"], False, AVAILABLE) == ["acme/dev-aws"]
    assert stack_file("acme/mlops-platform/dev-aws") == ROOT / "Pulumi.dev-aws.yaml"


def test_plugins_are_pinned_from_requirements_without_sdk_or_policy() -> None:
    text = "# c\npulumi==3.272.0\npulumi-aws==7.51.1\npulumi-azure-native==3.29.0  # x\npulumi-policy==1.21.0\npydantic==2\n"
    assert plugin_pins(text) == [("aws", "v7.51.1"), ("azure-native", "v3.29.0")]


def test_project_requirements_pin_every_provider_plugin() -> None:
    names = {name for name, _ in plugin_pins((ROOT / "requirements.txt").read_text())}
    assert {"aws", "azure-native", "gcp", "kubernetes", "random"} <= names


@pytest.mark.parametrize("url", ["file://~/.pulumi-state", "s3://bucket/state", "azblob://state", "gs://bucket"])
def test_shared_state_backends_are_accepted(url: str) -> None:
    assert check_backend_url(url) == url


def test_backend_without_a_known_scheme_is_refused() -> None:
    with pytest.raises(SelectionError, match="must start with one of"):
        check_backend_url("/tmp/state")


def test_destroy_is_refused_without_confirmation() -> None:
    assert "--yes-destroy dev-aws" in (destroy_refusal("dev-aws", None) or "")


def test_destroy_is_refused_when_confirmation_names_another_stack() -> None:
    assert "does not match" in (destroy_refusal("dev-aws", "dev-gcp") or "")


def test_destroy_proceeds_when_confirmation_repeats_the_stack_name() -> None:
    assert (destroy_refusal("dev-aws", "dev-aws"), destroy_refusal("acme/dev-aws", "dev-aws")) == (None, None)


def test_protected_resources_are_listed_as_survivors() -> None:
    state = {
        "resources": [
            {
                "urn": "urn:pulumi:s::p::aws:rds/instance:Instance::db",
                "type": "aws:rds/instance:Instance",
                "protect": True,
            },
            {"urn": "urn:pulumi:s::p::aws:ec2/vpc:Vpc::net", "type": "aws:ec2/vpc:Vpc"},
        ]
    }
    assert protected_resources(state) == ["aws:rds/instance:Instance db"]


def test_lock_retry_backs_off_exponentially_up_to_a_cap() -> None:
    assert retry_delays(attempts=6, base_seconds=5, cap_seconds=30) == [5, 10, 20, 30, 30]


def test_locked_stack_is_retried_then_succeeds() -> None:
    outcomes: list[ConcurrentUpdateError | str] = [locked(), locked(), "done"]
    slept: list[float] = []

    def operation() -> str:
        value = outcomes.pop(0)
        if isinstance(value, ConcurrentUpdateError):
            raise value
        return value

    assert with_retries(operation, ConcurrentUpdateError, [1, 2, 4], sleep=slept.append) == "done"
    assert slept == [1, 2]


def test_lock_that_never_clears_fails_after_the_bounded_attempts() -> None:
    attempts = []

    def operation() -> None:
        attempts.append(1)
        raise locked()

    with pytest.raises(ConcurrentUpdateError):
        with_retries(operation, ConcurrentUpdateError, [1, 2], sleep=lambda _: None)
    assert len(attempts) == 3


def test_refresh_preview_with_updates_or_deletes_is_drift() -> None:
    assert drifted(change_counts({"same": 10, "update": 1})) and not drifted(change_counts({"same": 10}))


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        ([Status.OK, Status.OK], ExitCode.OK),
        ([Status.OK, Status.DRIFT], ExitCode.DRIFT),
        ([Status.DRIFT, Status.FAILED], ExitCode.ERROR),
        ([Status.REFUSED], ExitCode.ERROR),
        ([Status.OK, Status.CANCELLED], ExitCode.CANCELLED),
    ],
)
def test_exit_code_reports_the_worst_stack(statuses: list[Status], code: int) -> None:
    assert exit_code([StackResult(f"s{i}", "drift", s) for i, s in enumerate(statuses)]) == code


def test_backend_url_reaches_every_pulumi_subprocess_through_the_environment() -> None:
    options = workspace_options(Options(command="preview", backend_url="s3://team-state/mlops"))
    assert options.env_vars == {"PULUMI_BACKEND_URL": "s3://team-state/mlops"}


def test_workspace_never_rewrites_the_project_or_stack_files() -> None:
    options = workspace_options(Options(command="up"))
    assert (options.project_settings, options.stack_settings, options.env_vars) == (None, None, None)
