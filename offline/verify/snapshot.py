"""The committed chart facts (`offline/facts/<stack>/<release>.json`) and the known-failures baseline.

A snapshot file holds one release's rendered objects reduced to the fields the checks read, with the chart
version and the hash of the values they were rendered from; `make test` re-evaluates the program, compares
the hashes, and runs every check on the snapshot plus the program's own objects.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.harness import ROOT_DIR, STAND_IN_DEPLOYER, StackRun, run_program, stack_file_config, stack_files
from offline.verify.checks import Failure
from offline.verify.cluster import Cluster, build, releases, stack_config
from offline.verify.objects import Obj
from offline.verify.render import ReleaseInput

FACTS_DIR = ROOT_DIR / "offline" / "facts"
BASELINE = FACTS_DIR / "known-failures.txt"
STALE_HINT = "re-run `make verify` where the charts are reachable (or CHARTS_DIR=... make verify-all)"

VARIANTS: dict[str, dict[str, Any]] = {
    "published": {
        "dns": {
            "domain": "ml.example.com",
            "acmeEmail": "platform@example.com",
            "sso": {"issuer": "https://login.example.com", "clientId": "mlops-platform"},
        }
    }
}
"""Stack variants verified besides the stack files: `<stack>+published` puts the UIs on a domain behind SSO,
the configuration no dev stack ships but every production one uses."""
VERIFIED_VARIANTS = ("dev-aws+published",)


def all_targets() -> list[str]:
    return [*stack_files(), *VERIFIED_VARIANTS]


def split_target(target: str) -> tuple[str, dict[str, Any]]:
    stack, _, variant = target.partition("+")
    return stack, (VARIANTS[variant] if variant else {})


def run_target(target: str) -> StackRun:
    """Evaluate a stack file, or a stack file with a variant's config on top, under mocks."""
    stack, overrides = split_target(target)
    config, secret_keys = stack_file_config(stack, overrides={**STAND_IN_DEPLOYER, **overrides})

    def program() -> None:
        runpy.run_path(str(ROOT_DIR / "__main__.py"), run_name="__main__")

    return run_program(program, stack, config, secret_keys)


@dataclass(frozen=True)
class ReleaseSnapshot:
    release: str
    chart: str
    version: str
    values_hash: str
    placeholders: list[str]
    objects: list[Obj]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1, sort_keys=True) + "\n"


def snapshot_dir(target: str, root: Path = FACTS_DIR) -> Path:
    return root / target


def write(target: str, snapshots: Iterable[ReleaseSnapshot], root: Path = FACTS_DIR) -> None:
    folder = snapshot_dir(target, root)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for snap in snapshots:
        (folder / f"{snap.release}.json").write_text(snap.to_json())


def read(target: str, root: Path = FACTS_DIR) -> dict[str, ReleaseSnapshot]:
    out = {}
    for path in sorted(snapshot_dir(target, root).glob("*.json")):
        data = json.loads(path.read_text())
        out[data["release"]] = ReleaseSnapshot(**data)
    return out


def stale(target: str, releases: Iterable[ReleaseInput], snapshots: Mapping[str, ReleaseSnapshot]) -> list[str]:
    """One line per release whose snapshot no longer matches what the program would install."""
    problems = []
    declared = {r.name: r for r in releases}
    for rel in declared.values():
        snap = snapshots.get(rel.name)
        if snap is None:
            problems.append(f"{target}: release {rel.name} has no chart snapshot; {STALE_HINT}")
        elif snap.version != rel.version or snap.values_hash != rel.values_hash:
            problems.append(
                f"{target}: release {rel.name} changed (chart {snap.version} -> {rel.version}, values "
                f"{snap.values_hash[:15]} -> {rel.values_hash[:15]}); {STALE_HINT}"
            )
    for gone in sorted(set(snapshots) - set(declared)):
        problems.append(f"{target}: snapshot of release {gone}, which the program no longer installs; {STALE_HINT}")
    return problems


def cluster_from_snapshot(target: str, run: StackRun | None = None) -> tuple[Cluster, list[str]]:
    """The cluster from the committed snapshot plus the program's own objects, and the stale releases."""
    stack, overrides = split_target(target)
    run = run or run_target(target)
    snaps = read(target)
    problems = stale(target, releases(run), snaps)
    objects = [o for s in snaps.values() for o in s.objects]
    return build(target, run, objects, stack_config(stack, overrides)), problems


def read_baseline(path: Path = BASELINE) -> dict[str, str]:
    """Known failure key -> the issue it belongs to (`key  # issue N: ...`)."""
    out = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        if not line.strip() or line.startswith("#"):
            continue
        key, _, note = line.partition("  # ")
        out[key.strip()] = note.strip()
    return out


def write_baseline(failures: Iterable[Failure], notes: Mapping[str, str], path: Path = BASELINE) -> None:
    header = (
        "# Known failures of `make verify` on the committed snapshot: `stack | check | object | message  # issue`.\n"
        "# New failures fail `make test`; fixed ones are reported so this file shrinks. Regenerate with\n"
        "# `make verify-baseline` after merging fixes (notes are kept for lines that stay).\n"
    )
    lines = [f"{f.key}  # {notes.get(f.key) or guess_issue(f)}" for f in sorted(set(failures))]
    path.write_text(header + "\n".join(lines) + "\n")


CLOUD_ISSUES = {"dev-aws": "issue 11 (AWS)", "dev-azure": "issue 12 (Azure)", "dev-gcp": "issue 13 (GCP)"}


def guess_issue(failure: Failure) -> str:
    """Which open issue a known failure belongs to, by its class (a first guess; edit the file to correct)."""
    stack = failure.stack.split("+", 1)[0]
    if failure.check in ("exposure", "identity-paths") or stack == "dev-local":
        return "issue 14 (platform layer: local blocker, identities vs paths, exposure)"
    if "DNS" in failure.message:
        return "issue 13 item 3 (GCP DNS cache; wiring branch)"
    if failure.check == "admission" or (failure.check == "scheduling" and "Helm hook" in failure.object):
        return f"{CLOUD_ISSUES.get(stack, 'issue 14')} / pods branch (tolerations, Pod Security for every pod)"
    return CLOUD_ISSUES.get(stack, "issue 16: triage")
