"""`hubplan batch`: many instances, each planned into its own folder, one summary.csv.

Each instance runs `scheduler.operations.pipeline.solve_file` in a worker: a local process pool by
default, or the workers of a Dask distributed cluster. A worker returns a plain dict (a row
of summary.csv), never raises, and never stops the others: a bad file is `invalid`, no plan
`infeasible`, no plan in time `unknown`, and anything unexpected `error` with its message.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import dataclasses
import io
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.text import safe_cell
from scheduler.core.plan import SOLVED
from scheduler.core.processes import process_pool
from scheduler.core.solve import SolveOptions
from scheduler.outputs.files import write_file

SUMMARY_COLUMNS = (
    "instance",
    "status",
    "objective",
    "gap",
    "seconds",
    "sessions",
    "total_cost",
    "violations",
    "message",
)
INSTANCE_SUFFIXES = (".yaml", ".yml", ".json")
DASK_CONNECT_TIMEOUT = "10s"

Row = dict[str, Any]


class BatchError(Exception):
    """A batch that cannot start (no inputs, an unwritable --out, an unreachable cluster)."""


@dataclass(frozen=True)
class BatchJob:
    """One instance to plan: picklable, so it can cross to a process or a Dask worker."""

    name: str  # the output folder's name and the summary's `instance`
    source: str
    out_dir: str
    options: SolveOptions


@dataclass
class BatchResult:
    rows: list[Row]
    summary: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Row]:
        """Rows without a good plan: not solved, or a plan the checker finds fault with."""
        return [r for r in self.rows if r["status"] not in SOLVED or r.get("violations")]


# --------------------------------------------------------------------------- files


def collect_inputs(inputs: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """Instance files named directly or found (sorted) in named folders, with warnings for
    folders that hold none. A path that does not exist is kept: its row says so."""
    files: list[Path] = []
    warnings: list[str] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower() in INSTANCE_SUFFIXES)
            if not found:
                warnings.append(f"{item}: no {', '.join(INSTANCE_SUFFIXES)} files in this folder")
            files.extend(found)
        else:
            files.append(item)
    return files, warnings


def safe_name(stem: str) -> str:
    """A file stem as a folder name: letters, digits, '_' and '-' only."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "instance"


def output_names(paths: Sequence[Path]) -> list[str]:
    """One distinct folder name per input, in input order: the safe stem, then `-2`, `-3`, …
    for repeats (compared without case, for case-insensitive file systems)."""
    taken: set[str] = set()
    names = []
    for path in paths:
        base = name = safe_name(path.stem)
        n = 2
        while name.lower() in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name.lower())
        names.append(name)
    return names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6g}"
    if isinstance(value, int):
        return str(value)
    return safe_cell(str(value))


def summary_csv(rows: Sequence[Row]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in SUMMARY_COLUMNS])
    return buf.getvalue().encode()


# --------------------------------------------------------------------------- one instance


def _row(name: str, status: str, message: str = "", **values: Any) -> Row:
    return {"instance": name, "status": status, "message": message, **values}


def count_violations(source: str | Path, plan_path: str | Path, problem=None) -> int:
    """Hard-rule violations `hubplan check` finds in a written plan (of `problem`, the
    instance's, when the caller has it already: reading the file again changes nothing)."""
    from scheduler.core.rules import check_plan
    from scheduler.services.plans import read_plan

    if problem is None:
        from models.load import load_instance
        from scheduler.core.problem import Problem

        problem = Problem.from_instance(load_instance(source))
    return len(check_plan(problem, read_plan(plan_path, problem)))


def _solve_row(job: BatchJob) -> Row:
    from scheduler.operations.pipeline import solve_file

    outcome = solve_file(job.source, job.out_dir, job.options)
    row = _row(job.name, outcome.status, outcome.message)
    plan = outcome.plan
    if plan is not None and plan.status in SOLVED:
        row.update(
            objective=plan.objective,
            gap=None if plan.gap is None else round(plan.gap, 6),
            sessions=len(plan.sessions),
            total_cost=None if outcome.total_cost is None else round(outcome.total_cost, 2),
            violations=count_violations(job.source, Path(job.out_dir) / "plan.json", outcome.problem),
        )
        if row["violations"] and not row["message"]:
            row["message"] = f"{row['violations']} hard-rule violations in the plan; hubplan check lists them"
    return row


