"""The `pulumi` processes the driver starts, and how Ctrl-C and SIGTERM reach them: once, gracefully, never left behind.

The SDK's `PulumiCommand.run` starts the CLI in the driver's process group and keeps no handle on it, so the driver
could neither tell the terminal's Ctrl-C (which reaches the whole group) from its own forwarding, nor stop a child
when CI sends SIGTERM. Here each CLI child gets its own process group and is registered while it runs.

The Pulumi CLI treats its first SIGINT (or SIGTERM) as "cancel gracefully: finish the operations in flight, save the
state" and the second as "terminate now" (pulumi/pulumi pkg/backend/cancellation_scope.go). `pulumi cancel` is not
used: the SDK documents `Stack.cancel()` as very dangerous, since it drops the update on the backend and may leave
the state inconsistent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from pulumi.automation import PulumiCommand
from pulumi.automation._cmd import CommandResult, OnOutput
from pulumi.automation.errors import create_command_error

from automation.exit_codes import ExitCode

# GitHub Actions, cancelling a step: SIGINT to the step's process, SIGTERM 7.5 s later, and the process tree is
# killed 2.5 s after that (docs.github.com "Workflow cancellation reference"; actions/runner ProcessInvoker.cs).
# After SIGTERM the children get this long to finish their graceful cancel, then a second SIGINT, then SIGKILL,
# so the summary is printed before the runner kills the driver.
SIGTERM_GRACE_SECONDS = 1.5
TERMINATE_WAIT_SECONDS = 0.5


class StopRequestedError(Exception):
    """Raised instead of starting a new `pulumi` process once the driver has been asked to stop."""


class PulumiProcesses:
    """Every running `pulumi` child; thread-safe, since each stack runs in its own thread."""

    def __init__(self) -> None:
        # Re-entrant: the signal handler runs on the main thread, possibly while that thread holds the lock.
        self._lock = threading.RLock()
        self._running: set[subprocess.Popen[str]] = set()
        self.stop_signal: signal.Signals | None = None

    def start(self, argv: list[str], cwd: str, env: Mapping[str, str]) -> subprocess.Popen[str]:
        with self._lock:
            if self.stop_signal is not None:  # a child started now would never hear the interrupt
                raise StopRequestedError(f"not started: the driver received {self.stop_signal.name}")
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                encoding="utf-8",
                process_group=0,  # the terminal's Ctrl-C reaches the driver only; it forwards exactly one
            )
            self._running.add(process)
            return process

    def finished(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            self._running.discard(process)

    def running(self) -> list[subprocess.Popen[str]]:
        with self._lock:
            return [p for p in self._running if p.poll() is None]

    def request_stop(self, received: signal.Signals) -> bool:
        """Remember the first stop signal; True if this was it."""
        with self._lock:
            first = self.stop_signal is None
            if first:
                self.stop_signal = received
            return first

    def interrupt(self) -> None:
        """SIGINT to each CLI process: the first one cancels gracefully, a second one terminates."""
        for process in self.running():
            _signal_quietly(process.pid, signal.SIGINT)

    def kill(self) -> None:
        """SIGKILL to each child's whole process group: the CLI and the plugins and program it started."""
        for process in self.running():
            with suppress(ProcessLookupError):  # exited meanwhile
                os.killpg(process.pid, signal.SIGKILL)

    def wait(self, timeout: float, clock: Callable[[], float] = time.monotonic) -> bool:
        """Wait up to `timeout` seconds for every child to exit; True if none is left."""
        deadline = clock() + timeout
        while self.running():
            if clock() >= deadline:
                return False
            time.sleep(0.05)
        return True


def _signal_quietly(pid: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError):  # exited meanwhile
        os.kill(pid, signum)


