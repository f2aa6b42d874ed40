"""Progress of a long run, as events: built once, shown by the terminal and the workspace.

A solve, an explanation or a re-plan reports `Progress` events to a callback
(`SolveOptions.on_progress`). The command line draws them as one live line; the browser
workspace streams them to the page (server-sent events). Events are plain, frozen and
picklable, so they cross from a worker process to the server unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Progress:
    """Where a run stands. `done` of `total` pieces (independent models) are finished;
    `objective` and `bound` are the sums over the pieces that have them so far."""

    stage: str  # 'solve' | 'explain' | 'replan' | 'write'
    done: int
    total: int
    elapsed: float  # wall seconds since the run started
    objective: float | None = None
    bound: float | None = None
    message: str = ""

    @property
    def gap(self) -> float | None:
        """The proven relative distance from the best possible plan, as plan.json has it."""
        if self.objective is None or self.bound is None:
            return None
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))

    def as_dict(self) -> dict:
        return {**asdict(self), "gap": self.gap}


OnProgress = Callable[[Progress], None]
