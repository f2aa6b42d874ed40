"""Writing files whole or not at all: one file (`write_file`), or a solve's whole output
folder (`write_outputs`). A reader never sees half a file, an interrupted write leaves the
old one, and files get the permissions the umask gives, like any other program's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_file(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and os.replace.

    The temporary file is made private (mode 600) by `mkstemp`; it gets the mode a plain
    `open()` would give before it takes the file's place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# Everything hubplan writes at the top of --out; other files there are never touched.
MANAGED = (
    "plan.json",
    "plan.csv",
    "costs.csv",
    "costs.xlsx",
    "report.html",
    "calendars",
    "explanation.txt",
    "changes.csv",
    "manifest.json",
)


class OutputFolderError(Exception):
    """--out names something hubplan cannot write into."""


def writable_output(out_dir: str | Path) -> Path:
    """`out_dir` resolved, or OutputFolderError if it is a file."""
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out_dir}: is a file; name a folder")
    return out


@contextlib.contextmanager
def _signals_deferred():
    """Hold Ctrl-C and SIGTERM for the few renames that swap outputs in, so a run is
    either wholly old or wholly new: handlers that only take note, and the first signal
    noted is raised again once the old handlers are back.

    Not a signal mask: a mask holds a signal for one thread only, and the solver and the
    BLAS pool leave other threads about, which take the signal for the whole process; its
    Python handler then runs in the main thread all the same. Handlers can be changed only
    from the main thread; elsewhere (a Dask worker thread) the swap goes unguarded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, lambda signum, _: noted.append(signum)) for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if noted:
            signal.raise_signal(noted[0])


STAGING_PREFIX = ".hubplan-"
# When this process started, near enough: a staging folder last changed before it was left
# by an earlier run, killed (SIGKILL, a power cut) before it could remove it.
PROCESS_STARTED = time.time()


def remove_stale_staging(out: Path, before: float = PROCESS_STARTED) -> None:
    """Remove the staging folders in `out` last changed before `before`."""
    for entry in out.glob(f"{STAGING_PREFIX}*"):
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink() and entry.stat().st_mtime < before:
                shutil.rmtree(entry)


def write_outputs(out_dir: str | Path, files: dict[str, bytes]) -> None:
    """Write every file to a staging folder inside `out_dir`, then swap hubplan's own
    entries (MANAGED) into place; stale ones (an old explanation.txt) go, and anything
    else in the folder is left alone. Signals are held during the swap; only SIGKILL can
    leave a `.hubplan-*` staging folder behind, and the next run into `out_dir` removes it."""
    out = writable_output(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        for rel, data in sorted(files.items()):
            target = (stage / rel).resolve()
            if stage not in target.parents or Path(rel).parts[0] not in MANAGED:
                raise ValueError(f"refusing to write outside hubplan's outputs: {rel}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        old = stage / ".previous"
        old.mkdir()
        with _signals_deferred():
            for name in MANAGED:
                if (out / name).exists():
                    os.replace(out / name, old / name)
                if (stage / name).exists():
                    os.replace(stage / name, out / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
