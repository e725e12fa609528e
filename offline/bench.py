"""`make bench`: per stack, the offline evaluation time beside the floor set by importing the SDKs it uses.

Each measurement runs in a fresh interpreter (imports are cached per process, so an in-process loop
would measure nothing). The ratio total/floor says how much the program's own work adds on top of
what any Pulumi program importing the same SDK modules must pay.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap

from offline.harness import ROOT_DIR, stack_files

_EVALUATE = textwrap.dedent(
    """
    import json, sys, time
    started = time.perf_counter()
    from offline.harness import run_stack
    run = run_stack({stack!r})
    seconds = time.perf_counter() - started
    sdk = sorted(m for m in sys.modules if m.split(".")[0].startswith("pulumi"))
    print(json.dumps({{"seconds": seconds, "resources": len(run.resources), "sdk_modules": sdk}}))
    """
)

_IMPORT_FLOOR = textwrap.dedent(
    """
    import importlib, json, time
    modules = json.loads({modules!r})
    started = time.perf_counter()
    for name in modules:
        importlib.import_module(name)
    print(json.dumps({{"seconds": time.perf_counter() - started}}))
    """
)


def _python(code: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT_DIR, capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(stack: str, repeat: int) -> dict:
    evaluations = [_python(_EVALUATE.format(stack=stack)) for _ in range(repeat)]
    modules = json.dumps(evaluations[0]["sdk_modules"])
    floors = [_python(_IMPORT_FLOOR.format(modules=modules))["seconds"] for _ in range(repeat)]
    total = statistics.median(e["seconds"] for e in evaluations)
    floor = statistics.median(floors)
    return {
        "stack": stack,
        "resources": evaluations[0]["resources"],
        "total": total,
        "floor": floor,
        "own": total - floor,
        "ratio": total / floor if floor else float("inf"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.bench", description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", help="default: every stack file")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-interpreter runs per measurement (median)")
    args = parser.parse_args(argv)
    stacks = args.stacks or stack_files()

    header = f"{'stack':<12} {'resources':>9} {'evaluate s':>11} {'SDK import s':>13} {'own work s':>11} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for stack in stacks:
        m = measure(stack, args.repeat)
        print(
            f"{m['stack']:<12} {m['resources']:>9} {m['total']:>11.2f} {m['floor']:>13.2f} "
            f"{m['own']:>11.2f} {m['ratio']:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
