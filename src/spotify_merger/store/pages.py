"""Writing fetched pages into DuckDB: one transaction per page, and the bookkeeping around it.

A page's entries, the tracks, artists and credits they reference, its `fetched_pages` row and the
API calls logged since the previous page commit together, so after any crash (kill -9 included)
a page is either fully stored or absent; resuming fetches exactly the absent ones. Catalogue rows
(tracks, artists) are shared by playlists and written once (`INSERT OR IGNORE`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from spotify_merger.store.calllog import CallLog
from spotify_merger.store.database import Database, insert_rows, utc_now

_ENTRY_COLS = (
    "playlist_id, position, item_type, item_id, uri, added_at, added_by, is_local, is_unavailable, "
    "local_name, local_artist"
)
_ENTRY_TYPES: tuple[str, ...] = (
    "VARCHAR",
    "INTEGER",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "TIMESTAMP",
    "VARCHAR",
    "BOOLEAN",
    "BOOLEAN",
)
_ENTRY_TYPES += ("VARCHAR", "VARCHAR")
_TRACK_TYPES = (
    "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR",
    "VARCHAR", "VARCHAR", "INTEGER", "INTEGER", "BOOLEAN", "VARCHAR", "INTEGER", "VARCHAR", "BOOLEAN",
    "TIMESTAMP", "INTEGER", "INTEGER", "VARCHAR[]", "VARCHAR[]", "VARCHAR", "VARCHAR",
)  # fmt: skip
_TRACK_COLS = (
    "id, uri, type, name, primary_artist_id, primary_artist_name, artist_names, album_id, album_name, "
    "album_type, release_date, release_year, duration_ms, explicit, isrc, popularity, linked_from_id, "
    "is_playable, fetched_at, disc_number, track_number, album_artist_ids, album_artist_names, "
    "album_image_url, album_thumb_url"
)


def _timestamp(value: object) -> str | None:
    """Spotify's '2014-03-12T08:02:54Z' as a naive UTC timestamp DuckDB reads."""
    if not isinstance(value, str) or not value:
        return None
    return value.replace("T", " ").rstrip("Z")


def _year(date: object) -> int | None:
    if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
        year = int(date[:4])
        return year if year > 0 else None
    return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _widest_and_narrowest(images: object) -> tuple[str | None, str | None]:
    """Album art: the widest image (what Exportify exports) and the narrowest (a thumbnail)."""
    sized = [
        (int(i.get("width") or 0), str(i["url"]))
        for i in (images if isinstance(images, list) else [])
        if isinstance(i, dict) and isinstance(i.get("url"), str)
    ]
    if not sized:
        return None, None
    sized.sort()
    return sized[-1][1], sized[0][1]


def _rows_for(
    playlist_id: str, offset: int, items: Iterable[Any], fetched: datetime
) -> tuple[
    list[tuple[Any, ...]],
    dict[str, tuple[Any, ...]],
    dict[tuple[str, int], tuple[Any, ...]],
    dict[str, str | None],
]:
    entries: list[tuple[Any, ...]] = []
    tracks: dict[str, tuple[Any, ...]] = {}
    credits: dict[tuple[str, int], tuple[Any, ...]] = {}
    artists: dict[str, str | None] = {}
    for index, entry in enumerate(items):
        entry = entry if isinstance(entry, dict) else {}
        item = entry.get("item") if isinstance(entry.get("item"), dict) else None
        added_by = (
            (entry.get("added_by") or {}).get("id") if isinstance(entry.get("added_by"), dict) else None
        )
        added_at = _timestamp(entry.get("added_at"))
        position = offset + index
        if item is None:
            entries.append(
                (playlist_id, position, None, None, None, added_at, added_by, False, True, None, None)
            )
            continue
        kind = item.get("type") or "track"
        uri = item.get("uri")
        people = [a for a in item.get("artists") or [] if isinstance(a, dict)]
        is_local = bool(
            entry.get("is_local") or item.get("is_local") or (uri or "").startswith("spotify:local:")
        )
        if is_local:
            artist = people[0].get("name") if people else None
            entries.append(
                (
                    playlist_id,
                    position,
                    kind,
                    None,
                    uri,
                    added_at,
                    added_by,
                    True,
                    False,
                    item.get("name"),
                    artist,
                )
            )
            continue
        item_id = item.get("id")
        entries.append(
            (playlist_id, position, kind, item_id, uri, added_at, added_by, False, False, None, None)
        )
        if not item_id or item_id in tracks:
            continue
        if kind == "episode":
            show = item.get("show") or {}
            release = item.get("release_date")
            tracks[item_id] = (
                item_id, uri, "episode", item.get("name"), show.get("id"), show.get("name"), show.get("name"),
                None, None, None, release, _year(release), item.get("duration_ms"), item.get("explicit"),
                None, None, None, None, fetched, None, None, None, None, None, None,
            )  # fmt: skip
            continue
        album = item.get("album") or {}
        album_people = [a for a in album.get("artists") or [] if isinstance(a, dict)]
        release = album.get("release_date")
        first = people[0] if people else {}
        isrc = (item.get("external_ids") or {}).get("isrc")
        tracks[item_id] = (
            item_id, uri, kind, item.get("name"), first.get("id"), first.get("name"),
            ", ".join(str(a.get("name")) for a in people if a.get("name")) or None,
            album.get("id"), album.get("name"), album.get("album_type"), release, _year(release),
            item.get("duration_ms"), item.get("explicit"), isrc, item.get("popularity"),
            (item.get("linked_from") or {}).get("id"), item.get("is_playable"), fetched,
            _int(item.get("disc_number")), _int(item.get("track_number")),
            [str(a.get("id") or "") for a in album_people] or None,
            [str(a.get("name") or "") for a in album_people] or None,
            *_widest_and_narrowest(album.get("images")),
        )  # fmt: skip
        for pos, person in enumerate(people):
            credits[(item_id, pos)] = (item_id, pos, person.get("id"), person.get("name"))
            if person.get("id"):
                artists.setdefault(person["id"], person.get("name"))
    return entries, tracks, credits, artists


