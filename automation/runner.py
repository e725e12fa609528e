"""The part that talks to the Pulumi CLI: one LocalWorkspace per stack, operations with retries, cancellation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation.errors import ConcurrentUpdateError, StackNotFoundError

from automation.processes import PulumiProcesses, StopRequestedError, SupervisedPulumiCommand
from automation.progress import HEARTBEAT_SECONDS, StackProgress
from automation.render import StackResult, Status, change_counts, drifted, last_error_line, output_lines
from automation.safety import protected_resources, retry_delays, with_retries
from automation.stacks import POLICY_PACK, REQUIREMENTS, ROOT, plugin_pins

_print_lock = threading.RLock()  # re-entered when a signal handler prints while the main thread prints
CREATING = ("preview", "up")


def say(line: str) -> None:
    """Print whole lines from several stack threads without interleaving them."""
    with _print_lock:
        print(line, flush=True)


@dataclass(frozen=True)
class Options:
    command: str
    backend_url: str | None = None
    secrets_provider: str | None = None
    policy_pack: Path | None = POLICY_PACK
    lock_attempts: int = 5
    show_secrets: bool = False
    heartbeat_seconds: float = HEARTBEAT_SECONDS


class StackRun:
    """One stack's operation in its own workspace; the main thread polls `progress` for heartbeats."""

    def __init__(self, name: str, options: Options, processes: PulumiProcesses) -> None:
        self.name = name
        self.options = options
        self.processes = processes
        self.result = StackResult(name, options.command)
        self.progress = StackProgress(name, heartbeat_seconds=options.heartbeat_seconds)
        self._stack: auto.Stack | None = None

    def on_event(self, event: auto.EngineEvent) -> None:
        for line in self.progress.lines_for(event):
            say(line)

    def phase(self, name: str, planning: bool = False, show_each_operation: bool = True) -> None:
        """Announce the next engine operation; refuse to start one once the driver has been asked to stop."""
        if self.processes.stop_signal is not None:
            raise StopRequestedError(f"{name} not started")
        say(self.progress.start_phase(name, planning, show_each_operation))

    def record_operations(self) -> None:
        """The result lists what the current phase changed (the update's, not the refresh's or the gate's)."""
        self.result.resources = [op.as_dict() for op in self.progress.finished.values()]

    def run(self) -> StackResult:
        started = time.monotonic()
        if self.processes.stop_signal is not None:
            self.result.status, self.result.message = Status.SKIPPED, "not started: the driver was interrupted"
            return self.result
        try:
            # Only preview and up may create a stack; the others act on state that must already exist.
            open_stack = auto.create_or_select_stack if self.options.command in CREATING else auto.select_stack
            opts = workspace_options(self.options, SupervisedPulumiCommand(self.processes))
            self._stack = open_stack(stack_name=self.name, work_dir=str(ROOT), opts=opts)
            OPERATIONS[self.options.command](self)
        except StackNotFoundError:
            self._fail(f"stack {self.name} does not exist in this backend; `up` creates it")
        except ConcurrentUpdateError:
            self._fail(
                f"stack is locked by another update after {self.options.lock_attempts} attempts; wait for it, or "
                f"`pulumi cancel -s {self.name}` if it died"
            )
        except Exception as error:  # a worker thread must report, never die silently
            self._fail(last_error_line(error))
        finally:
            self.result.seconds = time.monotonic() - started
            self.record_operations()
        return self.result

    def _fail(self, message: str) -> None:
        received = self.processes.stop_signal
        if received is not None:  # an interrupted operation ends in an error; the signal is the reason
            self.result.status = Status.CANCELLED
            self.result.message = f"cancelled by {received.name}; run `refresh` if an update was cut short"
        else:
            self.result.status = Status.FAILED
            self.result.message = message

    def retried(self, operation: Callable[[], Any]) -> Any:
        """Run one engine operation, waiting out a lock held by another update."""
        return with_retries(
            operation,
            ConcurrentUpdateError,
            retry_delays(self.options.lock_attempts),
            on_retry=lambda attempt, delay: say(f"[{self.name}] stack is locked; retry {attempt} in {delay:.0f}s"),
        )

    @property
    def stack(self) -> auto.Stack:
        assert self._stack is not None
        return self._stack

    def policy_packs(self) -> list[str] | None:
        return [str(self.options.policy_pack)] if self.options.policy_pack else None


def _preview(run: StackRun) -> None:
    run.phase("preview", planning=True)
    result = run.retried(lambda: run.stack.preview(on_event=run.on_event, policy_packs=run.policy_packs()))
    run.result.changes = change_counts(result.change_summary)