def run_job(job: BatchJob) -> Row:
    """Plan one instance into its folder; a summary row, whatever happens."""
    started = time.perf_counter()
    try:
        row = _solve_row(job)
    except Exception as exc:  # noqa: BLE001 - one instance's failure must not stop the batch
        row = _row(job.name, "error", f"{type(exc).__name__}: {exc}")
    row["seconds"] = round(time.perf_counter() - started, 2)
    return row


def _collect(job: BatchJob, get: Callable[[], Row]) -> Row:
    """The worker's row, or an `error` row when the worker itself died or was lost."""
    try:
        return get()
    except Exception as exc:  # noqa: BLE001 - BrokenProcessPool, KilledWorker, CancelledError, …
        return _row(job.name, "error", f"worker failed: {type(exc).__name__}: {exc}".rstrip(": "))


# --------------------------------------------------------------------------- executors

OnDone = Callable[[Row], None]


def run_local(jobs: Sequence[BatchJob], processes: int, on_done: OnDone) -> list[Row]:
    """Rows in job order, planned by a pool of `processes` fresh (spawned) processes."""
    rows: dict[int, Row] = {}
    with process_pool(max(1, min(processes, len(jobs)))) as pool:
        futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            rows[i] = _collect(jobs[i], future.result)
            on_done(rows[i])
    return [rows[i] for i in range(len(jobs))]


def connect_dask(address: str | None):
    """A `dask.distributed.Client` of the scheduler at `address`, or BatchError in one line."""
    try:  # the optional extra hubplan[dask], imported only for a Dask run
        from dask.distributed import Client
        from distributed.comm.addressing import get_address_host_port, parse_address
    except ModuleNotFoundError:
        raise BatchError(
            "--executor dask needs Dask, an optional extra: pip install 'hubplan[dask]'"
        ) from None
    if not address:
        raise BatchError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")

    try:
        # A malformed address is refused here: a Client that fails on one hangs in __del__.
        if parse_address(address)[0] != "inproc":
            get_address_host_port(address)
    except ValueError as exc:
        raise BatchError(
            f"--scheduler {address}: not a Dask scheduler address ({exc}); write tcp://HOST:PORT"
        ) from None
    try:
        return Client(address, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError and the like
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BatchError(f"--scheduler {address}: cannot reach a Dask scheduler there ({detail})") from None


def run_dask(jobs: Sequence[BatchJob], client, on_done: OnDone) -> list[Row]:
    """Rows in job order, planned on a Dask cluster through `client` (closed at the end).

    The workers need hubplan installed and must see the input and output paths."""
    from dask.distributed import as_completed

    rows: dict[int, Row] = {}
    with client:
        futures = client.map(
            run_job, list(jobs), key=[f"hubplan-batch-{i}-{j.name}" for i, j in enumerate(jobs)]
        )
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures, loop=client.loop):
            i = index[future.key]
            rows[i] = _collect(jobs[i], future.result)
            on_done(rows[i])
    return [rows[i] for i in range(len(jobs))]


@contextlib.contextmanager
def progress_bar(total: int, enabled: bool = True) -> Iterator[OnDone]:
    """A rich progress bar on stderr; yields the callback that advances it by one row."""
    if not enabled:
        yield lambda row: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task("planning", total=total)

        def advance(row: Row) -> None:
            progress.update(task, advance=1, description=f"{row['instance']}: {row['status']}")

        yield advance


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def run_batch(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    options: SolveOptions,
    jobs: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: bool = True,
) -> BatchResult:
    """Plan every instance of `inputs` into `out_dir/<name>/` and write `out_dir/summary.csv`.

    Raises BatchError when the batch cannot start at all; never for one instance."""
    files, warnings = collect_inputs(inputs)
    if not files:
        raise BatchError("no instance files to plan; name files or folders holding .yaml, .yml or .json")
    client = connect_dask(scheduler) if executor == "dask" else None
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"--out {out}: cannot be created ({exc.strerror or exc})") from None
    options = dataclasses.replace(options, on_progress=None, log=False)
    batch = [
        BatchJob(name, str(path.resolve()), str((out / name).resolve()), options)
        for name, path in zip(output_names(files), files)
    ]
    with progress_bar(len(batch), progress) as on_done:
        if client is not None:
            rows = run_dask(batch, client, on_done)
        else:
            rows = run_local(batch, jobs or default_jobs(), on_done)
    summary = out / "summary.csv"
    write_file(summary, summary_csv(rows))
    return BatchResult(rows, summary, warnings)
