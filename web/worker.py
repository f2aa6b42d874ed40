"""What runs in a planning worker process: the same pipeline as `hubplan solve`.

The process is spawned fresh (no threads or database connections inherited), gets the
instance and the previous plan as text, runs `scheduler.operations.pipeline.solve_file`
into a private temporary folder, and sends back over its queue a `("progress", dict)` for
each `Progress` event and, at the end, one `("done", Result)` or `("error", message)`.
It never touches the database: the server stores what it sends. If the server is killed,
the worker ends too, within PARENT_CHECK seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

RELAXATIONS = "relaxations.json"  # a workspace file beside the outputs: the checked changes, as edits

PARENT_CHECK = 0.5  # seconds between looks at the server
# A run takes a core for minutes; the server's requests come first when they want it too.
# Measured with benchmarks/load.py on 2 cores (SQLite): feeds p95 284 ms with the run at the
# server's priority, 31 ms with it niced.
NICENESS = 10
EXIT_ORPHANED = 3


@dataclass
class Result:
    status: str  # optimal | feasible | infeasible | unknown | invalid
    message: str  # one line for people when there is no plan
    files: dict[str, bytes] = field(default_factory=dict)  # every output file, by relative path
    summary: list[str] = field(default_factory=list)  # re-planning: what moved
    label: str = ""  # what the plan is, for a draft's list


def plan(
    queue,
    instance_yaml: str,
    previous_json: str | None,
    today: dt.date | None,
    time_limit: float,
    seed: int,
    pins: tuple[dict, ...] = (),
    draft: bool = False,
) -> None:
    """Plan (or re-plan against `previous_json` from `today` on, holding `pins`: the sessions
    a person placed, as the instance's `pinned` entries); report on `queue`. A `draft`'s files
    are the plan and its changes alone: the rest is made when a person applies it."""
    os.nice(NICENESS)
    threading.Thread(target=_end_with_the_server, daemon=True).start()
    try:
        if pins:
            instance_yaml = _pinned(instance_yaml, pins)
        result = _plan(queue, instance_yaml, previous_json, today, time_limit, seed, draft)
        if previous_json is not None:
            held = (
                f", holding {len(pins)} session{'s' if len(pins) != 1 else ''} where placed" if pins else ""
            )
            result.label = f"re-planned from {today}{held}"
        queue.put(("done", result))
    except BaseException as exc:  # noqa: BLE001 - whatever happens, the server hears of it
        queue.put(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"))


def _end_with_the_server() -> None:
    """A server killed outright (SIGKILL, the out-of-memory killer) ends no worker: this one
    would plan on for nobody, holding a core. It watches its parent and ends with it."""
    parent = multiprocessing.parent_process()
    while parent is not None:
        time.sleep(PARENT_CHECK)
        if not parent.is_alive():
            os._exit(EXIT_ORPHANED)


def _pinned(instance_yaml: str, pins: tuple[dict, ...]) -> str:
    from models.limits import load_yaml
    from models.yamlstyle import IMPORTED, dump_yaml

    doc = load_yaml(instance_yaml)
    doc["pinned"] = [*(doc.get("pinned") or []), *pins]
    return dump_yaml(doc, IMPORTED)


def _plan(queue, instance_yaml, previous_json, today, time_limit, seed, draft=False) -> Result:
    from models.edits import edits_json
    from scheduler.core.solve import SolveOptions
    from scheduler.operations.pipeline import solve_file
    from scheduler.services.replan import summary_lines

    # One process: a worker is the server's daemon process, which may start none of its own,
    # and the server keeps the other cores for its pages and feeds (benchmarks/load.py).
    # The plan is the same for any number of workers.
    options = SolveOptions(
        time_limit=time_limit,
        seed=seed,
        workers=1,
        on_progress=lambda event: queue.put(("progress", event.as_dict())),
    )
    with tempfile.TemporaryDirectory(prefix="hubplan-job-") as tmp:
        source = Path(tmp) / "instance.yaml"
        source.write_text(instance_yaml, encoding="utf-8")
        previous = None
        if previous_json is not None:
            previous = Path(tmp) / "previous.json"
            previous.write_text(previous_json, encoding="utf-8")
        out = Path(tmp) / "out"
        outcome = solve_file(
            source,
            out,
            options,
            previous=previous,
            today=today if previous else None,
            plan_only=draft,
            replan_pieces=True,  # the same re-plan, sooner: the typical hub's in 5 s, not 12
        )
        files = (
            {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
            if out.is_dir()
            else {}
        )
        summary = summary_lines(outcome.changes) if outcome.changes else []
        if outcome.relaxations:  # for the buttons that make a change (or a pair) and plan again
            offered = [
                {"text": "; and ".join(r.text for r in change), "edits": edits_json([r.edit for r in change])}
                for change in outcome.relaxations
                if all(r.edit is not None for r in change)
            ]
            files[RELAXATIONS] = json.dumps(offered, indent=1).encode()
        return Result(outcome.status, outcome.message, files, summary)
