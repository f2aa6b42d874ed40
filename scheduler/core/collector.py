"""Sparing the cycle collector what stays alive.

Everything alive when the block starts (an instance, a problem, a checked plan) outlives what
it makes: frozen out of the cycle collector's sight, it is not walked again at each of the
many collections that building models, calendars or checks sets off (a typical hub's solve:
1 s of collection down to 0.25 s; a session's panel of dates in the workspace: half its
time). Back in sight afterwards, so a long-running process still frees what it let go.
"""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def collector_spared():
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
