"""The embedded DuckDB database: connection, versioned schema migrations, small helpers.

One file (`spotify.duckdb` in the data dir) holds everything the tool knows: the fetched playlists page by
page, the tracks and artists they reference, audio features, the API call log, and the write
journal. Each migration runs in its own transaction and bumps `schema_version`, so an older
database is upgraded in place and a newer one is refused rather than misread.

The schema itself lives in `_migrations.py`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from spotify_merger.display import quote
from spotify_merger.errors import StorageError
from spotify_merger.store._migrations import MIGRATIONS, SCHEMA_VERSION
from spotify_merger.store.faults import storage_error


def utc_now() -> datetime:
    """Timestamps are stored as naive UTC (DuckDB's TIMESTAMP has no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def insert_rows(
    conn: duckdb.DuckDBPyConnection, sql_head: str, rows: Sequence[Sequence[Any]], types: Sequence[str]
) -> None:
    """Insert many rows with one statement binding one list per column.

    DuckDB binds a VALUES list of hundreds of scalar parameters slowly (tens of ms for one page);
    `unnest` over typed column lists costs about the same for 50 rows or 5,000.
    """
    if not rows:
        return
    columns = [list(column) for column in zip(*rows, strict=True)]
    select = ", ".join(f"unnest(?::{t}[])" for t in types)
    conn.execute(f"{sql_head} SELECT {select}", columns)


class Database:
    """A DuckDB connection with the schema migrated, safe to share between threads.

    DuckDB allows one writer process per file, and a connection object must not be used by two
    threads at once; `lock` serialises our own threads, and `transaction()` wraps a unit of work
    so a crash leaves either all of it or none.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.lock = threading.RLock()
        # A file this process creates holds nothing it could have damaged (see `check_readable`).
        self.created = not read_only and not self.path.exists()
        try:
            if not read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = duckdb.connect(str(self.path), read_only=read_only)
        except (OSError, duckdb.Error) as exc:
            raise _open_error(self.path, exc) from exc
        if not read_only:
            try:
                self.migrate()
            except BaseException:
                self.conn.close()
                raise

    # -- schema ---------------------------------------------------------------------------------

    def schema_version(self) -> int:
        exists = self.conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = self.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def migrate(self) -> None:
        with self.lock:
            try:
                self.conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"
                )
                current = self.schema_version()
            except duckdb.Error as exc:
                raise storage_error(exc, self.path) or StorageError(
                    f"the database {quote(self.path, 120)} is damaged ({type(exc).__name__})",
                    "move the file aside (keep it: it also records which master playlists were written) "
                    "and re-run; the fetched playlists will be read again",
                ) from exc
            if current > SCHEMA_VERSION:
                raise StorageError(
                    f"the database {quote(self.path, 120)} was written by a newer spotify-merger (schema {current})",
                    "upgrade spotify-merger, or use another --data-dir",
                )
            applied = {
                int(row[0]) for row in self.conn.execute("SELECT version FROM schema_version").fetchall()
            }
            for version, statements in sorted(MIGRATIONS, key=lambda m: m[0]):
                if version in applied:
                    continue
                with self.transaction():
                    for sql in statements:
                        self.conn.execute(sql)
                    self.conn.execute("INSERT INTO schema_version VALUES (?, current_timestamp)", [version])

    # -- helpers --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.lock, ctrl_c_stays_ctrl_c():
            self.conn.execute("BEGIN TRANSACTION")
            try:
                yield self.conn
            except BaseException:
                # A failed ROLLBACK (say, an interrupt that landed on BEGIN) must not hide the
                # original error; DuckDB discards an unfinished transaction on close anyway.
                with contextlib.suppress(duckdb.Error):
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def execute(
        self, sql: str, params: list[Any] | tuple[Any, ...] | None = None
    ) -> duckdb.DuckDBPyConnection:
        with self.lock, ctrl_c_stays_ctrl_c():
            return self.conn.execute(sql, params or [])

    def fetchall(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
        with self.lock, ctrl_c_stays_ctrl_c():
            return self.conn.execute(sql, params or []).fetchall()

    def fetchone(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None) -> tuple[Any, ...] | None:
        with self.lock, ctrl_c_stays_ctrl_c():
            return self.conn.execute(sql, params or []).fetchone()

    def get_meta(self, key: str) -> str | None:
        row = self.fetchone("SELECT value FROM meta WHERE key = ?", [key])
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def check_readable(self) -> None:
        """Read every stored value once: DuckDB checks a block's checksum only when it reads it.

        A damaged page would otherwise go unnoticed until a later command needs it (a `fetch` that
        finds the playlists unchanged reads none of them). Costs one scan of each table: a few ms
        for a typical library, well under a second for a million entries.
        """
        if self.created:
            return
        with self.lock:
            try:
                tables = [
                    row[0]
                    for row in self.conn.execute(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                    ).fetchall()
                ]
                for table in tables:
                    self.conn.execute(f'SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM "{table}"').fetchall()
            except duckdb.Error as exc:
                mapped = storage_error(exc, self.path)
                if mapped is None:
                    raise
                raise mapped from exc

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_error(path: Path, exc: BaseException) -> StorageError:
    text = str(exc)
    if "lock" in text.lower() and not isinstance(exc, OSError):
        return StorageError(
            f"the database {quote(path, 120)} is in use by another process",
            "close the other spotify-merger run or notebook using it, then try again",
        )
    mapped = storage_error(exc, path)
    if mapped is not None:
        return mapped
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return StorageError(
        f"cannot open the database {quote(path, 120)} ({quote(first, 160)})",
        "check the file's permissions; if it is damaged, move it aside (keep it: it also records which "
        "master playlists were written) and re-run",
    )


@contextlib.contextmanager
def ctrl_c_stays_ctrl_c() -> Iterator[None]:
    """A Ctrl-C that lands while DuckDB runs a statement comes out as KeyboardInterrupt.

    DuckDB stops the statement and raises a bare RuntimeError("Query interrupted"), which would
    otherwise reach the user as an internal error instead of "stopped by Ctrl-C" (exit 130).
    """
    try:
        yield
    except RuntimeError as exc:
        if is_interrupt(exc):
            raise KeyboardInterrupt from exc
        raise


def is_interrupt(exc: BaseException) -> bool:
    """DuckDB's way of saying a statement was stopped by Ctrl-C."""
    return type(exc) is RuntimeError and str(exc) == "Query interrupted"


@contextlib.contextmanager
def shield_ctrl_c() -> Iterator[None]:
    """Hold a Ctrl-C until the DuckDB write in progress has committed, then raise it.

    DuckDB turns a KeyboardInterrupt mid-statement into a RuntimeError ("Query interrupted"), and
    one landing between BEGIN and COMMIT would abandon a page half-way through our bookkeeping.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
