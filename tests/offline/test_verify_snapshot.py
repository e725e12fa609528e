"""`make test`'s share of `make verify`: every check on the committed chart snapshot plus the program's own
objects, against the known-failures baseline; a values change without a new snapshot fails here."""

from __future__ import annotations

import functools
import warnings

import pytest

from offline.harness import stack_files
from offline.verify import snapshot
from offline.verify.checks import run_checks
from tests.conftest import stack_run

TARGETS = snapshot.all_targets()


@functools.cache
def _cluster(target: str):  # type: ignore[no-untyped-def]
    """Built once per target and session: the program run is shared with every other test of the stack."""
    run = stack_run(target) if target in stack_files() else snapshot.run_target(target)
    return snapshot.cluster_from_snapshot(target, run)


@pytest.mark.parametrize("target", TARGETS)
def test_chart_snapshot_matches_the_values_the_program_passes(target: str) -> None:
    _, stale = _cluster(target)
    assert not stale, "\n".join(stale)


@pytest.mark.parametrize("target", TARGETS)
def test_the_whole_cluster_has_no_failures_beyond_the_known_baseline(target: str) -> None:
    cluster, _ = _cluster(target)
    failures = run_checks(cluster)
    known = snapshot.read_baseline()
    new = [str(f) for f in failures if f.key not in known]
    fixed = sorted(k for k in known if k.startswith(f"{target} | ") and k not in {f.key for f in failures})
    if fixed:
        warnings.warn(
            "fixed, remove from offline/facts/known-failures.txt (make verify-baseline):\n" + "\n".join(fixed),
            stacklevel=1,
        )
    assert not new, "new failures (fix them, or add them to the baseline with their issue):\n" + "\n".join(new)


def test_every_known_failure_names_the_issue_it_belongs_to() -> None:
    assert all(note for note in snapshot.read_baseline().values())
