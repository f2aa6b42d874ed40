"""`hubplan serve` with a pause planted where a plan is made current, so that a fault test can
kill the real server there with SIGKILL.

HUBPLAN_TEST_PAUSE names the moment: `inside` the transaction (every row of the new plan
written and flushed, nothing committed) or just `after` its commit. There the server writes
its pid to the file HUBPLAN_TEST_PAUSE_FILE and waits for its end. Run as `python
fault_serve.py serve …`, with the arguments of `hubplan`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import web.jobs  # noqa: E402

WHEN = os.environ.get("HUBPLAN_TEST_PAUSE", "")


def _pause() -> None:
    Path(os.environ["HUBPLAN_TEST_PAUSE_FILE"]).write_text(str(os.getpid()))
    while True:
        time.sleep(60)


_store_result = web.jobs.store_result
_runner_store = web.jobs.Runner._store


def store_result(db, job, result, today=None):
    message = _store_result(db, job, result, today)
    if WHEN == "inside":
        db.flush()
        _pause()
    return message


def runner_store(self, job_id, result):
    _runner_store(self, job_id, result)
    if WHEN == "after":
        _pause()


web.jobs.store_result = store_result
web.jobs.Runner._store = runner_store

if __name__ == "__main__":
    import cli

    sys.argv = ["hubplan", *sys.argv[1:]]
    cli.run()
