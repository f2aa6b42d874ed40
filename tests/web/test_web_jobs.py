"""Planning runs in real worker processes: progress, results, cancel, a killed worker,
an infeasible hub's explanation, and jobs a stopped server left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import select
from web_support import ROOT, as_user, make_app, sqlite_url, wait_job

from web.db import transaction, utcnow
from web.tables import Job, PlanFile, PlanRow

MOCKS = ROOT / "instances" / "what-if" / "parkside-spring-mocks.yaml"


def _start(b, slug: str) -> int:
    b.get(f"/hubs/{slug}")
    r = b.post(f"/hubs/{slug}/plan")
    assert r.status_code == 200, r.text
    return int(str(r.url).rsplit("/", 1)[1])


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as f:  # a zombie has ended too
        return f.read().split()[2] == "Z"


def test_a_run_plans_in_a_worker_and_stores_every_file(sqlite_url, make_app):
    app, client = make_app(sqlite_url)
    b = as_user(client, "coord@example.org")
    job = wait_job(app, _start(b, "example-hub"))
    assert job.state == "done" and job.message == "optimal: 39 sessions"
    assert job.pid and job.pid != os.getpid()
    progress = json.loads(job.progress_json)
    assert progress["stage"] == "solve" and progress["done"] == progress["total"] >= 1
    with app.state.sessions() as db:
        plan = db.scalar(select(PlanRow).where(PlanRow.id == job.plan_id))
        assert plan.state == "current" and plan.status == "optimal" and plan.version == 1
        paths = set(db.scalars(select(PlanFile.path).where(PlanFile.plan_id == plan.id)))
    assert {
        "plan.json",
        "plan.csv",
        "costs.csv",
        "costs.xlsx",
        "report.html",
        "calendars/specialists/sam-jones.ics",
    } <= paths
    events = client.get(f"/hubs/example-hub/jobs/{job.id}/events").text
    assert "event: progress" in events and '"state": "done"' in events.split("event: end", 1)[1]


def test_cancel_ends_the_worker(sqlite_url, make_app):
    app, client = make_app(sqlite_url)
    b = as_user(client, "other@example.org")
    job_id = _start(b, "north-east-hub")
    running = wait_job(app, job_id, states=("running",))
    time.sleep(1.0)
    b.get(f"/hubs/north-east-hub/jobs/{job_id}")
    b.post(f"/hubs/north-east-hub/jobs/{job_id}/cancel")
    job = wait_job(app, job_id)
    assert job.state == "cancelled" and job.plan_id is None
    assert _gone(running.pid)


def test_a_killed_worker_fails_its_job(sqlite_url, make_app):
    app, client = make_app(sqlite_url)
    b = as_user(client, "other@example.org")
    job_id = _start(b, "north-east-hub")
    running = wait_job(app, job_id, states=("running",))
    os.kill(running.pid, signal.SIGKILL)
    job = wait_job(app, job_id)
    assert job.state == "failed" and "stopped unexpectedly" in job.message


def test_infeasible_hub_shows_the_explanation_of_explain(sqlite_url, make_app):
    app, client = make_app(sqlite_url)
    b = as_user(client, "coord@example.org")
    b.get("/hubs/example-hub/upload")
    b.post("/hubs/example-hub/upload", files={"file": ("mocks.yaml", MOCKS.read_bytes())})
    job = wait_job(app, _start(b, "example-hub"), timeout=300)
    assert job.state == "done" and "no plan satisfies every rule" in job.message
    with app.state.sessions() as db:
        plan = db.get(PlanRow, job.plan_id)
        assert plan.state == "draft" and plan.status == "infeasible"
        shown = plan.explanation
    cli = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "explain", str(MOCKS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert cli.returncode == 1
    facts = [line for line in cli.stdout.splitlines() if line.lstrip().startswith("- ")]
    assert facts and all(line in shown.splitlines() for line in facts)
    page = b.get("/hubs/example-hub").text
    assert "Why no plan exists" in page and "Year 11 mocks" in page


def test_jobs_a_stopped_server_left_are_interrupted(sqlite_url, make_app):
    from web.app import create_app
    from web.settings import Settings

    app, _ = make_app(sqlite_url)
    with transaction(app.state.sessions) as db:
        job = Job(hub_id=1, version_id=1, state="running", progress_json="", message="", created_at=utcnow())
        db.add(job)
    again = create_app(Settings(database=sqlite_url))
    with again.state.sessions() as db:
        assert db.get(Job, job.id).state == "interrupted"
