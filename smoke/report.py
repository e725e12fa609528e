"""Readable progress while checks run, and one summary table at the end."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TextIO


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Result:
    check: str
    outcome: Outcome
    detail: str = ""
    seconds: float = 0.0


class CheckError(Exception):
    """A check's own verdict: what is wrong, in one line a user can act on."""


class NotApplicableError(Exception):
    """The check does not apply to this stack (say why)."""


@dataclass
class Report:
    out: TextIO = field(default_factory=lambda: sys.stdout)
    results: list[Result] = field(default_factory=list)

    def run(self, name: str, check: Callable[[], str | None]) -> Result:
        """Runs one check, printing a progress line before and its verdict after."""
        print(f"... {name}", file=self.out, flush=True)
        start = time.monotonic()
        try:
            detail = check() or ""
            outcome = Outcome.PASS
        except NotApplicableError as e:
            outcome, detail = Outcome.SKIP, str(e)
        except CheckError as e:
            outcome, detail = Outcome.FAIL, str(e)
        except Exception as e:  # a broken check is a failed check, never a crash that hides the others
            outcome, detail = Outcome.FAIL, f"{type(e).__name__}: {e}"
        result = Result(name, outcome, detail, time.monotonic() - start)
        self.results.append(result)
        print(f"{outcome:>4} {name}{': ' + detail if detail else ''}", file=self.out, flush=True)
        return result

    @property
    def passed(self) -> bool:
        return all(r.outcome != Outcome.FAIL for r in self.results)

    def table(self) -> str:
        rows = [("check", "result", "time", "detail")]
        rows += [(r.check, str(r.outcome), f"{r.seconds:.1f}s", r.detail) for r in self.results]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
                 for row in rows]  # fmt: skip
        lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 6)
        failed = sum(r.outcome == Outcome.FAIL for r in self.results)
        lines.append(f"{len(self.results) - failed} passed, {failed} failed" if failed else "all checks passed")
        return "\n".join(line.rstrip() for line in lines)


@contextmanager
def step(description: str) -> Iterator[None]:
    """Names the step inside a check that failed, so the verdict says where."""
    try:
        yield
    except CheckError:
        raise
    except Exception as e:
        raise CheckError(f"{description}: {type(e).__name__}: {e}") from e
