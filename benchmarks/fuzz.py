"""Fuzz hubplan's loader and solve pipeline at length and print one table.

The checks and mutations are those of tests/test_fuzz.py (which CI runs a few hundred times):
`load` hands each mutant to the loader as data, YAML or JSON; `YAML text` splices YAML syntax
into a bundled file's text (N / 2 examples); `solve` runs `solve_file` on a mutant into a
folder holding an earlier run. A row counts examples that loaded or solved (`ok`:
exit 0, 1 or 3), that were refused with named problems (`invalid`: exit 2), and anything
else (`failures`: a traceback, a malformed problem, a changed --out), which must be 0.

Usage: python benchmarks/fuzz.py [--examples N] [--solve-examples M] [--seed S]
(N also from HUBPLAN_FUZZ_EXAMPLES; M defaults to N / 10; without --seed the run is the
same every time.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_fuzz import (  # noqa: E402
    SOLVE_MUTANTS,
    check_load,
    check_solve,
    check_yaml_text,
    earlier_output,
    mutants,
    restore,
    yaml_texts,
)

from scheduler.operations.pipeline import EXIT_INVALID  # noqa: E402


@dataclass
class Tally:
    name: str
    ok: int = 0
    invalid: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def examples(self) -> int:
        return self.ok + self.invalid + len(self.failures)

    def row(self) -> tuple:
        return (self.name, self.examples, self.ok, self.invalid, len(self.failures), f"{self.seconds:.1f}")


def fuzz(
    name: str, strategy: st.SearchStrategy, check: Callable[..., bool], examples: int, seed: int | None
) -> Tally:
    """Run `check` on `examples` draws of `strategy`; `check` says True for refused (exit 2).
    Failures are counted and kept, not shrunk, so that the run goes on."""
    tally = Tally(name)
    config = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    @config
    @given(strategy)
    def body(args: tuple) -> None:
        try:
            refused = check(*args)
        except Exception:  # noqa: BLE001 - every failure is a finding to report
            tally.failures.append(traceback.format_exc(limit=-3))
        else:
            tally.invalid += refused
            tally.ok += not refused

    if seed is not None:
        body = hypothesis_seed(seed)(body)
    started = time.perf_counter()
    body()
    tally.seconds = time.perf_counter() - started
    return tally


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=int(os.environ.get("HUBPLAN_FUZZ_EXAMPLES", 2000)))
    ap.add_argument("--solve-examples", type=int, help="default: examples / 10")
    ap.add_argument("--seed", type=int, help="explore other examples (default: the same every run)")
    args = ap.parse_args()
    solves = args.solve_examples if args.solve_examples is not None else max(1, args.examples // 10)
    with tempfile.TemporaryDirectory(prefix="hubplan-fuzz-") as tmp:
        work = Path(tmp)
        earlier = earlier_output(work)
        counter = iter(range(10**9))

        def load(doc, fmt) -> bool:
            folder = work / f"load-{next(counter)}"
            folder.mkdir()
            return check_load(doc, fmt, folder) == "invalid"

        def text(yaml_text) -> bool:
            folder = work / f"text-{next(counter)}"
            folder.mkdir()
            return check_yaml_text(yaml_text, folder) == "invalid"

        def solve(doc) -> bool:
            folder = work / f"solve-{next(counter)}"
            return check_solve(doc, folder, restore(folder / "out", earlier)) == EXIT_INVALID

        formats = st.sampled_from(["data", "yaml", "json"])
        runs = [
            ("load (validate)", st.tuples(mutants(), formats), load, args.examples),
            ("YAML text", st.tuples(yaml_texts()), text, args.examples // 2),
            ("solve", st.tuples(SOLVE_MUTANTS), solve, solves),
        ]
        tallies = [fuzz(name, strategy, check, n, args.seed) for name, strategy, check, n in runs if n > 0]
    print_table(tallies)
    for tally in tallies:
        for failure in tally.failures[:3]:
            print(f"\n{tally.name} failure:\n{failure}")
    return 1 if any(t.failures for t in tallies) else 0


def print_table(tallies: list[Tally]) -> None:
    head = ("check", "examples", "ok", "invalid (exit 2)", "other failures", "seconds")
    rows = [head, *(t.row() for t in tallies)]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
    for k, r in enumerate(rows):
        print(
            "  ".join(
                str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths))
            )
        )
        if k == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    sys.exit(main())
