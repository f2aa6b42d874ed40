"""Planning jobs: a worker process per run, watched by a thread of the server.

"Plan the year" adds a job row and starts a spawned process (`web.worker.plan`); a
watcher thread reads the process's queue, writes each progress event to the job row (what
the page's event stream reads) and, at the end, stores the plan in one transaction
(`web.plans.store_result`). Cancelling terminates the process. A process that dies without
a word fails its job; jobs left running by a server that stopped are marked interrupted
when the next one starts.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import queue as queues
import threading
import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from web import worker
from web.db import transaction, utcnow
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
            raise JobError("This hub is being planned already; wait for that run or cancel it.")
        kind = "plan" if previous is None else "replan"
        previous = previous or current_plan(db, hub)
        job = Job(
            hub_id=hub.id,
            version_id=version.id,
            previous_plan_id=previous.id if previous else None,
            kind=kind,
            state="queued",
            progress_json="",
            message="",
            created_by=user.id if user else None,
            created_at=utcnow(),
        )
        db.add(job)
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
                self._store(job_id, data)
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

    def _store(self, job_id: int, result: worker.Result) -> None:
        with self.lock:
            if job_id in self.cancelled:  # the answer came in as the cancel went out
                self._set(job_id, state="cancelled", message="cancelled", finished_at=utcnow())
                return
        with transaction(self.sessions) as db:
            job = db.get(Job, job_id)
            message = store_result(db, job, result, self.today())
            job.state, job.message, job.finished_at = "done", message, utcnow()

    def _set(self, job_id: int, **values) -> None:
        with transaction(self.sessions) as db:
            db.execute(update(Job).where(Job.id == job_id, Job.state.not_in(JOB_ENDED)).values(**values))

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
