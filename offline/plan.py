"""`make plan STACK=dev-aws`: what `pulumi up -s dev-aws` would declare, computed offline under mocks.

Prints a summary first (per component: what it creates and what it costs; node pools with machine types
and sizes; protected resources; endpoints; the monthly cost at idle and at full scale), then the resource
tree with repeated kinds folded (`--full` lists every resource), counts per type and the stack outputs.
Values only the mocks made up (IDs, ARNs, endpoints) are marked `(mock)`. Writes a JSON dump of every
declared resource with its inputs (secrets masked). A bad stack file prints one line per problem and exits
2, with no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from config import ConfigError
from offline import cost
from offline.harness import (
    ROOT_DIR,
    SECRET_MASK,
    DeclaredResource,
    StackRun,
    UnknownStackError,
    known_stacks,
    run_stack,
    stack_files,
)

FOLD_AT = 4
"""Siblings of one kind are folded into one line from this many on (unless --full)."""
MOCK = "(mock)"


def _physical_name(resource: DeclaredResource) -> str | None:
    """The name the cloud or cluster will show, where the program sets one and it differs from the logical name."""
    for key in ("name", "bucket", "identifier", "clusterName", "nodeGroupName", "resourceName", "metadata.name"):
        value = resource.get(key)
        if isinstance(value, str) and value and value != resource.name:
            return value
    return None


def _line(resource: DeclaredResource, depth: int) -> str:
    marker = " [protected]" if resource.protect else (" [retained]" if resource.retain_on_delete else "")
    physical = _physical_name(resource)
    return f"{'  ' * depth}{resource.type}  {resource.name}{marker}{f'  = {physical}' if physical else ''}"


def resource_tree(run: StackRun, full: bool = True) -> list[str]:
    """One line per resource, indented under its parent component; without `full`, leaves of one kind under
    one parent fold into `type ×N  first, second, ...` (protected ones always keep their own line)."""
    children: dict[str | None, list[DeclaredResource]] = {}
    known = {r.urn for r in run.resources}
    for resource in run.resources:
        parent = resource.parent if resource.parent in known else None
        children.setdefault(parent, []).append(resource)

    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        siblings = sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name))
        foldable = Counter(r.type for r in siblings if r.custom and not r.protect and r.urn not in children)
        folded: set[str] = set()
        for resource in siblings:
            kind = resource.type
            if not full and kind in foldable and foldable[kind] >= FOLD_AT and not resource.protect:
                if kind not in folded:
                    folded.add(kind)
                    names = [r.name for r in siblings if r.type == kind and not r.protect]
                    lines.append(f"{'  ' * depth}{kind} ×{len(names)}  {', '.join(names[:3])}, ...")
                continue
            lines.append(_line(resource, depth))
            walk(resource.urn, depth + 1)

    walk(None, 0)
    return lines


def type_counts(run: StackRun) -> list[tuple[str, int]]:
    return sorted(Counter(r.type for r in run.resources).items(), key=lambda kv: (-kv[1], kv[0]))


def masked_outputs(run: StackRun) -> dict[str, Any]:
    return {k: (SECRET_MASK if k in run.secret_outputs else v) for k, v in sorted(run.outputs.items())}


def is_mock(run: StackRun, value: Any) -> bool:
    """Whether `value` holds something only the mocks made up (a real `pulumi up` shows another value)."""
    text = json.dumps(value, default=str)
    return any(made_up in text for made_up in run.mock_values)


def _kind(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def _folded_names(names: list[str], limit: int = 3) -> str:
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def summary(run: StackRun, estimate: cost.Estimate | None) -> list[str]:
    """One screen: per component what it creates and costs, the node pools, protected resources, endpoints.

    Components of one kind (a workload role per workload, a team per team) share one line."""
    groups: dict[str, list[DeclaredResource]] = {}
    for resource in run.resources:
        if resource.custom:
            groups.setdefault(cost.component_of(run, resource), []).append(resource)
    costs = estimate.by_component() if estimate else {}
    rows: dict[str, tuple[list[str], list[DeclaredResource], float, float]] = {}
    for component, resources in groups.items():
        type_, name = component.split(" ", 1)
        names, members, idle, max_ = rows.get(type_, ([], [], 0.0, 0.0))
        c_idle, c_max = costs.get(component, (0.0, 0.0))
        rows[type_] = ([*names, name], members + resources, idle + c_idle, max_ + c_max)
    out = ["Summary (per component: resources it creates; monthly cost at idle / full scale):"]
    labels = {
        type_: f"{_kind(type_)} {names[0]}" if len(names) == 1 else f"{_kind(type_)} ×{len(names)}"
        for type_, (names, _, _, _) in rows.items()
    }
    width = max((len(label) for label in labels.values()), default=0)
    for type_, (names, resources, idle, max_) in sorted(rows.items()):
        kinds = Counter(_kind(r.type) for r in resources).most_common()
        creates = ", ".join(f"{n} {k}" for k, n in kinds[:4]) + (f", +{len(kinds) - 4} kinds" if len(kinds) > 4 else "")
        money = f"  ${idle:,.0f} / ${max_:,.0f}" if idle or max_ else ""
        who = f"  ({_folded_names(names)})" if len(names) > 1 else ""
        out.append(f"  {labels[type_]:<{width}}  {len(resources):3d}: {creates}{money}{who}")
    if estimate and estimate.pools:
        out += ["", "Node pools (nodes min-max):"]
        for pool in sorted(estimate.pools, key=lambda p: p.name):
            capacity = "spot" if pool.spot else "on-demand"
            out.append(
                f"  {pool.name}: {pool.min_nodes}-{pool.max_nodes} × {' | '.join(pool.machine_types)} ({capacity})"
            )
    protected = [r for r in run.resources if r.protect and r.custom]
    by_kind: dict[str, list[str]] = {}
    for resource in protected:
        by_kind.setdefault(_kind(resource.type), []).append(resource.name)
    by_kind = {kind: sorted(names) for kind, names in sorted(by_kind.items())}
    out += ["", f"Protected from `pulumi destroy` ({len(protected)} resources):"]
    out += [f"  {kind} ×{len(names)}: {_folded_names(names)}" for kind, names in by_kind.items()] or ["  none"]
    endpoints = {
        k: v
        for k, v in masked_outputs(run).items()
        if k not in run.secret_outputs and any(word in k.lower() for word in ("endpoint", "url", "uri", "server"))
    }
    out += ["", "Endpoints:"]
    out += [f"  {k}: {v}{f'  {MOCK}' if is_mock(run, v) else ''}" for k, v in endpoints.items()] or ["  none"]
    if estimate:
        out += ["", *cost.render(estimate)]
    return out


def resource_dump(run: StackRun) -> list[dict[str, Any]]:
    return [
        {
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "protect": r.protect,
            "retainOnDelete": r.retain_on_delete,
            "dependsOn": r.dependencies,
            "inputs": r.masked_inputs,
        }
        for r in run.resources
    ]


def render(run: StackRun, seconds: float, estimate: cost.Estimate | None = None, full: bool = False) -> str:
    custom = [r for r in run.resources if r.custom]
    out = [f"Offline plan of stack {run.stack!r} (Pulumi mocks; nothing was deployed; {MOCK} marks made-up values)"]
    out += ["", *summary(run, estimate)]
    folded = "" if full else " (repeated kinds folded; --full lists every resource)"
    out += ["", f"Resources{folded}:"]
    out += [f"  {line}" for line in resource_tree(run, full=full)]
    if full:
        out += ["", f"Counts per type ({len(custom)} resources, {len(run.resources) - len(custom)} components):"]
        out += [f"  {count:4d}  {type_}" for type_, count in type_counts(run)]
    else:
        out += ["", f"{len(custom)} resources in {len(run.resources) - len(custom)} components."]
    out += ["", "Outputs:"]
    out += [
        f"  {k}: {json.dumps(v)}{f'  {MOCK}' if k not in run.secret_outputs and is_mock(run, v) else ''}"
        for k, v in masked_outputs(run).items()
    ]
    if estimate:
        out += ["", f"Estimated monthly cost: idle {estimate.figure('idle')}, full scale {estimate.figure('max')}."]
    out += ["", f"Evaluated in {seconds:.2f}s."]
    return "\n".join(out)


@dataclass(frozen=True)
class Planned:
    stack: str
    status: int
    resources: int = 0
    estimate: cost.Estimate | None = None


def plan(
    stack: str,
    json_path: Path | None,
    project_dir: Path = ROOT_DIR,
    full: bool = False,
    overrides: dict[str, Any] | None = None,
) -> Planned:
    started = time.perf_counter()
    try:
        run = run_stack(stack, project_dir, overrides)
        estimate = cost.estimate(run, cost.stack_config(stack, project_dir, overrides))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return Planned(stack, 2)
    print(render(run, time.perf_counter() - started, estimate, full=full))
    if json_path is not None:
        json_path.write_text(json.dumps(resource_dump(run), indent=2, default=str) + "\n")
        print(f"Every declared resource with its inputs (secrets masked): {json_path}")
    return Planned(stack, 0, len([r for r in run.resources if r.custom]), estimate)


def cost_table(planned: list[Planned]) -> list[str]:
    """`make plan-all`'s closing table: one row per stack with its resources and monthly cost."""
    out = [f"{'stack':<16} {'cloud':<6} {'resources':>9} {'idle $/mo':>10} {'max $/mo':>10}"]
    for p in planned:
        if p.estimate is None:
            out.append(f"{p.stack:<16} {'-':<6} {'-':>9} {'config error':>21}")
        else:
            e = p.estimate
            out.append(f"{p.stack:<16} {e.cloud:<6} {p.resources:>9} {e.figure('idle'):>10} {e.figure('max'):>10}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.plan", description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", help="stack names, e.g. dev-aws (a Pulumi.<stack>.yaml must exist)")
    parser.add_argument("--all", action="store_true", help="plan every Pulumi.<stack>.yaml in the project")
    parser.add_argument(
        "--json-dir", type=Path, default=ROOT_DIR, help="where plan-<stack>.json is written (default: project root)"
    )
    parser.add_argument("--no-json", action="store_true", help="do not write the JSON dump")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a value as `pulumi config set --path` would, VALUE in YAML, e.g. "
        "--set 'cluster.endpointAllowList=[<your egress IP>/32]' (repeatable)",
    )
    parser.add_argument("--full", action="store_true", help="list every resource (no folding of repeated kinds)")
    parser.add_argument("--project-dir", type=Path, default=ROOT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {}
    for assignment in args.set:
        path, separator, value = assignment.partition("=")
        if not separator or not path:
            parser.error(f"--set {assignment!r}: expected PATH=VALUE")
        overrides[path] = yaml.safe_load(value)

    available = stack_files(args.project_dir)
    stacks = available if args.all else args.stacks
    if not stacks:
        parser.error(f"name a stack ({', '.join(available)}) or pass --all")
    try:
        known_stacks(stacks, available)
    except UnknownStackError as error:
        print(error, file=sys.stderr)
        return 2
    planned = []
    for stack in stacks:
        json_path = None if args.no_json else args.json_dir / f"plan-{stack}.json"
        planned.append(plan(stack, json_path, args.project_dir, full=args.full, overrides=overrides))
        print()
    if len(planned) > 1:
        print("\n".join(cost_table(planned)))
    return max(p.status for p in planned)


if __name__ == "__main__":
    sys.exit(main())
