"""Planning jobs: a worker process per run, watched by a thread of the server.

"Plan the year" adds a job row and starts a spawned process (`web.worker.plan`); a
watcher thread reads the process's queue, writes each progress event to the job row (what
the page's event stream reads) and, at the end, stores the plan in one transaction
(`web.plans.store_result`). Cancelling terminates the process. A process that dies without
a word fails its job; jobs left running by a server that stopped are marked interrupted
when the next one starts. A worker whose server is killed outright ends itself
(`web.worker`). While the database is away, a finished run waits for it (`web.db.patiently`)
rather than being lost.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import queue as queues
import threading
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from web import worker
from web.db import UNREACHABLE, patiently, transaction, utcnow
from web.hubs import latest_version
from web.plans import current_plan, store_result
from web.tables import JOB_ENDED, Hub, HubVersion, Job, PlanRow, User

POLL = 0.25  # seconds between looks at a quiet worker
STOP_WAIT = 3.0  # seconds a terminated worker gets before it is killed


class JobError(Exception):
    """A job that cannot start, in words for the coordinator."""


class Runner:
    """Starts, watches and cancels the worker processes of this server."""

    def __init__(
        self, sessions: sessionmaker[Session], time_limit: float, seed: int = 0, today=dt.date.today
    ):
        self.sessions, self.time_limit, self.seed, self.today = sessions, time_limit, seed, today
        self.processes: dict[int, multiprocessing.process.BaseProcess] = {}
        self.cancelled: set[int] = set()
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.stopping = False

    def start(
        self,
        db: Session,
        hub: Hub,
        version: HubVersion,
        user: User | None,
        *,
        previous: PlanRow | None = None,
        pins: tuple[dict, ...] = (),
    ) -> Job:
        """A new job planning `version`, against the hub's current plan if it has one. With
        `previous` (a plan being edited), a "re-plan from here": its result is a draft, and
        `pins` (the sessions the person placed) are held."""
        running = db.scalar(select(Job).where(Job.hub_id == hub.id, Job.state.in_(("queued", "running"))))
        if running is not None:
            starter = db.get(User, running.created_by) if running.created_by else None
            raise JobError(
                f"This hub is being planned already: {starter.email if starter else 'someone'} started run "
                f"{running.id} at {running.created_at:%H:%M:%S} UTC on {running.created_at:%d %b %Y}. "
                "Wait for that run, or cancel it and plan again."
            )
        kind = "plan" if previous is None else "replan"
        previous = previous or current_plan(db, hub)
        job = new_job(db, version, previous, "queued", user, kind)
        db.commit()
        ctx = multiprocessing.get_context("spawn")
        channel = ctx.Queue()
        process = ctx.Process(
            target=worker.plan,
            args=(
                channel,
                version.instance_yaml,
                previous.plan_json if previous else None,
                self.today(),
                self.time_limit,
                self.seed,
                tuple(pins),
                kind == "replan",
            ),
            daemon=True,
            name=f"hubplan-job-{job.id}",
        )
        process.start()
        with self.lock:
            self.processes[job.id] = process
        job.state, job.pid = "running", process.pid
        db.commit()
        thread = threading.Thread(target=self._watch, args=(job.id, process, channel), daemon=True)
        self.threads.append(thread)
        thread.start()
        return job

    def cancel(self, db: Session, job: Job) -> None:
        if job.state in JOB_ENDED:
            return
        with self.lock:
            self.cancelled.add(job.id)
            process = self.processes.get(job.id)
        if process is not None:
            _stop(process)
        self._set(job.id, state="cancelled", message="cancelled", finished_at=utcnow())
        db.refresh(job)

    def _watch(self, job_id: int, process, channel) -> None:
        last_progress = 0.0
        while True:
            try:
                kind, data = channel.get(timeout=POLL)
            except queues.Empty:
                if process.is_alive():
                    continue
                try:  # anything it sent just before ending
                    kind, data = channel.get(timeout=1.0)
                except queues.Empty:
                    self._ended(job_id, process)
                    return
            if kind == "progress":
                now = time.monotonic()
                if now - last_progress >= 0.2 or data.get("done") == data.get("total"):
                    last_progress = now
                    self._set(job_id, progress_json=json.dumps(data))
            elif kind == "done":
                self._store_or_fail(job_id, data)
                process.join(STOP_WAIT)
                self._forget(job_id)
                return
            else:
                self._set(job_id, state="failed", message=str(data).splitlines()[0], finished_at=utcnow())
                process.join(STOP_WAIT)
                self._forget(job_id)
                return

    def _ended(self, job_id: int, process) -> None:
        with self.lock:
            cancelled = job_id in self.cancelled
        if cancelled:
            self._set(job_id, state="cancelled", message="cancelled", finished_at=utcnow())
        elif self.stopping:
            self._set(
                job_id,
                state="interrupted",
                message="the server stopped during this run",
                finished_at=utcnow(),
            )
        else:
            self._set(
                job_id,
                state="failed",
                message=f"the planning process stopped unexpectedly (exit code {process.exitcode})",
                finished_at=utcnow(),
            )
        self._forget(job_id)

    def _store_or_fail(self, job_id: int, result: worker.Result) -> None:
        """Store the result; if that fails (a bug, or a database away past its patience), the
        job still ends, as failed, rather than stay "running" until the next restart."""
        try:
            self._store(job_id, result)
        except Exception as exc:  # noqa: BLE001 - the job must end, whatever went wrong
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            with contextlib.suppress(Exception):
                self._set(
                    job_id,
                    state="failed",
                    message=f"the plan could not be stored ({reason})",
                    finished_at=utcnow(),
                )

    def _store(self, job_id: int, result: worker.Result) -> None:
        with self.lock:
            if job_id in self.cancelled:  # the answer came in as the cancel went out
                self._set(job_id, state="cancelled", message="cancelled", finished_at=utcnow())
                return

        def store() -> None:
            with transaction(self.sessions) as db:
                job = db.get(Job, job_id)
                message = store_result(db, job, result, self.today())
                job.state, job.message, job.finished_at = "done", message, utcnow()

        patiently(store)  # a result is not lost to a database that is away for a while

    def _set(self, job_id: int, **values) -> None:
        """Write the job's row; an ending state waits for a database that is away, while a
        progress event that cannot be written is skipped (the next one will be)."""

        def write() -> None:
            with transaction(self.sessions) as db:
                db.execute(update(Job).where(Job.id == job_id, Job.state.not_in(JOB_ENDED)).values(**values))

        if "state" in values:
            patiently(write)
            return
        with contextlib.suppress(*UNREACHABLE):
            write()

    def _forget(self, job_id: int) -> None:
        with self.lock:
            self.processes.pop(job_id, None)
            self.cancelled.discard(job_id)

    def shutdown(self) -> None:
        """Stop every worker (the server is stopping); their jobs end as interrupted."""
        self.stopping = True
        with self.lock:
            running = list(self.processes.values())
        for process in running:
            _stop(process)
        for thread in self.threads:
            thread.join(STOP_WAIT)


def _stop(process) -> None:
    process.terminate()
    process.join(STOP_WAIT)
    if process.is_alive():
        process.kill()
        process.join(STOP_WAIT)


def mark_interrupted(sessions: sessionmaker[Session]) -> int:
    """At start-up: jobs still queued or running have no process behind them any more."""
    with transaction(sessions) as db:
        done = db.execute(
            update(Job)
            .where(Job.state.in_(("queued", "running")))
            .values(state="interrupted", message="the server stopped during this run", finished_at=utcnow())
        )
        return done.rowcount or 0


def new_job(
    db: Session,
    version: HubVersion,
    previous: PlanRow | None,
    state: str,
    user: User | None,
    kind: str = "plan",
) -> Job:
    """A run planning `version`, against the plan `previous` when it re-plans one; a
    "replan" run (from the plan editor) makes a draft."""
    job = Job(
        hub_id=version.hub_id,
        version_id=version.id,
        previous_plan_id=previous.id if previous else None,
        kind=kind,
        state=state,
        progress_json="",
        message="",
        created_by=user.id if user else None,
        created_at=utcnow(),
    )
    db.add(job)
    db.flush()
    return job


def plan_in_process(
    sessions: sessionmaker[Session],
    slug: str,
    time_limit: float,
    solve: Callable[[str, str | None, dt.date], worker.Result] | None = None,
) -> Job:
    """Plan the hub's newest version here, in this process, as a worker would (against its
    current plan, if any), and store it as a finished run. For scripts and tests that need a
    planned hub without a server (`benchmarks/load.py`, `tests/web/seed.py`); `solve` may stand
    in for the worker's own planning (a test's cache of results)."""

    def plan_here(instance_yaml: str, previous_json: str | None, today: dt.date) -> worker.Result:
        return worker._plan(_Unheard(), instance_yaml, previous_json, today, time_limit, 0)

    with transaction(sessions) as db:
        hub = db.scalar(select(Hub).where(Hub.slug == slug))
        version, previous = latest_version(db, hub), current_plan(db, hub)
        job = new_job(db, version, previous, "running", None)
        result = (solve or plan_here)(
            version.instance_yaml, previous.plan_json if previous else None, dt.date.today()
        )
        job.message = store_result(db, job, result)
        job.state, job.finished_at = "done", utcnow()
    return job


class _Unheard:
    def put(self, _event) -> None:
        """Progress of a plan made in process goes nowhere."""
