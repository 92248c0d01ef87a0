"""The embedded DuckDB database, what is written into it, and the export files beside it.

- `database`: the connection, schema migrations (`_migrations.py`), transactions and helpers.
- `pages`: fetched playlist pages, one transaction per page, and resume bookkeeping.
- `calllog`: the log of every API call, committed with the data it belongs to.
- `files`: exports written atomically (temp file, then one rename).
- `lock`: one writing command per data dir at a time (exit 14 for the second).
- `faults`: which OS and DuckDB failures are storage faults (exit 9), and how to say them.
"""

from spotify_merger.store.calllog import CallLog, average_call_seconds
from spotify_merger.store.database import Database, shield_ctrl_c, utc_now
from spotify_merger.store.faults import check_data_dir, storage_error
from spotify_merger.store.files import atomic_path, write_json, write_text_atomic
from spotify_merger.store.lock import data_dir_lock
from spotify_merger.store.pages import Page, PlaylistRow, begin_playlist, store_pages, stored_entries

__all__ = [
    "CallLog",
    "Database",
    "Page",
    "PlaylistRow",
    "atomic_path",
    "average_call_seconds",
    "begin_playlist",
    "check_data_dir",
    "data_dir_lock",
    "shield_ctrl_c",
    "storage_error",
    "store_pages",
    "stored_entries",
    "utc_now",
    "write_json",
    "write_text_atomic",
]