@dataclass
class Page:
    playlist_id: str
    offset: int
    items: list[Any]
    snapshot_id: str | None


def store_pages(
    db: Database, pages: Sequence[Page], *, log: CallLog | None = None, complete: Iterable[str] = ()
) -> list[Page]:
    """Store pages in one transaction, each whole or not at all; returns those newly stored.

    The fetcher commits every page that arrived while the previous commit ran (group commit):
    each page still lands atomically with its `fetched_pages` row, and a crash loses only pages
    not yet committed. Pages already stored are skipped; playlists in `complete` are marked so.
    """
    fetched = utc_now()
    entries: list[tuple[Any, ...]] = []
    tracks: dict[str, tuple[Any, ...]] = {}
    credits: dict[tuple[str, int], tuple[Any, ...]] = {}
    artists: dict[str, str | None] = {}
    with db.transaction() as conn:
        wanted = {p.playlist_id for p in pages}
        stored = set()
        if wanted:
            stored = {
                (str(r[0]), int(r[1]))
                for r in conn.execute(
                    "SELECT playlist_id, page_offset FROM fetched_pages WHERE playlist_id IN "
                    f"({','.join('?' * len(wanted))})",
                    list(wanted),
                ).fetchall()
            }
        fresh = []
        for page in pages:
            key = (page.playlist_id, page.offset)
            if key in stored:
                continue
            stored.add(key)
            fresh.append(page)
            e, t, c, a = _rows_for(page.playlist_id, page.offset, page.items, fetched)
            entries += e
            for tid, row in t.items():
                tracks.setdefault(tid, row)
            credits.update(c)
            for aid, name in a.items():
                artists.setdefault(aid, name)
        if fresh:
            _insert(conn, fetched, entries, tracks, credits, artists)
            _insert_pages(
                conn, [(p.playlist_id, p.offset, len(p.items), p.snapshot_id, fetched) for p in fresh]
            )
            for pid in {p.playlist_id for p in fresh}:
                conn.execute("UPDATE playlists SET fetched_at = ? WHERE id = ?", [fetched, pid])
        for pid in complete:
            conn.execute("UPDATE playlists SET complete = TRUE, fetched_at = ? WHERE id = ?", [fetched, pid])
        if log is not None:
            log.flush_into(conn)
    return fresh


# -- playlists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaylistRow:
    """What the `playlists` table keeps of a source, as the metadata call reported it."""

    id: str
    name: str | None
    owner_id: str | None
    owner_name: str | None
    snapshot_id: str | None
    total: int | None
    role: str = "source"  # or "master": a part of a master, read back by sync (never a default source)


@dataclass
class Resume:
    status: str  # "new" | "unchanged" | "resume" | "changed"
    stored_offsets: set[int]


def begin_playlist(db: Database, meta: PlaylistRow, page_size: int, *, force_wipe: bool = False) -> Resume:
    """Compare with what is stored and decide: nothing to do, resume, or start afresh (wiping)."""
    pid = meta.id
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT snapshot_id, total, page_size, complete FROM playlists WHERE id = ?", [pid]
        ).fetchone()
        same = (
            row is not None
            and not force_wipe
            and row[0] == meta.snapshot_id
            and row[1] == meta.total
            and row[2] == page_size
        )
        if same:
            conn.execute(
                "UPDATE playlists SET name = ?, owner_id = ?, owner_name = ? WHERE id = ?",
                [meta.name, meta.owner_id, meta.owner_name, pid],
            )
            _set_role(conn, pid, meta.role)
            if row is not None and row[3]:
                return Resume("unchanged", set())
            offsets = conn.execute(
                "SELECT page_offset FROM fetched_pages WHERE playlist_id = ?", [pid]
            ).fetchall()
            return Resume("resume", {int(o[0]) for o in offsets})
        had_pages = conn.execute("SELECT count(*) FROM fetched_pages WHERE playlist_id = ?", [pid]).fetchone()
        conn.execute("DELETE FROM entries WHERE playlist_id = ?", [pid])
        conn.execute("DELETE FROM fetched_pages WHERE playlist_id = ?", [pid])
        conn.execute("DELETE FROM playlists WHERE id = ?", [pid])
        conn.execute(
            "INSERT INTO playlists (id, name, owner_id, owner_name, snapshot_id, total, page_size, complete) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, FALSE)",
            [pid, meta.name, meta.owner_id, meta.owner_name, meta.snapshot_id, meta.total, page_size],
        )
        _set_role(conn, pid, meta.role)
    changed = row is not None and bool(had_pages and had_pages[0])
    return Resume("changed" if changed else "new", set())