class SupervisedPulumiCommand(PulumiCommand):
    """`PulumiCommand` whose `run` starts the CLI through `PulumiProcesses` (same arguments and environment)."""

    def __init__(self, processes: PulumiProcesses) -> None:
        super().__init__()
        self.processes = processes

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        # As the SDK does: never prompt, and tell the CLI it is driven by the Automation API.
        separator = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:separator]:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        process = self.processes.start([self.command, *args], cwd, env)
        try:
            stdout, stderr = _read_both(process, on_output, on_error)
            code = process.wait()
        finally:
            self.processes.finished(process)
        result = CommandResult(stdout="\n".join(stdout), stderr="\n".join(stderr), code=code)
        if code != 0:
            raise create_command_error(result)
        return result


def _read_both(
    process: subprocess.Popen[str], on_output: OnOutput | None, on_error: OnOutput | None
) -> tuple[list[str], list[str]]:
    """Drain stdout and stderr line by line on two threads (one pipe filling up would block the CLI)."""
    lines: tuple[list[str], list[str]] = ([], [])

    def drain(stream: Any, callback: OnOutput | None, into: list[str]) -> None:
        for line in iter(stream.readline, ""):
            stripped = line.rstrip()
            if callback:
                callback(stripped)
            into.append(stripped)
        stream.close()

    readers = [
        threading.Thread(target=drain, args=(process.stdout, on_output, lines[0]), daemon=True),
        threading.Thread(target=drain, args=(process.stderr, on_error, lines[1]), daemon=True),
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return lines


class StopSignals:
    """What SIGINT and SIGTERM do while the driver runs stacks.

    First SIGINT (Ctrl-C): one graceful SIGINT to each `pulumi` child, wait for them; stacks not started are skipped.
    Second SIGINT: a second SIGINT to each child (the CLI terminates at once), then SIGKILL if one is still there.
    SIGTERM: as the first SIGINT, then after `grace_seconds` as the second, so no child outlives the driver.
    """

    def __init__(
        self,
        processes: PulumiProcesses,
        say: Callable[[str], None],
        grace_seconds: float = SIGTERM_GRACE_SECONDS,
    ) -> None:
        self.processes = processes
        self.say = say
        self.grace_seconds = grace_seconds
        self._hard_stop: threading.Thread | None = None

    @property
    def received(self) -> signal.Signals | None:
        return self.processes.stop_signal

    def exit_code(self) -> ExitCode | None:
        if self.received is None:
            return None
        return ExitCode.TERMINATED if self.received == signal.SIGTERM else ExitCode.CANCELLED

    def handle(self, signum: int, _frame: object = None) -> None:
        received = signal.Signals(signum)
        if self.processes.request_stop(received):
            self.say(
                f"{received.name} received: asking each running pulumi to cancel gracefully (in-flight operations "
                "finish, the state is saved); stacks not started are skipped. Ctrl-C again stops them at once."
            )
            self.processes.interrupt()
            if received == signal.SIGTERM:
                self._stop_hard_after(self.grace_seconds)
        elif received == signal.SIGTERM:
            self._stop_hard_after(self.grace_seconds)
        else:
            self.say("second Ctrl-C: stopping pulumi now; run `refresh` afterwards to reconcile the state")
            self._stop_hard_after(0.0)

    def _stop_hard_after(self, seconds: float) -> None:
        if self._hard_stop is not None:
            return
        self._hard_stop = threading.Thread(target=self._stop_hard, args=(seconds,), daemon=True)
        self._hard_stop.start()

    def _stop_hard(self, seconds: float) -> None:
        if self.processes.wait(seconds):
            return
        self.processes.interrupt()  # the CLI's second signal: terminate, still writing what it can
        if not self.processes.wait(TERMINATE_WAIT_SECONDS):
            self.say("pulumi did not stop; killed it. Run `refresh` to clear pending operations from the state.")
            self.processes.kill()

    def wait_for_hard_stop(self) -> None:
        if self._hard_stop is not None:
            self._hard_stop.join()

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        """Handle SIGINT and SIGTERM (main thread only) for the duration, then restore the previous handlers."""
        previous = {s: signal.signal(s, self.handle) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