def _up(run: StackRun) -> None:
    # Automation API's `up` skips the preview, so stack-level policies would only report after the fact:
    # refresh, then preview with the pack as a gate, then update with the pack again.
    run.phase("refresh")
    run.retried(lambda: run.stack.refresh(on_event=run.on_event))
    # The gate prints its plan as counts and replacements only, so each operation is printed once: by the update.
    run.phase("preview", planning=True, show_each_operation=False)
    plan = run.retried(lambda: run.stack.preview(on_event=run.on_event, policy_packs=run.policy_packs()))
    say(run.progress.plan_line(change_counts(plan.change_summary)))
    run.phase("update")
    result = run.retried(lambda: run.stack.up(on_event=run.on_event, policy_packs=run.policy_packs()))
    run.result.changes = change_counts(result.summary.resource_changes)
    say("\n".join([f"[{run.name}] outputs:", *output_lines(result.outputs, run.options.show_secrets)]))


def _refresh(run: StackRun) -> None:
    run.phase("refresh")
    result = run.retried(lambda: run.stack.refresh(on_event=run.on_event))
    run.result.changes = change_counts(result.summary.resource_changes)


def _drift(run: StackRun) -> None:
    # expect_no_changes semantics, decided here so the drifted resources can be listed instead of one error.
    run.phase("refresh (preview)", planning=True)
    result = run.retried(lambda: run.stack.preview_refresh(on_event=run.on_event))
    run.result.changes = change_counts(result.change_summary)
    if drifted(run.result.changes):
        run.result.status = Status.DRIFT
        run.record_operations()
        names = [f"{r['op']} {r['type']} {r['name']}" for r in run.result.resources]
        run.result.message = f"{len(names)} drifted: " + "; ".join(names) if names else "drift detected"


def _destroy(run: StackRun) -> None:
    survivors = protected_resources(run.stack.export_stack().deployment)
    if survivors:
        say(f"[{run.name}] protected, will survive the destroy (unprotect with `pulumi state unprotect`):")
        for survivor in survivors:
            say(f"[{run.name}]   {survivor}")
    run.phase("destroy")
    result = run.retried(lambda: run.stack.destroy(on_event=run.on_event, exclude_protected=True))
    run.result.changes = change_counts(result.summary.resource_changes)
    if survivors:
        run.result.message = f"{len(survivors)} protected resources kept"


def _outputs(run: StackRun) -> None:
    say("\n".join([f"[{run.name}] outputs:", *output_lines(run.stack.outputs(), run.options.show_secrets)]))


OPERATIONS: dict[str, Callable[[StackRun], None]] = {
    "preview": _preview,
    "up": _up,
    "refresh": _refresh,
    "drift": _drift,
    "destroy": _destroy,
    "outputs": _outputs,
}


def workspace_options(options: Options, pulumi_command: auto.PulumiCommand | None = None) -> auto.LocalWorkspaceOptions:
    # Project settings are NOT passed: LocalWorkspace would rewrite Pulumi.yaml. The backend goes through the
    # environment instead, which every `pulumi` subprocess of this workspace inherits.
    env = {"PULUMI_BACKEND_URL": options.backend_url} if options.backend_url else None
    return auto.LocalWorkspaceOptions(
        env_vars=env, secrets_provider=options.secrets_provider, pulumi_command=pulumi_command
    )


def prepare(options: Options, processes: PulumiProcesses) -> None:
    """Once, before the stacks run in parallel: provider plugins at the pinned versions, the pack's virtualenv."""
    if options.command == "outputs":
        return  # reads state only: no program, no providers
    workspace = auto.LocalWorkspace(
        work_dir=str(ROOT),
        env_vars=workspace_options(options).env_vars,
        pulumi_command=SupervisedPulumiCommand(processes),
    )
    for name, version in plugin_pins(REQUIREMENTS.read_text()):
        say(f"plugin {name} {version}")
        workspace.install_plugin(name, version)
    pack = options.policy_pack
    if pack is not None and options.command in ("preview", "up") and not (pack / "venv").exists():
        say(f"installing the policy pack's dependencies in {pack / 'venv'}")
        SupervisedPulumiCommand(processes).run(["install"], str(pack), {})


def run_stacks(
    names: list[str], options: Options, max_parallel: int, processes: PulumiProcesses | None = None
) -> list[StackResult]:
    """Every stack in its own workspace and thread; the main thread prints heartbeats until all have finished.

    Stopping is `StopSignals`' job: it interrupts the `pulumi` children, and each run then reports itself
    cancelled (or skipped, if it had not started), so this loop only has to wait for them.
    """
    processes = processes or PulumiProcesses()
    runs = [StackRun(name, options, processes) for name in names]
    with ThreadPoolExecutor(max_workers=max(1, min(max_parallel, len(runs)))) as pool:
        pending: set[Future[StackResult]] = {pool.submit(r.run) for r in runs}
        while pending:
            _, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for run in runs:
                for line in run.progress.heartbeat():
                    say(line)
    return [r.result for r in runs]
