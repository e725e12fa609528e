"""`make bench`: fresh clone to first plan (wall time), and per stack the offline evaluation time beside the
floor set by importing the SDKs it uses.

The first measurement clones the repository's HEAD into a temporary directory and times `make plan
STACK=dev-local` there, installation included: once with the machine's package cache (warm) and once with
an empty one (cold: every package downloaded). Each evaluation runs in a fresh interpreter (imports are
cached per process, so an in-process loop would measure nothing). The ratio total/floor says how much the
program's own work adds on top of what any Pulumi program importing the same SDK modules must pay.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

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


def fresh_clone_to_plan(cold: bool) -> float:
    """Seconds from `git clone` to the end of the first `make plan STACK=dev-local` in the clone."""
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as scratch:
        clone = Path(scratch) / "clone"
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
        if cold:
            env |= {"UV_CACHE_DIR": str(Path(scratch) / "uv-cache"), "PIP_NO_CACHE_DIR": "1"}
        started = time.perf_counter()
        subprocess.run(["git", "clone", "--quiet", str(ROOT_DIR), str(clone)], check=True, timeout=120)
        subprocess.run(
            ["make", "plan", "STACK=dev-local", "PLAN_ARGS=--no-json"],
            cwd=clone,
            env=env,
            check=True,
            timeout=900,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.bench", description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", help="default: every stack file")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-interpreter runs per measurement (median)")
    parser.add_argument("--no-clone", action="store_true", help="skip the fresh-clone-to-plan measurement")
    args = parser.parse_args(argv)
    stacks = args.stacks or stack_files()

    if not args.no_clone:
        uv = "uv on PATH" if shutil.which("uv") else "uv bootstrapped from PyPI"
        warm, cold = fresh_clone_to_plan(cold=False), fresh_clone_to_plan(cold=True)
        print(f"Fresh clone to first plan (make plan STACK=dev-local, {uv}; HEAD, not uncommitted changes):")
        print(f"  warm package cache {warm:6.1f} s   (goal < 15 s)")
        print(f"  cold package cache {cold:6.1f} s   (goal < 30 s)")
        print()

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
