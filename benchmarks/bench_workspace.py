"""Server time of the workspace's two busiest pages on a typical hub: the year at a glance
(target under 1 s) and one calendar feed (target under 100 ms).

Generates the typical hub (`scheduler.operations.generate`, 43 Work Groups, seed 1), plans
it through the workspace itself (a real worker process) into a fresh SQLite database, then
times each page in-process (the ASGI app, no network): the median of several requests.
Usage: python benchmarks/bench_workspace.py [--work-groups N] [--seed S] [--repeat R] [--database URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "benchmark password"


def median_ms(client, path: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work-groups", type=int, default=43)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database", help="default: a new SQLite file in a temporary folder")
    args = parser.parse_args()

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from models.load import parse_instance
    from scheduler.operations.generate import generate_instance
    from web.app import create_app
    from web.auth import add_user
    from web.db import transaction
    from web.hubs import add_hub, add_version
    from web.plans import current_plan, plan_of
    from web.settings import Settings
    from web.tables import Job

    instance = parse_instance(generate_instance(args.work_groups, args.seed))
    folder = tempfile.mkdtemp(prefix="hubplan-bench-")
    database = args.database or f"sqlite:///{folder}/bench.db"
    app = create_app(Settings(database=database))
    with transaction(app.state.sessions) as db:
        hub = add_hub(db, "typical", instance.hub.name)
        version = add_version(db, hub, instance, "generated.yaml", None)
        add_user(db, "bench@example.org", PASSWORD, "coordinator", hub)
    with TestClient(app) as client:
        started = time.perf_counter()
        with app.state.sessions() as db:
            job = app.state.runner.start(db, db.merge(hub), db.merge(version), None)
        while True:
            with app.state.sessions() as db:
                state = db.get(Job, job.id).state
            if state not in ("queued", "running"):
                break
            time.sleep(0.5)
        planned = time.perf_counter() - started
        with app.state.sessions() as db:
            row = current_plan(db, db.scalar(select(type(hub)).where(type(hub).slug == "typical")))
            assert row is not None, f"planning ended {state}"
            sessions = len(plan_of(row).sessions)
        page = client.get("/")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        client.post("/login", data={"csrf": csrf, "email": "bench@example.org", "password": PASSWORD})
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)  # a new session's
        subject = instance.specialists[0].id
        made = client.post(f"/hubs/typical/specialists/{subject}/feed", data={"csrf": csrf})
        feed = re.search(
            r'id="feed-url" class="url" readonly value="http://testserver([^"]+)"', made.text
        ).group(1)
        client.get("/hubs/typical/year")  # the first request parses and caches the plan
        year_ms = median_ms(client, "/hubs/typical/year", args.repeat)
        feed_ms = median_ms(client, feed, args.repeat * 4)

    print(f"date       {dt.date.today()}")
    print(
        f"machine    {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {database.split(':')[0]}"
    )
    print(
        f"instance   generated, {args.work_groups} Work Groups, seed {args.seed}: {len(instance.schools)} schools, "
        f"{len(instance.specialists)} specialists, {len(instance.teachers)} teachers; {sessions} sessions planned in {planned:.1f} s"
    )
    print(
        f"year page  {year_ms:7.1f} ms median of {args.repeat} (target < 1000 ms)  {'ok' if year_ms < 1000 else 'SLOW'}"
    )
    print(
        f"one feed   {feed_ms:7.1f} ms median of {args.repeat * 4} (target < 100 ms)   {'ok' if feed_ms < 100 else 'SLOW'}"
    )


if __name__ == "__main__":
    main()
