"""A run's progress on a terminal: one line on stderr, redrawn in place.

`live_line(stream)` gives the `on_progress` callback of `scheduler.core.progress` that draws
each event as one line over the last one (carriage return, erase to the end of the line),
at most `EVERY` seconds apart and cut to the terminal's width, and ends the line when the
run ends, so that what is printed next starts on a line of its own. It draws only where
`stream` is a terminal: a file, a pipe or a CI log gets nothing (`hubplan … --quiet` too).

`run_command(main)` runs the command line as the console script: what stops it (Ctrl-C,
SIGTERM, a file it cannot read, a bug) is one line on stderr and an exit code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

import click

from scheduler.core.progress import OnProgress, Progress, percent_up
from scheduler.operations.pipeline import EXIT_INVALID

EVERY = 0.1  # seconds between redraws
STAGES = {  # what a stage is doing, and has done
    "solve": ("planning", "planned"),
    "replan": ("re-planning", "re-planned"),
    "explain": ("explaining", "explained"),
    "write": ("writing files", "wrote files"),
}


def describe(event: Progress, before: Progress | None = None, last: bool = False) -> str:
    """One line: 'planning 17/24 pieces · best 283,067 · bound 282,849 (gap 0.08%) · 5.2 s',
    then what is being done, if said; while the files are written, where the run stood
    `before`, and that. The `last` line says what was done."""
    if event.stage == "write" and before is not None:
        event = dataclasses.replace(before, elapsed=event.elapsed, message="" if last else "writing files")
        last = True
    doing, done = STAGES.get(event.stage, (event.stage, event.stage))
    words = [done if last else doing]
    if event.total:
        words[0] += f" {event.done}/{event.total} pieces"
    elif event.done:
        words[0] += f" in {event.done + 1} steps" if last else f", step {event.done + 1}"
    if event.objective is not None:
        words.append(f"best {event.objective:,.0f}")
    if event.bound is not None:
        words.append(
            f"bound {event.bound:,.0f}" + (f" (gap {percent_up(event.gap)})" if event.gap is not None else "")
        )
    words.append(f"{event.elapsed:.1f} s")
    if event.message and not (last and event.stage == "explain"):
        words.append(event.message)  # last, where the terminal's width may cut it
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
        self.before: Progress | None = None  # the last event before the outputs were written
        self.drawn = 0.0

    def __call__(self, event: Progress) -> None:
        with self.lock:
            if self.last is not None and self.last.stage != "write":
                self.before = self.last
            self.last = event
            now = time.monotonic()
            if now - self.drawn >= EVERY or (event.total and event.done == event.total):
                self.drawn = now
                self._draw(event)

    def _draw(self, event: Progress, last: bool = False) -> None:
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self.stream.write("\r\x1b[K" + describe(event, self.before, last)[:width])
        self.stream.flush()

    def end(self, finished: bool) -> None:
        """End the line: with what was done (even if told too soon to be drawn), or, if the
        run was stopped, where it stood."""
        with self.lock:
            if self.last is not None:
                self._draw(self.last, last=finished)
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
    except BaseException:  # stopped (Ctrl-C, SIGTERM) or failed: what follows needs its own line
        line.end(finished=False)
        raise
    line.end(finished=True)


# -- the entry point -------------------------------------------------------------------


class Stopped(BaseException):
    """Ctrl-C or SIGTERM. Not a KeyboardInterrupt, which click would turn into Abort with a
    blank line first; a BaseException, so that no `except Exception` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def run_command(main: click.Group) -> None:
    """Run the command line `main` as the console entry point: every failure is one line
    on stderr, never a traceback.

    Ctrl-C exits 130 and SIGTERM 143 (128 + the signal), with one line: outputs are written
    atomically, so earlier ones stay whole. A file that cannot be read or written exits 2;
    anything else is a bug in hubplan, reported in one line (set HUBPLAN_DEBUG=1 for the
    traceback) with exit 70.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    try:
        code = main.main(standalone_mode=False)
    except (Stopped, KeyboardInterrupt, click.exceptions.Abort) as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        what = "terminated" if signum == signal.SIGTERM else "interrupted"
        click.echo(f"hubplan: {what}; earlier outputs are untouched", err=True)
        sys.exit(128 + signum)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"hubplan: {where}{exc.strerror or exc}", err=True)
        sys.exit(EXIT_INVALID)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("HUBPLAN_DEBUG"):
            raise
        click.echo(f"hubplan: internal error ({type(exc).__name__}: {exc}); please report it", err=True)
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)
