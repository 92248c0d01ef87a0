"""The API call log: every request the tool made, with its phase, status, time and size.

Calls are buffered by the call policy's recorder and written in the same transaction as the page
(or journal step) they belong to, so the log and the data never disagree after a crash.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb

from spotify_merger.store.database import Database, insert_rows, utc_now

_CALL_TYPES = ("TIMESTAMP", "VARCHAR", "VARCHAR", "VARCHAR", "INTEGER", "DOUBLE", "INTEGER")


class CallLog:
    """Buffers API calls (the policy's recorder) until the next page transaction writes them."""

    def __init__(self, phase: str) -> None:
        self.phase = phase
        self._rows: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()

    def record(self, method: str, endpoint: str, status: int | None, ms: float, nbytes: int) -> None:
        with self._lock:
            self._rows.append((utc_now(), self.phase, method, endpoint, status, round(ms, 2), nbytes))

    def flush_into(self, conn: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
        insert_rows(
            conn, "INSERT INTO api_calls (ts, phase, method, endpoint, status, ms, bytes)", rows, _CALL_TYPES
        )

    def flush(self, db: Database) -> None:
        with db.transaction() as conn:
            self.flush_into(conn)


def average_call_seconds(db: Database) -> float | None:
    """What a timed call has cost on average in this data dir; None before any was logged."""
    row = db.fetchone("SELECT avg(ms), count(*) FROM api_calls WHERE ms IS NOT NULL")
    if row is None or not row[1] or row[0] is None:
        return None
    return float(row[0]) / 1000.0


# -- pages -------------------------------------------------------------------------------------------
