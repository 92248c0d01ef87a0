"""One writer per data dir: an exclusive, non-blocking lock held by every command that writes.

`run`, `sync`, `undo`, `fetch` and `verify` take it before opening the database, so two syncs
(or a sync and a run) never write to Spotify or the journal at the same time; the second one
stops at once with `BusyError` (exit 14) naming the holder. The lock is an OS file lock
(`flock`), so it dies with its process: a `kill -9` never leaves a stale lock behind. Within one
process the lock is re-entrant (a run that calls fetch holds it once).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spotify_merger.errors import BusyError, StorageError

LOCK_NAME = ".spotify-merger.lock"

_held: dict[Path, tuple[int, int]] = {}  # resolved lock path -> (fd, depth), this process only
_guard = threading.Lock()


def _holder(path: Path) -> str:
    """Who holds the lock, from what it wrote into the file (best effort: the file is advisory)."""
    try:
        info: dict[str, Any] = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "another spotify-merger command"
    command = str(info.get("command") or "command")
    pid = info.get("pid")
    since = info.get("started")
    text = f"another spotify-merger {command}"
    if pid:
        text += f" (pid {pid}"
        text += f", started {since})" if since else ")"
    return text


@contextlib.contextmanager
def data_dir_lock(data_dir: Path, command: str) -> Iterator[None]:
    """Hold the data dir's lock for the duration; BusyError if another process holds it."""
    try:
        import fcntl  # POSIX only, hence here: elsewhere DuckDB's own file lock still guards the database
    except ImportError:
        yield
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / LOCK_NAME).resolve()
    with _guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if not reentered:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(
                f"cannot create the lock file in {data_dir}: {exc.strerror}",
                "check that the data dir is writable (or pass another --data-dir)",
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise BusyError(
                f"{_holder(path)} is using the data dir {data_dir}; nothing was done",
                "wait for it to finish and run the command again (a scheduled sync can simply skip "
                "this turn), or use another --data-dir",
            ) from None
        stamp = {"command": command, "pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(stamp).encode(), 0)
        with _guard:
            _held[path] = (fd, 1)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[path]
            if depth > 1:
                _held[path] = (fd, depth - 1)
            else:
                del _held[path]
                os.close(fd)  # closing the descriptor releases the flock
