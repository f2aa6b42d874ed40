"""How to plan: `SolveOptions` and their defaults, which are `hubplan solve`'s.

Kept apart from the solver (`scheduler.core.solve`) so that the command line can state the
defaults without loading OR-Tools.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from scheduler.core.progress import OnProgress

# The gap a plan is proven within unless asked otherwise: what people who wait need. The
# typical hub (43 Work Groups) is planned within it in a few seconds on 2 cores, most often
# far closer (docs/benchmarks.md); a proof of optimality takes several times as long.
DEFAULT_GAP = 0.005


def every_core() -> int:
    """The default number of workers: a model per core at a time (the plan is the same)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class SolveOptions:
    """`time_limit` is CP-SAT deterministic time (about seconds here), so runs reproduce;
    so does the plan for any number of `workers`."""

    time_limit: float = 60.0
    seed: int = 0
    workers: int = field(default_factory=every_core)
    log: bool = False
    first_solution: bool = False  # feasibility only: stop at the first plan found
    decompose: bool = True  # solve independent components as separate models
    gap: float = DEFAULT_GAP  # stop once the plan is proven within this relative gap (0: optimal)
    on_progress: OnProgress | None = None  # told how the run stands (`scheduler.core.progress`)
