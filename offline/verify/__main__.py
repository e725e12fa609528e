"""`python -m offline.verify STACK... | --all`: render every Helm release, add the program's and the
controllers' objects, run the checks, print one line per failure, write the reduced chart snapshot.

    CHARTS_DIR=/work/charts python -m offline.verify --all          # from unpacked charts
    python -m offline.verify dev-gcp                                 # helm pull (network)
    python -m offline.verify --all --from-snapshot                   # no helm: the committed snapshot
    python -m offline.verify --all --baseline                        # exit 1 only on failures not yet known

Exit code 1 on any failure (with `--baseline`: any failure not in offline/facts/known-failures.txt).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from offline.verify import snapshot
from offline.verify.checks import Failure, run_checks
from offline.verify.cluster import Cluster, build, releases, stack_config
from offline.verify.objects import Obj, reduce
from offline.verify.render import chart_dir, render


def api_versions(objects: list[Obj]) -> list[str]:
    """What `.Capabilities.APIVersions` holds once the stack is up: the groups its own objects use (their CRDs
    come from its charts), so charts render the ServiceMonitors and certificates they gate on them."""
    return sorted({str(o["apiVersion"]) for o in objects if o.get("apiVersion")} | {"monitoring.coreos.com/v1"})


def render_target(target: str, charts_dir: Path | None, cache: Path) -> tuple[Cluster, list[snapshot.ReleaseSnapshot]]:
    stack, overrides = snapshot.split_target(target)
    run = snapshot.run_target(target)
    config = stack_config(stack, overrides)
    chart_objects: list[Obj] = []
    snaps = []
    for rel in releases(run):
        objects, placeholders = render(rel, chart_dir(rel, charts_dir, cache), config.cluster.kubernetes_version)
        for path in placeholders:
            print(f"{target}: release {rel.name}: unknown output at {path} rendered as a placeholder")
        reduced = [reduce(o) for o in objects]
        chart_objects += reduced
        snaps.append(snapshot.ReleaseSnapshot(rel.name, rel.chart, rel.version, rel.values_hash, placeholders, reduced))
    return build(target, run, chart_objects, config), snaps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="stacks (dev-aws, ...) or variants (dev-aws+published)")
    parser.add_argument("--all", action="store_true", help="every stack file and verified variant")
    parser.add_argument("--charts-dir", default=os.environ.get("CHARTS_DIR"), help="unpacked charts (else helm pull)")
    parser.add_argument("--from-snapshot", action="store_true", help="no rendering: use the committed snapshot")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite the committed snapshot")
    parser.add_argument("--baseline", action="store_true", help="fail only on failures not in the baseline")
    parser.add_argument("--update-baseline", action="store_true", help="rewrite the baseline with today's failures")
    args = parser.parse_args(argv)
    targets = snapshot.all_targets() if args.all or not args.targets else args.targets
    charts_dir = Path(args.charts_dir) if args.charts_dir else None
    failures: list[Failure] = []
    stale: list[str] = []
    with tempfile.TemporaryDirectory(prefix="verify-charts-") as cache:
        for target in targets:
            started = time.monotonic()
            if args.from_snapshot:
                cluster, problems = snapshot.cluster_from_snapshot(target)
                stale += problems
            else:
                cluster, snaps = render_target(target, charts_dir, Path(cache))
                if not args.no_write:
                    snapshot.write(target, snaps)
            found = run_checks(cluster)
            failures += found
            print(
                f"{target}: {len(cluster.objects)} objects, {len(found)} failures ({time.monotonic() - started:.1f}s)",
                file=sys.stderr,
            )
    for line in stale:
        print(line)
    known = snapshot.read_baseline()
    for failure in failures:
        note = f"  (known: {known[failure.key]})" if failure.key in known else ""
        print(f"{failure}{note}")
    if args.update_baseline:
        snapshot.write_baseline(failures, known)
    new = [f for f in failures if f.key not in known]
    fixed = sorted(set(known) - {f.key for f in failures} if set(targets) == set(snapshot.all_targets()) else set())
    for key in fixed:
        print(f"fixed (remove from the baseline): {key}")
    print(f"{len(failures)} failures ({len(new)} not in the baseline), {len(stale)} stale snapshots", file=sys.stderr)
    if stale:
        return 1
    if args.baseline or args.update_baseline:
        return 1 if new and not args.update_baseline else 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
