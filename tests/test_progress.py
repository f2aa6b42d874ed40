"""Progress on long runs: events in the Python API, one live line on a terminal, nothing
where the output is not a terminal or with --quiet, and Ctrl-C still stops at once."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import HUB, ROOT

from models.load import load_instance
from scheduler.core.problem import Problem
from scheduler.core.progress import Progress, Tally, closeness
from scheduler.core.solve import SolveOptions, solve
from scheduler.operations.terminal import describe, live_line
from scheduler.services.explain import explain_instance

CLI = str(ROOT / "cli.py")
PARKSIDE = ROOT / "instances" / "what-if" / "parkside-spring-mocks.yaml"
LINE = re.compile(r"planning (\d+)/(\d+) pieces")


@pytest.fixture(scope="module")
def hub() -> Problem:
    return Problem.from_instance(load_instance(HUB))


# --------------------------------------------------------------------------- events


def test_a_solve_tells_each_piece_and_ends_with_the_plan(hub):
    events: list[Progress] = []
    plan = solve(hub, SolveOptions(time_limit=30, workers=2, on_progress=events.append))
    assert events[0].done == 0 and events[0].objective is None  # told at the start
    done = [e.done for e in events]
    assert done == sorted(done) and done[-1] == events[-1].total > 1
    assert (events[-1].objective, events[-1].bound) == (plan.objective, plan.best_bound)
    assert {e.stage for e in events} == {"solve"}
    assert all(e.elapsed >= 0 for e in events) and events[-1].as_dict()["gap"] == plan.gap


def test_pool_processes_report_their_searches_live(hub, monkeypatch):
    """With two workers, pieces solved in the pool process report objective and bound
    while they search, not only when they end: their reports reach the tally through the
    relay's thread, with the objective and bound of a plan found (whenever the machine lets
    them arrive: the tally shows them only while the piece is still on)."""
    relayed: list[tuple[int, float, float]] = []
    report = Tally.report

    def spy(self, i, objective, bound, replaces=range(0)):
        if threading.current_thread().name == "hubplan-progress":
            relayed.append((i, objective, bound))
        report(self, i, objective, bound, replaces)

    monkeypatch.setattr(Tally, "report", spy)
    events: list[Progress] = []
    solve(hub, SolveOptions(time_limit=60, gap=0.0, workers=2, on_progress=events.append))
    assert relayed, "no live report from the pool"
    assert all(objective >= bound for _, objective, bound in relayed)


def test_the_tally_sums_finished_and_searching_models_and_a_join_replaces_its_parts():
    events: list[Progress] = []
    tally = Tally(events.append, total=3)
    tally.finished(0, _plan(100, 90))
    tally.report(1, 50, 40)  # too soon after the last event to be told on its own
    tally.finished(1, _plan(45, 45))
    assert (events[-1].done, events[-1].objective, events[-1].bound) == (2, 145, 135)
    tally.finished(2, _plan(150, 140), replaces=range(0, 2))  # a join: the whole part's plan
    assert (events[-1].done, events[-1].objective, events[-1].bound) == (3, 150, 140)


def _plan(objective: float, bound: float):
    from scheduler.core.plan import Plan

    return Plan("x", "feasible", objective=objective, best_bound=bound)


def test_an_explanation_tells_each_step():
    events: list[Progress] = []
    feasible, _ = explain_instance(Problem.from_instance(load_instance(PARKSIDE)), on_progress=events.append)
    assert not feasible
    assert [e.done for e in events] == list(range(len(events))) and len(events) > 2
    assert {e.stage for e in events} == {"explain"} and all(e.message for e in events)


def test_closeness_never_claims_more_than_the_proof():
    assert closeness(0.0) == "the best possible (proven)"
    assert closeness(0.00077) == "within 0.08% of the best possible"
    assert closeness(0.002) == "within 0.20% of the best possible"
    assert closeness(0.0000001) == "within 0.01% of the best possible"


def test_the_line_says_pieces_best_bound_gap_and_time():
    event = Progress("solve", 17, 24, 5.23, 283067, 282849)
    assert describe(event) == "planning 17/24 pieces · best 283,067 · bound 282,849 (gap 0.08%) · 5.2 s"
    written = describe(Progress("write", 0, 1, 6.0), before=Progress("solve", 24, 24, 5.9, 10, 10), last=True)
    assert written == "planned 24/24 pieces · best 10 · bound 10 (gap 0.00%) · 6.0 s"


def test_no_line_where_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    with live_line(stream) as on_progress:
        assert on_progress is None
    assert stream.getvalue() == ""


# --------------------------------------------------------------------------- the command line


def _in_a_terminal(args: list[str], stdout=subprocess.PIPE, until=None, then=None) -> tuple[int, str, bytes]:
    """Run hubplan with stderr on a pseudo-terminal: (exit code, stdout, what the terminal got).
    `then` is called once the terminal has shown `until` (a regex over bytes)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, CLI, *args], stdin=slave, stdout=stdout, stderr=slave, start_new_session=True
    )
    os.close(slave)
    seen, fired, deadline = b"", False, time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the other side closed: the run is over
                    break
                if not chunk:
                    break
                seen += chunk
            if then and not fired and until and re.search(until, seen):
                then(proc, master)
                fired = True
            if not ready and proc.poll() is not None:
                break
        out = proc.stdout.read().decode() if proc.stdout else ""
        return proc.wait(timeout=30), out, seen
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()


