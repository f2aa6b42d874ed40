"""Process pools for planning in parallel: fresh interpreters, stopped at once."""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
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
        workers, mp_context=ctx, initializer=_start, initargs=(os.getpid(), initializer, initargs)
    )
    try:
        yield pool
    except BaseException:
        stop(pool)
        raise
    pool.shutdown()


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _start(parent: int, initializer: Callable | None, initargs: tuple) -> None:
    """A pool process's first act: end when hubplan ends, however it ends.

    A SIGKILL cannot be caught, so hubplan cannot stop its workers then; an orphaned worker
    would solve on, and then wait forever to hand its plan to no one. On Linux the kernel
    kills it when its parent dies (the pool lives no longer than the thread that made it)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before that took hold
        os._exit(1)
    if initializer is not None:
        initializer(*initargs)


def stop(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """End the processes: the jobs not yet done then fail as the pool breaks (BrokenProcessPool).

    Jobs are not cancelled first: should the pool see a process end before it has dropped
    cancelled jobs, Python 3.11 fails on them in its manager thread (a traceback, and an
    exit that waits forever on a pipe no one reads); failing jobs that are not cancelled is
    what it does when a process dies anyway."""
    running = list((pool._processes or {}).values())  # no public way before Python 3.14
    pool.shutdown(wait=False)
    for proc in running:
        proc.terminate()