def _set_role(conn: duckdb.DuckDBPyConnection, playlist_id: str, role: str) -> None:
    conn.execute("DELETE FROM playlist_roles WHERE playlist_id = ?", [playlist_id])
    if role != "source":
        conn.execute("INSERT INTO playlist_roles VALUES (?, ?)", [playlist_id, role])


def stored_entries(db: Database, playlist_id: str) -> int:
    row = db.fetchone("SELECT count(*) FROM entries WHERE playlist_id = ?", [playlist_id])
    return int(row[0]) if row else 0


SOURCE_ORDER_KEY = "source_order"


def remember_source_order(db: Database, ids: list[str]) -> None:
    """Record the order the user gave these sources in (the latest fetch first, then older ones).

    Playlists are stored in whatever order their first page arrives; analysing "every fetched
    playlist" in that order would swap p1 and p2 between `run` and a later `report`."""
    order = list(ids) + [pid for pid in source_order(db) if pid not in ids]
    db.set_meta(SOURCE_ORDER_KEY, json.dumps(order))


def source_order(db: Database) -> list[str]:
    try:
        value = db.get_meta(SOURCE_ORDER_KEY)
        order = json.loads(value) if value else []
    except ValueError:
        return []
    return [str(pid) for pid in order] if isinstance(order, list) else []


def replace_entries(
    db: Database,
    meta: PlaylistRow,
    start: int,
    items: Sequence[object],
    *,
    page_size: int,
    catalogue: bool = True,
) -> None:
    """Store what a playlist holds from position `start` on, in one transaction, as complete.

    For playlists whose content the tool knows without a full read: a master part after a verified
    write (`start`: the first position the write touched; entries before it are unchanged) or as a
    run's journal recorded it. The row takes `meta`'s snapshot_id and total, so the next fetch with
    the same snapshot reads nothing. `catalogue=False`: the items are bare URIs whose tracks are
    stored already; storing them would shadow the full rows a later fetch brings.
    """
    pid = meta.id
    fetched = utc_now()
    entries, tracks, credits, artists = _rows_for(pid, start, items, fetched)
    total = meta.total if meta.total is not None else start + len(items)
    if not catalogue:
        tracks, credits, artists = {}, {}, {}
    with db.transaction() as conn:
        conn.execute("DELETE FROM entries WHERE playlist_id = ? AND position >= ?", [pid, start])
        conn.execute("DELETE FROM fetched_pages WHERE playlist_id = ?", [pid])
        conn.execute("DELETE FROM playlists WHERE id = ?", [pid])
        conn.execute(
            "INSERT INTO playlists (id, name, owner_id, owner_name, snapshot_id, total, page_size, fetched_at,"
            " complete) VALUES (?, ?, ?, ?, ?, ?, ?, ?, TRUE)",
            [pid, meta.name, meta.owner_id, meta.owner_name, meta.snapshot_id, total, page_size, fetched],
        )
        _set_role(conn, pid, meta.role)
        _insert(conn, fetched, entries, tracks, credits, artists)
        pages = range(0, total, page_size)
        _insert_pages(
            conn, [(pid, off, min(page_size, total - off), meta.snapshot_id, fetched) for off in pages]
        )


def _insert(
    conn: duckdb.DuckDBPyConnection,
    fetched: datetime,
    entries: list[tuple[Any, ...]],
    tracks: dict[str, tuple[Any, ...]],
    credits: dict[tuple[str, int], tuple[Any, ...]],
    artists: dict[str, str | None],
) -> None:
    """Entries, and the tracks, credits and artists they reference (written once, shared by playlists)."""
    insert_rows(conn, f"INSERT INTO entries ({_ENTRY_COLS})", entries, _ENTRY_TYPES)
    insert_rows(conn, f"INSERT OR IGNORE INTO tracks ({_TRACK_COLS})", list(tracks.values()), _TRACK_TYPES)
    insert_rows(
        conn, "INSERT OR IGNORE INTO track_artists", list(credits.values()),
        ("VARCHAR", "INTEGER", "VARCHAR", "VARCHAR"),
    )  # fmt: skip
    insert_rows(
        conn,
        "INSERT OR IGNORE INTO artists (id, name, fetched_at)",
        [(aid, name, fetched) for aid, name in artists.items()],
        ("VARCHAR", "VARCHAR", "TIMESTAMP"),
    )


def _insert_pages(conn: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> None:
    """`fetched_pages` rows: (playlist id, offset, entries, snapshot_id, when)."""
    insert_rows(
        conn, "INSERT INTO fetched_pages", rows, ("VARCHAR", "INTEGER", "INTEGER", "VARCHAR", "TIMESTAMP")
    )
