"""The embedded DuckDB database: connection, versioned schema migrations, small helpers.

One file (`data/spotify.duckdb`) holds everything the tool knows: the fetched playlists page by
page, the tracks and artists they reference, audio features, the API call log, and the write
journal. Each migration runs in its own transaction and bumps `schema_version`, so an older
database is upgraded in place and a newer one is refused rather than misread.

Modules that need more tables append a migration to `MIGRATIONS`; never edit a released one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from spotify_merger.errors import StorageError

# Each entry: (version, statements). Versions are unique; a database records each one it applied.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """
            CREATE TABLE playlists (
                id VARCHAR PRIMARY KEY,          -- Spotify playlist id, or 'liked' for Liked Songs
                name VARCHAR,
                owner_id VARCHAR,
                owner_name VARCHAR,
                snapshot_id VARCHAR,             -- NULL for Liked Songs (it has none)
                total INTEGER,                   -- entries the server reported
                page_size INTEGER,               -- limit used for the pages below (50 dev-2026, 100 extended)
                fetched_at TIMESTAMP,            -- when the last page was stored
                complete BOOLEAN NOT NULL DEFAULT FALSE
            )
            """,
            """
            CREATE TABLE fetched_pages (
                playlist_id VARCHAR NOT NULL,
                page_offset INTEGER NOT NULL,
                item_count INTEGER NOT NULL,
                snapshot_id VARCHAR,
                fetched_at TIMESTAMP NOT NULL,
                PRIMARY KEY (playlist_id, page_offset)
            )
            """,
            """
            CREATE TABLE entries (
                playlist_id VARCHAR NOT NULL,
                position INTEGER NOT NULL,       -- 0-based position in the playlist
                item_type VARCHAR,               -- 'track' | 'episode' | NULL (unavailable)
                item_id VARCHAR,                 -- track or episode id; NULL for local files and unavailable entries
                uri VARCHAR,                     -- spotify:track:..., spotify:episode:..., spotify:local:...
                added_at TIMESTAMP,              -- may be NULL on very old playlists
                added_by VARCHAR,
                is_local BOOLEAN NOT NULL DEFAULT FALSE,
                is_unavailable BOOLEAN NOT NULL DEFAULT FALSE,
                local_name VARCHAR,              -- title of a local file (it has no track row)
                local_artist VARCHAR,
                PRIMARY KEY (playlist_id, position)
            )
            """,
            """
            CREATE TABLE tracks (
                id VARCHAR PRIMARY KEY,          -- track or episode id
                uri VARCHAR NOT NULL,
                type VARCHAR NOT NULL,           -- 'track' | 'episode'
                name VARCHAR,
                primary_artist_id VARCHAR,       -- episodes: the show's id
                primary_artist_name VARCHAR,     -- episodes: the show's name
                artist_names VARCHAR,            -- all artists, ', '-joined, in credit order
                album_id VARCHAR,
                album_name VARCHAR,
                album_type VARCHAR,              -- album | single | compilation
                release_date VARCHAR,            -- as given: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'
                release_year INTEGER,
                duration_ms INTEGER,
                explicit BOOLEAN,
                isrc VARCHAR,
                popularity INTEGER,              -- extended apps only
                linked_from_id VARCHAR,          -- extended apps only: the id this track was relinked from
                is_playable BOOLEAN,
                fetched_at TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE track_artists (
                track_id VARCHAR NOT NULL,
                position INTEGER NOT NULL,
                artist_id VARCHAR,
                artist_name VARCHAR,
                PRIMARY KEY (track_id, position)
            )
            """,
            """
            CREATE TABLE artists (
                id VARCHAR PRIMARY KEY,
                name VARCHAR,
                genres VARCHAR[],                -- extended apps only
                popularity INTEGER,              -- extended apps only
                followers INTEGER,               -- extended apps only
                fetched_at TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE audio_features (
                track_id VARCHAR PRIMARY KEY,
                danceability DOUBLE,
                energy DOUBLE,
                key INTEGER,
                loudness DOUBLE,
                mode INTEGER,
                speechiness DOUBLE,
                acousticness DOUBLE,
                instrumentalness DOUBLE,
                liveness DOUBLE,
                valence DOUBLE,
                tempo DOUBLE,
                duration_ms INTEGER,
                time_signature INTEGER,
                fetched_at TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE capabilities (
                name VARCHAR PRIMARY KEY,        -- e.g. 'audio_features', 'batch_artists'
                available BOOLEAN NOT NULL,
                reason VARCHAR,                  -- why not, in words the report can show
                recorded_at TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE api_calls (
                ts TIMESTAMP NOT NULL,
                phase VARCHAR,                   -- fetch | features | write | verify | undo | auth
                method VARCHAR NOT NULL,
                endpoint VARCHAR NOT NULL,       -- route template, e.g. /playlists/{id}/items
                status INTEGER,                  -- NULL when no response arrived
                ms DOUBLE,
                bytes INTEGER
            )
            """,
            """
            CREATE TABLE meta (
                key VARCHAR PRIMARY KEY,
                value VARCHAR
            )
            """,
        ],
    ),
    # write journal (spotify_merger.write.journal): the frozen plan of each write run, the master
    # playlist(s) it creates, and every add batch as intended-then-done, so a crash never adds twice.
    (
        3,
        [
            """
            CREATE TABLE write_runs (
                run_id VARCHAR PRIMARY KEY,
                created_at TIMESTAMP NOT NULL,
                master_name VARCHAR NOT NULL,
                marker VARCHAR NOT NULL,         -- unique token written into each part's description
                sources VARCHAR NOT NULL,        -- JSON list of source playlist ids, in order
                source_snapshots VARCHAR NOT NULL,  -- JSON {source: snapshot_id} the plan was built from
                options VARCHAR NOT NULL,        -- JSON of the merge options
                plan_hash VARCHAR NOT NULL,      -- sha256 of sources, options and the ordered URIs of each part
                song_count INTEGER NOT NULL,
                status VARCHAR NOT NULL,         -- planned | writing | written | verified | abandoned | undone
                updated_at TIMESTAMP NOT NULL,
                verified_at TIMESTAMP,
                undone_at TIMESTAMP
            )
            """,
            """
            CREATE TABLE write_parts (
                run_id VARCHAR NOT NULL,
                part_index INTEGER NOT NULL,     -- 1-based, as in "NAME (1/2)"
                name VARCHAR NOT NULL,
                planned_count INTEGER NOT NULL,
                state VARCHAR NOT NULL,          -- planned | intended (create sent) | created
                playlist_id VARCHAR,             -- NULL until the create is recorded
                url VARCHAR,
                created_snapshot VARCHAR,
                intended_at TIMESTAMP,
                created_at TIMESTAMP,
                PRIMARY KEY (run_id, part_index)
            )
            """,
            """
            CREATE TABLE write_plan (
                run_id VARCHAR NOT NULL,
                part_index INTEGER NOT NULL,
                position INTEGER NOT NULL,       -- 0-based position inside the part
                uri VARCHAR NOT NULL,
                PRIMARY KEY (run_id, part_index, position)
            )
            """,
            """
            CREATE TABLE write_batches (
                run_id VARCHAR NOT NULL,
                part_index INTEGER NOT NULL,
                batch_index INTEGER NOT NULL,
                start_position INTEGER NOT NULL,
                count INTEGER NOT NULL,          -- at most 100
                state VARCHAR NOT NULL,          -- intended (about to be sent) | done (applied, confirmed)
                snapshot_id VARCHAR,
                intended_at TIMESTAMP NOT NULL,
                done_at TIMESTAMP,
                PRIMARY KEY (run_id, part_index, batch_index)
            )
            """,
        ],
    ),
]

# Versions are unique but need not be consecutive (areas reserve their own numbers).
SCHEMA_VERSION = max(version for version, _ in MIGRATIONS)


class Database:
    """A DuckDB connection with the schema migrated, safe to share between threads.

    DuckDB allows one writer process per file, and a connection object must not be used by two
    threads at once; `lock` serialises our own threads, and `transaction()` wraps a unit of work
    so a crash leaves either all of it or none.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.lock = threading.RLock()
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" in text.lower():
                raise StorageError(
                    f"the database {self.path} is in use by another process",
                    "close the other spotify-merger run or notebook using it, then try again",
                ) from exc
            raise StorageError(
                f"cannot open the database {self.path}: {text.splitlines()[0]}",
                "check the file's permissions, or move it aside to start afresh (fetched data will be re-read)",
            ) from exc
        except duckdb.Error as exc:
            raise StorageError(
                f"the database {self.path} is not a readable DuckDB file ({type(exc).__name__})",
                "move the file aside (or delete it) and re-run: everything in it can be fetched again",
            ) from exc
        if not read_only:
            self.migrate()

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
                raise StorageError(
                    f"the database {self.path} is damaged ({type(exc).__name__})",
                    "move the file aside (or delete it) and re-run: everything in it can be fetched again",
                ) from exc
            if current > SCHEMA_VERSION:
                raise StorageError(
                    f"the database {self.path} was written by a newer spotify-merger (schema {current})",
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
        with self.lock:
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
        with self.lock:
            return self.conn.execute(sql, params or [])

    def fetchall(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.conn.execute(sql, params or []).fetchall()

    def fetchone(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None) -> tuple[Any, ...] | None:
        with self.lock:
            return self.conn.execute(sql, params or []).fetchone()

    def get_meta(self, key: str) -> str | None:
        row = self.fetchone("SELECT value FROM meta WHERE key = ?", [key])
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_database(path: Path | str, *, read_only: bool = False) -> Database:
    return Database(path, read_only=read_only)
