"""Hubs with a plan, fast: a solve's result is made once per test run (in this process, by the
worker's own code) and stored as the server stores a worker's (`web.jobs.plan_in_process`), so
tests of access, locking, faults and backups need not wait for a worker each time."""

from __future__ import annotations

import datetime as dt
import functools

from web import worker
from web.jobs import plan_in_process
from web.tables import Job


class _Quiet:
    def put(self, _item) -> None:
        """Progress events are not needed here."""


@functools.cache
def solved(instance_yaml: str, previous_json: str | None, today: dt.date) -> worker.Result:
    return worker._plan(_Quiet(), instance_yaml, previous_json, today, 20.0, 0)


def seed_plan(sessions, slug: str) -> Job:
    """Plan the hub's latest version (against its current plan, if any) and store the result."""
    return plan_in_process(sessions, slug, 20.0, solve=solved)
