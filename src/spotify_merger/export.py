"""`spotify-merger export`: fetched playlists, Liked Songs or the master, as CSV or Parquet.

The CSV has Exportify's columns, in Exportify's order, so files open in whatever already reads
Exportify's exports; the README maps each column to its source. Rows come straight from DuckDB
(one `COPY ... TO` per file, written to a temp file and renamed), text cells neutralised against
spreadsheet formulas (`safe_csv`). Parquet keeps the same column names with typed values.

Fields the 2026 API no longer serves stay as columns, empty: Track Preview URL (never served to
new apps since November 2024), and in Development Mode Popularity and Is Playable; the optional
feature columns (genres, audio features) are filled for extended-quota apps only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import duckdb

from spotify_merger.display import quote
from spotify_merger.errors import NotFoundError, NothingToDoError, StorageError, UsageError
from spotify_merger.safe_csv import copy_to_csv
from spotify_merger.spotify.ids import parse_source
from spotify_merger.store.database import Database
from spotify_merger.store.files import atomic_path
from spotify_merger.store.pages import source_order
from spotify_merger.write.journal import Journal, RunStatus

if TYPE_CHECKING:
    from spotify_merger.context import Environment

Format = Literal["csv", "parquet"]
MASTER = "master"

# Exportify's columns, in its order, each with the SQL that fills it (over `e` the entry, `t` its
# track, `a` its artists in credit order). Text columns are neutralised in CSV files.
EXPORTIFY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Track URI", "coalesce(t.uri, e.uri)"),
    ("Track Name", "coalesce(t.name, e.local_name)"),
    ("Artist URI(s)", "a.artist_uris"),
    ("Artist Name(s)", "coalesce(a.artist_names, replace(e.local_artist, ',', '\\,'))"),
    ("Album URI", "'spotify:album:' || t.album_id"),
    ("Album Name", "t.album_name"),
    (
        "Album Artist URI(s)",
        "array_to_string(list_transform(t.album_artist_ids, lambda x: 'spotify:artist:' || x), ', ')",
    ),
    (
        "Album Artist Name(s)",
        "array_to_string(list_transform(t.album_artist_names, lambda x: replace(x, ',', '\\,')), ', ')",
    ),
    ("Album Release Date", "t.release_date"),
    ("Album Image URL", "t.album_image_url"),
    ("Disc Number", "t.disc_number"),
    ("Track Number", "t.track_number"),
    ("Track Duration (ms)", "t.duration_ms"),
    ("Track Preview URL", "CAST(NULL AS VARCHAR)"),
    ("Explicit", "t.explicit"),
    ("Popularity", "t.popularity"),
    ("ISRC", "t.isrc"),
    ("Is Playable", "t.is_playable"),
    ("Added By", "'spotify:user:' || e.added_by"),
    ("Added At", "e.added_at"),
)
FEATURE_NAMES = (
    "Danceability", "Energy", "Key", "Loudness", "Mode", "Speechiness", "Acousticness",
    "Instrumentalness", "Liveness", "Valence", "Tempo", "Time Signature",
)  # fmt: skip
# Exportify's optional "artists data" and "audio features data" columns (`--features`).
FEATURE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Artist Genres", "a.genres"),
    *((name, f"f.{name.lower().replace(' ', '_')}") for name in FEATURE_NAMES),
)
TEXT_COLUMNS = frozenset(
    {
        "Track URI", "Track Name", "Artist URI(s)", "Artist Name(s)", "Album URI", "Album Name",
        "Album Artist URI(s)", "Album Artist Name(s)", "Album Release Date", "Album Image URL",
        "Track Preview URL", "ISRC", "Added By", "Added At", "Artist Genres",
    }
)  # fmt: skip


@dataclass
class Target:
    """One file to write: a fetched playlist, Liked Songs, or the master of the last run."""

    key: str  # playlist id, "liked" or "master"
    name: str
    rows_sql: str  # entries `e` (and for the master, the write plan), one row per exported entry
    params: list[str]


@dataclass
class ExportedFile:
    playlist: str  # the playlist id, "liked" or "master"
    name: str
    path: Path
    rows: int
    format: Format


def export_playlists(
    env: Environment,
    sources: list[str],
    *,
    every: bool = False,
    out: Path | None = None,
    fmt: Format = "csv",
    features: bool = False,
) -> list[ExportedFile]:
    """Write one file per source (ids, URIs, links, names, 'liked', 'master'), or per fetched playlist."""
    if every and sources:
        raise UsageError("give sources or --all, not both", "e.g. `spotify-merger export --all`")
    if not every and not sources:
        raise UsageError(
            "nothing to export: name a playlist, 'liked' or 'master', or pass --all",
            "`spotify-merger export --all` writes one file per fetched playlist",
        )
    if not env.db_path.exists():
        raise NothingToDoError("nothing has been fetched yet", "run `spotify-merger fetch` first")
    with Database(env.db_path) as db:  # not read-only: an older database is migrated first
        targets = _all_targets(db) if every else [_target(db, s) for s in sources]
        paths = _paths(env, targets, out, fmt)
        return [_write(db, target, path, fmt, features) for target, path in zip(targets, paths, strict=True)]


def _all_targets(db: Database) -> list[Target]:
    rows = db.fetchall("SELECT id FROM playlists WHERE complete ORDER BY rowid")
    order = {pid: i for i, pid in enumerate(source_order(db))}
    ids = sorted((r[0] for r in rows), key=lambda pid: order.get(pid, len(order)))
    if not ids:
        raise NothingToDoError(
            "no playlist has been fetched completely yet", "run `spotify-merger fetch` first"
        )
    return [_target(db, pid) for pid in ids]


def _target(db: Database, text: str) -> Target:
    if text.strip().lower() == MASTER:
        return _master(db)
    try:
        pid = parse_source(text)
    except UsageError:
        named = db.fetchall("SELECT id FROM playlists WHERE name = ? ORDER BY rowid", [text.strip()])
        if not named:
            raise NotFoundError(
                f"no fetched playlist is called or has the id {quote(text)}",
                "give a playlist id, spotify:playlist: URI or link, its exact name, 'liked' or 'master'; "
                "`spotify-merger playlists` lists yours",
            ) from None
        pid = named[0][0]
    row = db.fetchone("SELECT name, complete FROM playlists WHERE id = ?", [pid])
    if row is None:
        raise NothingToDoError(
            f"the playlist {pid} has never been fetched, so there is nothing to export",
            f"run `spotify-merger fetch {pid}` first",
        )
    if not row[1]:
        raise NothingToDoError(
            f"the fetch of playlist {pid} did not finish, so an export would be incomplete",
            f"run `spotify-merger fetch {pid}` to finish it",
        )
    name = "Liked Songs" if pid == "liked" else str(row[0] or pid)
    sql = "SELECT * FROM entries WHERE playlist_id = ? AND NOT is_unavailable"
    return Target(pid, name, sql, [pid])


def _master(db: Database) -> Target:
    run = Journal(db).latest_run(statuses=(RunStatus.VERIFIED, RunStatus.WRITTEN))
    if run is None:
        raise NothingToDoError(
            "no master playlist has been written from this data dir yet",
            "run `spotify-merger run` first (or pass the --data-dir you used)",
        )
    # The master's entries are the frozen plan; an entry was added when its batch was confirmed.
    sql = """
        SELECT p.uri, b.done_at AS added_at, CAST(NULL AS VARCHAR) AS added_by,
               p.part_index, p.position, CAST(NULL AS VARCHAR) AS local_name,
               CAST(NULL AS VARCHAR) AS local_artist,
               (SELECT min(id) FROM tracks t WHERE t.uri = p.uri) AS item_id
        FROM write_plan p
        LEFT JOIN write_batches b ON b.run_id = p.run_id AND b.part_index = p.part_index
             AND p.position >= b.start_position AND p.position < b.start_position + b.count
        WHERE p.run_id = ?
    """
    return Target(MASTER, run.master_name, sql, [run.run_id])


def columns(features: bool) -> tuple[tuple[str, str], ...]:
    """(header, SQL) of every exported column: Exportify's, then the optional feature columns."""
    return EXPORTIFY_COLUMNS + (FEATURE_COLUMNS if features else ())


