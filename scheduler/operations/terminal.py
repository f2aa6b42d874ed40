"""A run's progress on a terminal: one line on stderr, redrawn in place.

`live_line(stream)` gives the `on_progress` callback of `scheduler.core.progress` that draws
each event as one line over the last one (carriage return, erase to the end of the line),
at most `EVERY` seconds apart and cut to the terminal's width, and ends the line when the
run ends, so that what is printed next starts on a line of its own. It draws only where
`stream` is a terminal: a file, a pipe or a CI log gets nothing (`hubplan … --quiet` too).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from typing import TextIO

from scheduler.core.progress import OnProgress, Progress

EVERY = 0.1  # seconds between redraws
STAGES = {"solve": "planning", "replan": "re-planning", "explain": "explaining", "write": "writing"}


def describe(event: Progress) -> str:
    """One line: 'planning 17/24 pieces · best 283,067 · bound 282,849 · gap 0.08% · 5.2 s'."""
    words = [STAGES.get(event.stage, event.stage)]
    if event.stage == "write":
        words[0] = "writing the outputs"
    elif event.total:
        words[0] += f" {event.done}/{event.total} pieces"
    elif event.done:
        words[0] += f", step {event.done + 1}"
    if event.objective is not None:
        words.append(f"best {event.objective:,.0f}")
    if event.bound is not None:
        words.append(f"bound {event.bound:,.0f}")
    if event.gap is not None:
        words.append(f"gap {event.gap:.2%}")
    if event.message:
        words.append(event.message)
    words.append(f"{event.elapsed:.1f} s")
    return " · ".join(words)


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


class _Line:
    def __init__(self, stream: TextIO):
        self.stream, self.lock = stream, threading.Lock()
        self.last: Progress | None = None
        self.drawn = 0.0

    def __call__(self, event: Progress) -> None:
        with self.lock:
            self.last = event
            now = time.monotonic()
            if now - self.drawn >= EVERY or (event.total and event.done == event.total):
                self.drawn = now
                self._draw(event)

    def _draw(self, event: Progress) -> None:
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self.stream.write("\r\x1b[K" + describe(event)[:width])
        self.stream.flush()

    def end(self) -> None:
        with self.lock:
            if self.last is not None:
                self._draw(self.last)  # the last state, even if it came too soon to be drawn
                self.stream.write("\n")
                self.stream.flush()


@contextlib.contextmanager
def live_line(stream: TextIO, enabled: bool = True) -> Iterator[OnProgress | None]:
    """The callback that draws progress on `stream`, or None where nothing is drawn."""
    if not (enabled and is_terminal(stream)):
        yield None
        return
    line = _Line(stream)
    try:
        yield line
    finally:
        line.end()
