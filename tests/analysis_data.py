"""A test-data builder for the analysis: writes playlists, entries and tracks straight into the DB.

It fills the same tables the fetcher fills, with the same meaning, so analysis tests can state
exactly the library they need (a remaster, a clean edit, an undated entry) in a few lines.
Fixtures (registered in `conftest.py`): `db`, an empty database under tmp_path; `data`, a builder on it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import duckdb
import pytest

from spotify_merger.store.database import Database

_ids = itertools.count(1)
BASE_TIME = dt.datetime(2020, 1, 1, 12, 0, 0)


def new_id(prefix: str = "t") -> str:
    """A 22-character Spotify-looking id, unique within the test process."""
    return f"{prefix}{next(_ids):021d}"[-22:].rjust(22, "0")


@dataclass
class Local:
    name: str = "Home Demo"
    artist: str = "Me"
    added_at: dt.datetime | None = None


@dataclass
class Unavailable:
    added_at: dt.datetime | None = None


class TrackFields(TypedDict, total=False):
    """The keyword arguments of `AnalysisData.track`, for functions that pass them on."""

    name: str
    artist: str
    id: str | None
    duration_ms: int | None
    isrc: str | None
    explicit: bool | None
    release_date: str | None
    linked_from_id: str | None
    type: str
    album: str
    album_type: str
    artists: list[str] | None


@dataclass
class At:
    """A track entry with an explicit added_at (None = undated)."""

    track_id: str
    added_at: dt.datetime | None


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "a.duckdb") as database:
        yield database


@pytest.fixture
def data(db: Database) -> AnalysisData:
    return AnalysisData(db)


class AnalysisData:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.tracks: dict[str, dict[str, Any]] = {}
        self._pending: list[dict[str, Any]] = []
        self._credits: list[list[Any]] = []

    def flush(self) -> None:
        """Write the tracks defined so far in one statement (row-by-row inserts are slow in DuckDB)."""
        if self._credits:
            from spotify_merger.store.database import insert_rows

            with self.db.lock:
                insert_rows(
                    self.db.conn,
                    "INSERT OR REPLACE INTO track_artists",
                    self._credits,
                    ["VARCHAR", "INTEGER", "VARCHAR", "VARCHAR"],
                )
            self._credits = []
        if not self._pending:
            return
        import pandas as pd

        frame = pd.DataFrame(self._pending, columns=list(self._pending[0]))
        frame["explicit"] = frame["explicit"].astype("boolean")
        frame["duration_ms"] = frame["duration_ms"].astype("Int64")
        frame["release_year"] = frame["release_year"].astype("Int64")
        for col in ("popularity",):
            frame[col] = frame[col].astype("Int64")
        cols = ", ".join(frame.columns)
        with self.db.lock:
            self.db.conn.register("_pending_tracks", frame)
            try:
                self.db.conn.execute(
                    f"INSERT OR REPLACE INTO tracks ({cols}) SELECT {cols} FROM _pending_tracks"
                )
            finally:
                self.db.conn.unregister("_pending_tracks")
        self._pending = []

    def track(
        self,
        name: str = "Song",
        artist: str = "Artist",
        *,
        id: str | None = None,
        duration_ms: int | None = 200_000,
        isrc: str | None = None,
        explicit: bool | None = False,
        release_date: str | None = "2020-01-01",
        linked_from_id: str | None = None,
        type: str = "track",
        album: str = "Album",
        album_type: str = "album",
        artists: list[str] | None = None,
    ) -> str:
        """A track; `artists` (the full credit list, in order) is stored like the fetcher stores it."""
        tid = id or new_id()
        if artists:
            artist = artists[0]
            self._credits.extend([tid, i, "a_" + name, name] for i, name in enumerate(artists))
        year = int(release_date[:4]) if release_date else None
        row = {
            "id": tid,
            "uri": f"spotify:{type}:{tid}",
            "type": type,
            "name": name,
            "primary_artist_id": "a_" + artist,
            "primary_artist_name": artist,
            "artist_names": ", ".join(artists) if artists else artist,
            "album_id": "al_" + album,
            "album_name": album,
            "album_type": album_type,
            "release_date": release_date,
            "release_year": year,
            "duration_ms": duration_ms,
            "explicit": explicit,
            "isrc": isrc,
            "popularity": None,
            "linked_from_id": linked_from_id,
            "is_playable": True,
            "fetched_at": BASE_TIME,
        }
        self._pending.append(row)
        self.tracks[tid] = row
        return tid

    def playlist(
        self,
        pid: str,
        entries: Sequence[str | Local | Unavailable | At],
        *,
        name: str | None = None,
        complete: bool = True,
        snapshot_id: str | None = "snap1",
        start: dt.datetime = BASE_TIME,
    ) -> str:
        """Store a playlist; plain track ids get added_at = start + position minutes."""
        self.flush()
        rows = []
        for pos, e in enumerate(entries):
            default_time = start + dt.timedelta(minutes=pos)
            if isinstance(e, Local):
                uri = f"spotify:local:{e.artist}:album:{e.name}:200"
                rows.append(
                    [
                        pid,
                        pos,
                        None,
                        None,
                        uri,
                        e.added_at or default_time,
                        "me",
                        True,
                        False,
                        e.name,
                        e.artist,
                    ]
                )
                continue
            if isinstance(e, Unavailable):
                rows.append(
                    [pid, pos, None, None, None, e.added_at or default_time, "me", False, True, None, None]
                )
                continue
            tid, added = (e.track_id, e.added_at) if isinstance(e, At) else (e, default_time)
            kind = self.tracks[tid]["type"] if tid in self.tracks else "track"
            rows.append([pid, pos, kind, tid, f"spotify:{kind}:{tid}", added, "me", False, False, None, None])
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM entries WHERE playlist_id = ?", [pid])
            conn.execute("DELETE FROM playlists WHERE id = ?", [pid])
            conn.execute(
                "INSERT INTO playlists VALUES (?, ?, 'me', 'Me', ?, ?, 50, ?, ?)",
                [pid, name or f"Playlist {pid}", snapshot_id, len(entries), BASE_TIME, complete],
            )
            if rows:
                _insert_entries(conn, rows)
        return pid

    def done(self) -> None:
        self.flush()

    def capability(self, name: str, available: bool, reason: str | None = None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO capabilities VALUES (?, ?, ?, ?)", [name, available, reason, BASE_TIME]
        )

    def audio_features(self, track_id: str, **values: float) -> None:
        defaults = {
            "danceability": 0.5,
            "energy": 0.5,
            "key": 0,
            "loudness": -8.0,
            "mode": 1,
            "speechiness": 0.05,
            "acousticness": 0.2,
            "instrumentalness": 0.0,
            "liveness": 0.1,
            "valence": 0.5,
            "tempo": 120.0,
            "duration_ms": 200_000,
            "time_signature": 4,
        }
        defaults.update(values)
        cols = ["track_id", *defaults, "fetched_at"]
        self.db.execute(
            f"INSERT OR REPLACE INTO audio_features ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})",
            [track_id, *defaults.values(), BASE_TIME],
        )


_ENTRY_COLS = [
    "playlist_id",
    "position",
    "item_type",
    "item_id",
    "uri",
    "added_at",
    "added_by",
    "is_local",
    "is_unavailable",
    "local_name",
    "local_artist",
]


def _insert_entries(conn: duckdb.DuckDBPyConnection, rows: list[list[Any]]) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=_ENTRY_COLS)
    frame["added_at"] = pd.to_datetime(frame["added_at"])
    for col in ("item_type", "item_id", "uri", "added_by", "local_name", "local_artist"):
        frame[col] = frame[col].astype("string")
    conn.register("_pending_entries", frame)
    try:
        conn.execute(f"INSERT INTO entries ({', '.join(_ENTRY_COLS)}) SELECT * FROM _pending_entries")
    finally:
        conn.unregister("_pending_entries")
