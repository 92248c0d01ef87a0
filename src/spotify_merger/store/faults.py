"""Which low-level failures are storage faults, and how to tell the user about them (exit 9).

A full disk, a read-only or unwritable directory, a data dir that is a file, and a DuckDB file
with a bad checksum all surface as an OSError or a DuckDB exception from deep inside a command.
None of them is a bug: each becomes one `StorageError` naming the path and what to do.
"""

from __future__ import annotations

import errno
import re
import sys
from pathlib import Path

from spotify_merger.display import quote
from spotify_merger.errors import StorageError

_SPACE = "free some space (or use another --data-dir), then re-run: progress is kept"
_PERMISSIONS = "check the permissions of the data dir, or use another --data-dir"
_DIRECTORY = "point --data-dir at a directory (or a path that does not exist yet)"
# errno -> (what happened, what to do)
_OS_FAULTS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("the disk is full", _SPACE),
    errno.EDQUOT: ("the disk quota is used up", _SPACE),
    errno.EROFS: ("the file system is read-only", "use a writable --data-dir"),
    errno.EACCES: ("permission denied", _PERMISSIONS),
    errno.EPERM: ("operation not permitted", _PERMISSIONS),
    errno.ENOTDIR: ("a part of the path is a file, not a directory", _DIRECTORY),
    errno.EEXIST: ("a file is in the way where a directory is needed", _DIRECTORY),
    errno.EISDIR: ("a directory is in the way where a file is needed", "move that directory aside"),
    errno.EIO: ("an input/output error (a failing disk?)", "check the disk, then re-run"),
    errno.ENAMETOOLONG: ("the path is too long", "use a shorter --data-dir"),
}

# DuckDB reports its faults as text; these words mark a damaged or unwritable file, not a bug.
_DUCKDB_CORRUPT = re.compile(r"corrupt|checksum|not a valid duckdb|invalidated|serializ", re.I)
_DUCKDB_OS = {
    "no space left": errno.ENOSPC,
    "disk quota": errno.EDQUOT,
    "read-only file system": errno.EROFS,
    "permission denied": errno.EACCES,
    "not a directory": errno.ENOTDIR,
    "input/output error": errno.EIO,
}
_MOVE_ASIDE = (
    "move {path} aside (keep it: it also records which master playlists were written) and re-run; "
    "the fetched playlists will be read again"
)


def check_data_dir(data_dir: Path) -> None:
    """StorageError when the data dir (or the database in it) exists but is the wrong kind of thing,
    or when DuckDB could not use its path."""
    if "\\" in str(data_dir) and not sys.platform.startswith("win"):
        raise StorageError(
            f"the data dir {quote(data_dir, 120)} contains a backslash, which DuckDB reads as a directory "
            "separator",
            "use a --data-dir without backslashes",
        )
    if data_dir.exists() and not data_dir.is_dir():
        raise StorageError(
            f"the data dir {quote(data_dir, 120)} is a file, not a directory",
            _DIRECTORY,
        )
    database = data_dir / "spotify.duckdb"
    if database.exists() and not database.is_file():
        raise StorageError(
            f"the database {quote(database, 120)} is not a file",
            f"move {quote(database, 120)} aside, or use another --data-dir",
        )


def storage_error(exc: BaseException, db_path: Path | None = None) -> StorageError | None:
    """The StorageError `exc` stands for, or None when it is not a storage fault."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError) and exc.errno in _OS_FAULTS and not _is_network(exc):
        what, hint = _OS_FAULTS[exc.errno]
        where = exc.filename if exc.filename is not None else db_path
        return StorageError(f"cannot use {quote(where, 120)}: {what}" if where else what, hint)
    duckdb = sys.modules.get("duckdb")
    if duckdb is None or not isinstance(exc, duckdb.Error):
        return None
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    path = quote(db_path, 120) if db_path is not None else "the database"
    lowered = text.lower()
    for words, code in _DUCKDB_OS.items():
        if words in lowered:
            what, hint = _OS_FAULTS[code]
            return StorageError(f"cannot use the database {path}: {what}", hint)
    if _DUCKDB_CORRUPT.search(text):
        return StorageError(
            f"the database {path} is damaged ({quote(first, 160)})", _MOVE_ASIDE.format(path=path)
        )
    if isinstance(exc, duckdb.IOException | duckdb.FatalException):
        return StorageError(
            f"the database {path} cannot be read or written ({quote(first, 160)})",
            "check the disk and the file's permissions; " + _MOVE_ASIDE.format(path=path),
        )
    return None


def _is_network(exc: OSError) -> bool:
    """requests' errors are OSErrors too; they are the call policy's business, not storage."""
    requests = sys.modules.get("requests")
    return requests is not None and isinstance(exc, requests.exceptions.RequestException)
