"""One tracking GitHub issue per drifted stack, kept by the scheduled drift workflow through the GitHub CLI (`gh`).

`python -m automation.drift_issue REPORT.json...` reads the reports `drift --report-dir` wrote. Per stack:
drift and no open issue -> create it; drift and an open issue -> update its body, and comment when the set of
drifted resources changed; no drift and an open issue -> close it with a comment; an error or an interrupted run
says nothing about drift, so the issue is left alone. Standard library only: the job needs no virtualenv.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

LABEL = "drift"
MARKER = "<!-- mlops-drift fingerprint:"


def title(stack: str) -> str:
    return f"Drift: {stack}"


def gh(*args: str, stdin: str | None = None) -> str:
    return subprocess.run(["gh", *args], input=stdin, capture_output=True, text=True, check=True).stdout


def fingerprint(drifted: list[dict[str, Any]]) -> str:
    """Stable across runs for the same drifted resources, so an unchanged drift does not comment every night."""
    keys = sorted(f"{r['op']} {r.get('urn') or r['name']}" for r in drifted)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


def run_url() -> str:
    server, repo, run = (os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else "this run"


def body(report: dict[str, Any]) -> str:
    stack, drifted = report["stack"], report["drifted"]
    rows = [f"| {r['op']} | `{r['type']}` | `{r['name']}` |" for r in drifted]
    return "\n".join(
        [
            f"{MARKER} {fingerprint(drifted)} -->",
            f"The scheduled drift check found {len(drifted)} resource(s) in `{stack}` whose real state differs "
            "from the Pulumi state.",
            "",
            "| change | type | resource |",
            "|---|---|---|",
            *rows,
            "",
            f"Last checked: {run_url()}.",
            f"Adopt the real state with `python -m automation refresh --stack {stack}`, or restore the declared one "
            f"with `python -m automation up --stack {stack}`. This issue closes itself when a check finds no drift.",
        ]
    )


def open_issue(stack: str) -> dict[str, Any] | None:
    listed = gh("issue", "list", "--label", LABEL, "--state", "open", "--json", "number,title,body", "--limit", "100")
    return next((issue for issue in json.loads(listed or "[]") if issue["title"] == title(stack)), None)


def track(report: dict[str, Any]) -> str:
    """Bring the stack's tracking issue in line with one drift report; returns what was done."""
    stack, status = report["stack"], report["status"]
    if status not in ("drift", "ok"):
        return f"{stack}: {status}, issue left as it is"
    issue = open_issue(stack)
    if status == "ok":
        if issue is None:
            return f"{stack}: no drift"
        gh("issue", "close", str(issue["number"]), "--comment", f"No drift found in {run_url()}; closing.")
        return f"{stack}: no drift, closed #{issue['number']}"
    text = body(report)
    if issue is None:
        gh("label", "create", LABEL, "--color", "D93F0B", "--description", "Cloud state differs from Pulumi", "--force")
        gh("issue", "create", "--title", title(stack), "--label", LABEL, "--body-file", "-", stdin=text)
        return f"{stack}: drift, opened an issue"
    changed = f"{MARKER} {fingerprint(report['drifted'])} -->" not in issue.get("body", "")
    gh("issue", "edit", str(issue["number"]), "--body-file", "-", stdin=text)
    if changed:
        count = len(report["drifted"])
        gh("issue", "comment", str(issue["number"]), "--body", f"The drifted resources changed ({count} now).")
    return f"{stack}: drift, updated #{issue['number']}"


def main(paths: list[str]) -> int:
    for path in paths:
        print(track(json.loads(Path(path).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
