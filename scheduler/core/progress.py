"""Progress of a long run, as events: built once, shown by the terminal and the workspace.

A solve, an explanation or a re-plan reports `Progress` events to a callback
(`SolveOptions.on_progress`). The command line draws them as one live line; the browser
workspace streams them to the page (server-sent events). Events are plain, frozen and
picklable, so they cross from a worker process to the server unchanged.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from scheduler.core.plan import SOLVED, Plan

LIVE_EVERY = 0.25  # seconds between live reports of one search, and of a run


@dataclass(frozen=True)
class Progress:
    """Where a run stands. `done` of `total` pieces (independent models) are finished
    (`total` 0: not known yet, as in an explanation, which counts its solves as it goes);
    `objective` and `bound` are the sums over the pieces that have a plan so far,
    finished or still searching; `message` says what is being done, where it helps."""

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


def closeness(gap: float) -> str:
    """How close a plan is to the best possible, in words: 'the best possible (proven)', or
    'within 0.08% of the best possible', rounded up so that it never claims more than the
    proof gives."""
    if gap <= 0:
        return "the best possible (proven)"
    return f"within {percent_up(gap)} of the best possible"


def percent_up(gap: float) -> str:
    """A gap as a percentage of two decimals, rounded up: 0.00077 is '0.08%'."""
    return f"{math.ceil(gap * 10_000 - 1e-9) / 100:.2f}%"


class Steps:
    """Progress of a run of many small solves whose number is not known at the start (an
    explanation): each step is told as it begins, with what it does."""

    def __init__(self, on_progress: OnProgress | None, stage: str):
        self.on_progress, self.stage, self.done = on_progress, stage, 0
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.on_progress is not None:
            elapsed = time.perf_counter() - self.started
            self.on_progress(Progress(self.stage, self.done, 0, elapsed, message=message))
        self.done += 1


class Tally:
    """How the run stands, told to `on_progress`: models done of all, and the objective and
    bound summed over the models that have a plan, finished or (live) still searching.
    Called from several threads (searches here, reports from pool processes), so locked;
    live reports at most every `LIVE_EVERY` seconds."""

    def __init__(self, on_progress: OnProgress | None, total: int, stage: str = "solve"):
        self.on_progress, self.total, self.stage = on_progress, total, stage
        self.started = self.shown = time.perf_counter()
        self.done: set[int] = set()
        self.values: dict[int, tuple[float, float]] = {}  # model -> (objective, bound)
        self.lock = threading.Lock()

    def start(self) -> None:
        """Tell that the run has begun (nothing is solved yet)."""
        if self.on_progress is not None:
            with self.lock:
                self._tell()

    def live(self, i: int, replaces: range = range(0)) -> Callable[[float, float], None] | None:
        """The reporter of model `i`'s search (whose plans stand for models `replaces` too),
        or None when nobody listens."""
        if self.on_progress is None:
            return None
        return lambda objective, bound: self.report(i, objective, bound, replaces)

    def report(self, i: int, objective: float, bound: float, replaces: range = range(0)) -> None:
        with self.lock:
            if i not in self.done:
                for j in replaces:
                    self.values.pop(j, None)
                self.values[i] = (objective, bound)
                if time.perf_counter() - self.shown >= LIVE_EVERY:
                    self._tell()

    def finished(self, i: int, plan: Plan, replaces: range = range(0)) -> Plan:
        """Model `i` has ended with `plan`, which stands for models `replaces` too."""
        if self.on_progress is None:
            return plan
        with self.lock:
            self.done.add(i)
            for j in replaces:
                self.values.pop(j, None)
            self.values.pop(i, None)
            if plan.status in SOLVED:
                self.values[i] = (plan.objective, plan.best_bound)
            self._tell()
        return plan

    def _tell(self) -> None:
        self.shown = now = time.perf_counter()
        have = list(self.values.values())
        self.on_progress(
            Progress(
                self.stage,
                len(self.done),
                self.total,
                now - self.started,
                sum(o for o, _ in have) if have else None,
                sum(b for _, b in have) if have else None,
            )
        )


class Relay:
    """While open, a thread hands the live reports of pool processes (`reports`, a
    multiprocessing queue, or None) to the tally. It only reads, so nothing here waits on
    the queue's pipe at exit; open it before the pool and close it after, so that workers
    that end cleanly can flush their last reports into a pipe still being read."""

    def __init__(self, reports, tally: Tally):
        self.reports, self.tally, self.stopped = reports, tally, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="hubplan-progress")

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                item = self.reports.get(timeout=LIVE_EVERY)
            except queue.Empty:
                continue
            except (EOFError, OSError):  # the queue is gone: nothing more to tell
                return
            self.tally.report(*item)

    def __enter__(self) -> Relay:
        if self.reports is not None:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.reports is not None:
            self.stopped.set()
            self.thread.join()
