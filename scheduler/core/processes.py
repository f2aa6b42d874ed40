"""Process pools for planning in parallel: fresh interpreters, stopped at once."""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
from collections.abc import Callable, Iterator

# Fresh interpreters: a forked child would inherit whatever threads the parent runs
# (CP-SAT's, BLAS's), which fork does not copy.
START_METHOD = "spawn"


@contextlib.contextmanager
def process_pool(
    workers: int, initializer: Callable | None = None, initargs: tuple = ()
) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """A pool of `workers` spawned processes (each first runs `initializer(*initargs)`),
    stopped at once if the caller is interrupted.

    On Ctrl-C the workers stop by themselves (they share the terminal's process group), but
    a SIGTERM sent to hubplan alone never reaches them, and a pool's usual shutdown, here or
    at exit, waits for every running solve to end: minutes, where the CLI promises to stop.
    """
    ctx = multiprocessing.get_context(START_METHOD)
    pool = concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=initializer, initargs=initargs
    )
    try:
        yield pool
    except BaseException:
        stop(pool)
        raise
    pool.shutdown()


def stop(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Drop the jobs not started and end the processes running one."""
    running = list((pool._processes or {}).values())  # no public way before Python 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in running:
        proc.terminate()