def _select(target: Target, features: bool) -> str:
    order = "e.part_index, e.position" if target.key == MASTER else "e.position"
    return f"""
        WITH e AS ({target.rows_sql}),
        a AS (
            SELECT ta.track_id,
                   string_agg('spotify:artist:' || ta.artist_id, ', ' ORDER BY ta.position) AS artist_uris,
                   string_agg(replace(ta.artist_name, ',', '\\,'), ', ' ORDER BY ta.position) AS artist_names,
                   array_to_string(flatten(list(ar.genres ORDER BY ta.position)), ', ') AS genres
            FROM track_artists ta LEFT JOIN artists ar ON ar.id = ta.artist_id
            WHERE ta.track_id IN (SELECT item_id FROM e)
            GROUP BY ta.track_id
        )
        SELECT {", ".join(f'{sql} AS "{name}"' for name, sql in columns(features))}
        FROM e
        LEFT JOIN tracks t ON t.id = e.item_id
        LEFT JOIN a ON a.track_id = e.item_id
        LEFT JOIN audio_features f ON f.track_id = e.item_id
        ORDER BY {order}
    """


def _write(db: Database, target: Target, path: Path, fmt: Format, features: bool) -> ExportedFile:
    select = _select(target, features)
    try:
        with db.lock:
            if fmt == "csv":
                # Exportify writes times as 2024-01-31T12:00:00Z; DuckDB's default has a space.
                select = (
                    'SELECT * REPLACE (strftime("Added At", \'%Y-%m-%dT%H:%M:%SZ\') AS "Added At") '
                    f"FROM ({select})"
                )
                text = [name for name, _ in columns(features) if name in TEXT_COLUMNS]
                copy_to_csv(db.conn, select, path, text, target.params)
            else:
                with atomic_path(path) as tmp:
                    where = str(tmp).replace("'", "''")
                    db.conn.execute(f"COPY ({select}) TO '{where}' (FORMAT parquet)", target.params)
            count = db.conn.execute(f"SELECT count(*) FROM ({target.rows_sql})", target.params).fetchone()
    except (OSError, duckdb.IOException) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise StorageError(
            f"cannot write {quote(path, 120)}: {reason}", "choose a folder you can write to with --out"
        ) from None
    return ExportedFile(target.key, target.name, path, int(count[0]) if count else 0, fmt)


def _paths(env: Environment, targets: list[Target], out: Path | None, fmt: Format) -> list[Path]:
    """Where each file goes: --out names the file (one target) or the folder (several)."""
    folder = env.exports_dir
    if out is not None:
        out = out.expanduser()
        if len(targets) == 1 and not out.is_dir() and out.suffix:
            _check_folder(out.parent)
            return [out]
        folder = out
    _check_folder(folder)
    names: list[Path] = []
    for target in targets:
        path = folder / f"{file_stem(target)}.{fmt}"
        names.append(path)
    return names


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise StorageError(f"{quote(folder, 120)} is a file, not a folder", "choose another --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the folder {quote(folder, 120)}: {exc.strerror or exc}",
            "choose a folder you can write to with --out",
        ) from None


def file_stem(target: Target) -> str:
    """A file name from a playlist name: ASCII letters, digits and '_' only, plus the id to keep it unique."""
    if target.key in ("liked", MASTER):
        base = "liked_songs" if target.key == "liked" else f"master_{slug(target.name)}"
        return base.rstrip("_")
    return f"{slug(target.name)}_{target.key}".lstrip("_")


def slug(text: str, limit: int = 60) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")[:limit].rstrip("_")
