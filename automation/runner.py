"""The part that talks to the Pulumi CLI: one LocalWorkspace per stack, operations with retries, cancellation."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation.errors import CommandError, ConcurrentUpdateError, StackNotFoundError

from automation.render import (
    StackResult,
    Status,
    change_counts,
    drifted,
    event_line,
    last_error_line,
    output_lines,
    resource_operation,
)
from automation.safety import protected_resources, retry_delays, with_retries
from automation.stacks import POLICY_PACK, REQUIREMENTS, ROOT, plugin_pins

_print_lock = threading.Lock()
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


class StackRun:
    """One stack's operation in its own workspace; `cancel()` may be called from another thread."""

    def __init__(self, name: str, options: Options) -> None:
        self.name = name
        self.options = options
        self.result = StackResult(name, options.command)
        self._stack: auto.Stack | None = None

    def on_event(self, event: auto.EngineEvent) -> None:
        line = event_line(self.name, event)
        if line:
            say(line)
        operation = resource_operation(event)
        if operation:
            self.result.resources.append(operation)

    def cancel(self) -> None:
        if self._stack is None:
            return
        try:
            self._stack.cancel()
        except CommandError as error:  # nothing running yet, or a backend without cancel support
            say(f"[{self.name}] cancel: {last_error_line(error)}")

    def run(self) -> StackResult:
        started = time.monotonic()
        try:
            # Only preview and up may create a stack; the others act on state that must already exist.
            open_stack = auto.create_or_select_stack if self.options.command in CREATING else auto.select_stack
            self._stack = open_stack(stack_name=self.name, work_dir=str(ROOT), opts=workspace_options(self.options))
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
        return self.result

    def _fail(self, message: str) -> None:
        if self.result.status != Status.CANCELLED:  # an interrupted operation ends in an error; Ctrl-C explains it
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
    result = run.retried(lambda: run.stack.preview(on_event=run.on_event, policy_packs=run.policy_packs()))
    run.result.changes = change_counts(result.change_summary)


def _up(run: StackRun) -> None:
    # Automation API's `up` skips the preview, so stack-level policies would only report after the fact:
    # refresh, then preview with the pack as a gate, then update with the pack again.
    run.retried(lambda: run.stack.refresh(on_event=run.on_event))
    run.retried(lambda: run.stack.preview(on_event=run.on_event, policy_packs=run.policy_packs()))
    run.result.resources.clear()  # report what the update did, not what the refresh and gate saw
    result = run.retried(lambda: run.stack.up(on_event=run.on_event, policy_packs=run.policy_packs()))
    run.result.changes = change_counts(result.summary.resource_changes)
    say("\n".join([f"[{run.name}] outputs:", *output_lines(result.outputs, run.options.show_secrets)]))


def _refresh(run: StackRun) -> None:
    result = run.retried(lambda: run.stack.refresh(on_event=run.on_event))
    run.result.changes = change_counts(result.summary.resource_changes)


def _drift(run: StackRun) -> None:
    # expect_no_changes semantics, decided here so the drifted resources can be listed instead of one error.
    result = run.retried(lambda: run.stack.preview_refresh(on_event=run.on_event))
    run.result.changes = change_counts(result.change_summary)
    if drifted(run.result.changes):
        run.result.status = Status.DRIFT
        names = [f"{r['op']} {r['type']} {r['name']}" for r in run.result.resources]
        run.result.message = f"{len(names)} drifted: " + "; ".join(names) if names else "drift detected"


def _destroy(run: StackRun) -> None:
    survivors = protected_resources(run.stack.export_stack().deployment)
    if survivors:
        say(f"[{run.name}] protected, will survive the destroy (unprotect with `pulumi state unprotect`):")
        for survivor in survivors:
            say(f"[{run.name}]   {survivor}")
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


def workspace_options(options: Options) -> auto.LocalWorkspaceOptions:
    # Project settings are NOT passed: LocalWorkspace would rewrite Pulumi.yaml. The backend goes through the
    # environment instead, which every `pulumi` subprocess of this workspace inherits.
    env = {"PULUMI_BACKEND_URL": options.backend_url} if options.backend_url else None
    return auto.LocalWorkspaceOptions(env_vars=env, secrets_provider=options.secrets_provider)


def prepare(options: Options) -> None:
    """Once, before the stacks run in parallel: provider plugins at the pinned versions, the pack's virtualenv."""
    if options.command == "outputs":
        return  # reads state only: no program, no providers
    workspace = auto.LocalWorkspace(work_dir=str(ROOT), env_vars=workspace_options(options).env_vars)
    for name, version in plugin_pins(REQUIREMENTS.read_text()):
        say(f"plugin {name} {version}")
        workspace.install_plugin(name, version)
    pack = options.policy_pack
    if pack is not None and options.command in ("preview", "up") and not (pack / "venv").exists():
        say(f"installing the policy pack's dependencies in {pack / 'venv'}")
        subprocess.run(["pulumi", "install"], cwd=pack, check=True, env=os.environ.copy())


def run_stacks(names: list[str], options: Options, max_parallel: int) -> list[StackResult]:
    """Every stack in its own workspace and thread; Ctrl-C cancels the running updates and waits for them."""
    runs = [StackRun(name, options) for name in names]
    with ThreadPoolExecutor(max_workers=max(1, min(max_parallel, len(runs)))) as pool:
        futures: dict[Future[StackResult], StackRun] = {pool.submit(r.run): r for r in runs}
        pending = set(futures)
        try:
            while pending:
                _, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        except KeyboardInterrupt:
            say("interrupted: cancelling the running updates; run `refresh` afterwards if an operation was cut short")
            for future, run in futures.items():
                if not future.done():
                    run.result.status = Status.CANCELLED
                    run.result.message = "cancelled by Ctrl-C"
                    if not future.cancel():  # already running: ask the engine to stop
                        run.cancel()
            wait(pending)
    return [r.result for r in runs]
