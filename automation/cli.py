"""`python -m automation <command>`: argument parsing and dispatch; the CLI-bound work is imported only when run.

Nothing here imports Pulumi, so `--help` works before any dependency or the Pulumi CLI is installed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import NoReturn

from automation.exit_codes import ExitCode, describe_exit_codes
from automation.render import StackResult, change_summary_json, drift_report, exit_code, last_error_line, summary_table
from automation.safety import destroy_refusal
from automation.stacks import POLICY_PACK, SelectionError, check_backend_url, select_stacks, short_name

INSTALL_HINT = (
    "the pulumi CLI is not on PATH; install it with `curl -fsSL https://get.pulumi.com | sh` "
    "(or `brew install pulumi/tap/pulumi`), then re-run"
)

COMMANDS = {
    "preview": "show what `up` would change (runs the policy pack)",
    "up": "refresh, preview with the policy pack as a gate, update, then print the stack outputs",
    "refresh": "adopt out-of-band changes into the stack state",
    "destroy": "delete a stack's resources (protected ones survive); needs --yes-destroy <stack>",
    "drift": "refresh in preview mode: exit 0 no drift, 2 drift (resources listed), 1 error",
    "outputs": "print the stack outputs (secrets masked unless --show-secrets)",
}


class UsageParser(argparse.ArgumentParser):
    """argparse, but a bad command line exits 64 (EX_USAGE): argparse's own 2 is `drift`'s "drift found"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(
        prog="python -m automation",
        description="Drive the MLOps platform's stacks with the Pulumi Automation API (CI or laptop).",
        epilog=describe_exit_codes(),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--stack", "-s", action="append", default=[], metavar="NAME", help="stack name (repeatable)")
        sub.add_argument("--all", action="store_true", help="every Pulumi.<stack>.yaml in the project")
        sub.add_argument(
            "--backend-url",
            metavar="URL",
            help="state backend (file://, s3://, azblob://, gs://, https://); default: whatever `pulumi login` chose",
        )
        sub.add_argument(
            "--secrets-provider", metavar="URL", help="for new stacks: awskms://, azurekeyvault://, gcpkms:// ..."
        )
        sub.add_argument("--parallel", type=int, default=4, metavar="N", help="stacks run at once (default 4)")
        sub.add_argument(
            "--lock-attempts", type=int, default=5, metavar="N", help="tries while the stack is locked (default 5)"
        )
        if name in ("preview", "up"):
            sub.add_argument("--policy-pack", type=Path, default=POLICY_PACK, help="CrossGuard pack (default policy/)")
            sub.add_argument("--no-policy", action="store_true", help="skip the policy pack")
        if name == "preview":
            sub.add_argument("--json-summary", type=Path, metavar="FILE", help="write the change summary as JSON")
        if name == "drift":
            sub.add_argument(
                "--report-dir", type=Path, metavar="DIR", help="write DIR/<stack>.json per stack (for a tracking issue)"
            )
        sub.add_argument(
            "--heartbeat",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="name the operations still running this often (default 60)",
        )
        sub.add_argument(
            "--sigterm-grace",
            type=float,
            default=1.5,
            metavar="SECONDS",
            help="after SIGTERM, how long pulumi may cancel gracefully before it is stopped (default 1.5)",
        )
        if name in ("up", "outputs"):
            sub.add_argument("--show-secrets", action="store_true", help="print secret outputs in clear")
        if name == "destroy":
            sub.add_argument("--yes-destroy", metavar="STACK", help="repeat the stack name to confirm")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if shutil.which("pulumi") is None:
        print(INSTALL_HINT, file=sys.stderr)
        return ExitCode.ERROR
    try:
        from automation.processes import PulumiProcesses, StopSignals
        from automation.runner import Options, prepare, run_stacks, say
        from offline.harness import stack_files  # the one definition of "the project's stacks"
    except ImportError as error:
        print(f"{error.name or error} is not installed; run `make venv` and use .venv/bin/python", file=sys.stderr)
        return ExitCode.ERROR
    try:
        stacks = select_stacks(args.stack, args.all, stack_files())
        backend = check_backend_url(args.backend_url) if args.backend_url else None
    except SelectionError as error:
        print(error, file=sys.stderr)
        return ExitCode.ERROR
    if args.command == "destroy":
        refusals = [message for s in stacks if (message := destroy_refusal(s, args.yes_destroy))]
        for message in refusals:
            print(message, file=sys.stderr)
        if refusals:
            return ExitCode.ERROR

    no_policy = getattr(args, "no_policy", True)
    options = Options(
        command=args.command,
        backend_url=backend,
        secrets_provider=args.secrets_provider,
        policy_pack=None if no_policy else args.policy_pack,
        lock_attempts=args.lock_attempts,
        show_secrets=getattr(args, "show_secrets", False),
        heartbeat_seconds=args.heartbeat,
    )
    processes = PulumiProcesses()
    with StopSignals(processes, say, grace_seconds=args.sigterm_grace).installed() as stop:
        try:
            prepare(options, processes)
        except Exception as error:  # one readable line instead of a traceback
            if stop.received is None:
                print(f"preparing the workspace failed: {last_error_line(error)}", file=sys.stderr)
                return ExitCode.ERROR
        results = run_stacks(stacks, options, args.parallel, processes)
        stop.wait_for_hard_stop()
    report(args, results)
    return stop.exit_code() or exit_code(results)


def report(args: argparse.Namespace, results: list[StackResult]) -> None:
    """The summary is printed however the run ended: success, failure, Ctrl-C or SIGTERM."""
    print()
    print(summary_table(results), flush=True)
    if getattr(args, "json_summary", None):
        args.json_summary.write_text(change_summary_json(results) + "\n")
        print(f"change summary: {args.json_summary}")
    if getattr(args, "report_dir", None):
        args.report_dir.mkdir(parents=True, exist_ok=True)
        for result in results:
            path = args.report_dir / f"{short_name(result.stack)}.json"
            path.write_text(json.dumps(drift_report(result), indent=2) + "\n")
        print(f"drift reports: {args.report_dir}", flush=True)
