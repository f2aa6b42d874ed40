"""Hubs with a plan, fast: a solve's result is made once per test run (in this process, by the
worker's own code) and stored through `web.plans.store_result`, as the server stores a
worker's, so tests of access, locking, faults and backups need not wait for a worker each time."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import select

from web import worker
from web.db import transaction, utcnow
from web.hubs import latest_version
from web.plans import current_plan, store_result
from web.tables import Hub, Job


class _Quiet:
    def put(self, _item) -> None:
        """Progress events are not needed here."""


@functools.cache
def solved(instance_yaml: str, previous_json: str | None, today: dt.date) -> worker.Result:
    return worker._plan(_Quiet(), instance_yaml, previous_json, today, 20.0, 0)


def seed_plan(sessions, slug: str, user_id: int | None = None) -> Job:
    """Plan the hub's latest version (against its current plan, if any) and store the result."""
    with transaction(sessions) as db:
        hub = db.scalar(select(Hub).where(Hub.slug == slug))
        version, previous = latest_version(db, hub), current_plan(db, hub)
        job = Job(
            hub_id=hub.id,
            version_id=version.id,
            previous_plan_id=previous.id if previous else None,
            state="running",
            progress_json="",
            message="",
            created_by=user_id,
            created_at=utcnow(),
        )
        db.add(job)
        db.flush()
        result = solved(version.instance_yaml, previous.plan_json if previous else None, dt.date.today())
        job.message = store_result(db, job, result)
        job.state, job.finished_at = "done", utcnow()
    return job
