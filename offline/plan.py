"""`make plan STACK=dev-aws`: what `pulumi up -s dev-aws` would declare, computed offline under mocks.

Prints the resource tree (type, logical name, parent), counts per type and the stack outputs; writes a
JSON dump of every declared resource with its inputs (secrets masked). A bad stack file prints one
line per problem and exits 2, with no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from config import ConfigError
from offline.harness import ROOT_DIR, SECRET_MASK, DeclaredResource, StackRun, run_stack, stack_files


def resource_tree(run: StackRun) -> list[str]:
    """One line per resource, indented under its parent component."""
    children: dict[str | None, list[DeclaredResource]] = {}
    known = {r.urn for r in run.resources}
    for resource in run.resources:
        parent = resource.parent if resource.parent in known else None
        children.setdefault(parent, []).append(resource)

    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for resource in sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name)):
            marker = " [protected]" if resource.protect else (" [retained]" if resource.retain_on_delete else "")
            lines.append(f"{'  ' * depth}{resource.type}  {resource.name}{marker}")
            walk(resource.urn, depth + 1)

    walk(None, 0)
    return lines


def type_counts(run: StackRun) -> list[tuple[str, int]]:
    return sorted(Counter(r.type for r in run.resources).items(), key=lambda kv: (-kv[1], kv[0]))


def masked_outputs(run: StackRun) -> dict[str, Any]:
    return {k: (SECRET_MASK if k in run.secret_outputs else v) for k, v in sorted(run.outputs.items())}


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


def render(run: StackRun, seconds: float) -> str:
    custom = [r for r in run.resources if r.custom]
    out = [f"Offline plan of stack {run.stack!r} (Pulumi mocks; nothing was deployed)", "", "Resources:"]
    out += [f"  {line}" for line in resource_tree(run)]
    out += ["", f"Counts per type ({len(custom)} resources, {len(run.resources) - len(custom)} components):"]
    out += [f"  {count:4d}  {type_}" for type_, count in type_counts(run)]
    out += ["", "Outputs:"]
    out += [f"  {k}: {json.dumps(v)}" for k, v in masked_outputs(run).items()]
    out += ["", f"Evaluated in {seconds:.2f}s."]
    return "\n".join(out)


def plan(
    stack: str, json_path: Path | None, project_dir: Path = ROOT_DIR, overrides: dict[str, Any] | None = None
) -> int:
    started = time.perf_counter()
    try:
        run = run_stack(stack, project_dir, overrides)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    print(render(run, time.perf_counter() - started))
    if json_path is not None:
        json_path.write_text(json.dumps(resource_dump(run), indent=2, default=str) + "\n")
        print(f"Every declared resource with its inputs (secrets masked): {json_path}")
    return 0


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
    unknown = [s for s in stacks if s not in available]
    if unknown:
        print(f"no stack file Pulumi.{unknown[0]}.yaml; stacks here: {', '.join(available)}", file=sys.stderr)
        return 2
    status = 0
    for stack in stacks:
        json_path = None if args.no_json else args.json_dir / f"plan-{stack}.json"
        status = max(status, plan(stack, json_path, args.project_dir, overrides))
        print()
    return status


if __name__ == "__main__":
    sys.exit(main())