def test_solve_in_a_terminal_shows_one_live_line(tmp_path):
    code, stdout, seen = _in_a_terminal(["solve", str(HUB), "--out", str(tmp_path / "out")])
    assert code == 0, seen
    assert stdout.startswith("feasible:") or stdout.startswith("optimal:")
    assert "of the best possible" in stdout.splitlines()[0]
    text = seen.decode()
    frames = text.split("\r\x1b[K")[1:]  # each redraw returns to the start and clears the line
    counts = [tuple(map(int, m.groups())) for f in frames if (m := LINE.search(f))]
    assert len({done for done, _ in counts}) >= 2, text  # the line was redrawn as pieces ended
    assert frames[-1].startswith("planned ") and frames[-1].endswith("\r\n")  # ends on its own line
    assert text.count("\n") == 1  # one line on the terminal, not one per event


def test_quiet_draws_nothing(tmp_path):
    code, _, seen = _in_a_terminal(["solve", str(HUB), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0 and seen == b""


def test_no_progress_when_the_output_is_a_file(tmp_path):
    """Not a terminal (a file, a pipe, a CI log): the files hold the summary and no progress."""
    log = tmp_path / "log.txt"
    with open(log, "w") as f:
        proc = subprocess.run(
            [sys.executable, CLI, "solve", str(HUB), "--out", str(tmp_path / "out")],
            stdout=f,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert proc.returncode == 0 and proc.stderr == ""
    text = log.read_text()
    assert "\r" not in text and "pieces" not in text and text.splitlines()[-1].startswith("wrote ")


def test_explain_in_a_terminal_shows_its_steps():
    code, stdout, seen = _in_a_terminal(["explain", str(PARKSIDE)])
    assert code == 1 and stdout.startswith("No plan satisfies every rule")
    assert b"explaining" in seen and b"explained in" in seen


def test_ctrl_c_stops_at_once_and_writes_nothing(tmp_path):
    out = tmp_path / "out"

    def interrupt(proc, master):
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole run's group

    code, stdout, seen = _in_a_terminal(
        ["solve", str(HUB), "--out", str(out), "--optimal"], until=rb"planning [1-9]", then=interrupt
    )
    assert code == 128 + signal.SIGINT, seen
    assert seen.decode().endswith("\r\nhubplan: interrupted; earlier outputs are untouched\r\n")
    assert stdout == "" and not Path(out).exists()
