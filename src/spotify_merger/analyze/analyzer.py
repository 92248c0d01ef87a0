"""`SpotifyAnalyzer`: the analysis API the report, the write step and the notebooks share.

The heavy lifting is SQL in `dedup`, `weights`, `overlap` and `dna`; this class resolves the
sources, builds the analysis tables once (lazily), and hands results out as typed documents
(`results`: plain dicts at run time) or, for notebook users, pandas DataFrames.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from spotify_merger.analyze import _dna as dna
from spotify_merger.analyze import _overlap as overlap
from spotify_merger.analyze import _weights as weights
from spotify_merger.analyze import constraints, dedup, review
from spotify_merger.analyze._dryrun import dry_run_summary
from spotify_merger.analyze.model import MergeOptions, MergePlan
from spotify_merger.analyze.results import (
    DryRunSummary,
    ExcludedEntries,
    MatchReview,
    MusicalDna,
    Overlap,
    PlannedSongRow,
    RuleEffect,
    SourceStats,
    WeightedSong,
)
from spotify_merger.display import quote
from spotify_merger.errors import NothingToDoError, UsageError
from spotify_merger.safe_csv import copy_to_csv
from spotify_merger.spotify.ids import parse_source
from spotify_merger.store.pages import source_order

if TYPE_CHECKING:
    import pandas as pd

    from spotify_merger.analyze.rules import MatchRules
    from spotify_merger.store.database import Database

_namespaces = itertools.count(1)


def _clean_source(ref: str) -> str:
    """A playlist id from an id, URI or link; anything else is looked up as given."""
    try:
        return parse_source(ref)
    except UsageError:
        return ref.strip()


class SpotifyAnalyzer:
    """Weights, overlap, smart deduplication and musical DNA over fetched playlists.

    `sources` are playlist ids in the user's order ('liked' = Liked Songs); None means every
    playlist whose fetch completed, in the order they were last fetched in (so `report` with no
    sources names them p1, p2... as the `run` that fetched them did).
    """

    def __init__(
        self,
        db: Database,
        sources: list[str] | None = None,
        options: MergeOptions | None = None,
        *,
        rules: MatchRules | None = None,
        exclude_playlist: str | None = None,
    ) -> None:
        self.db = db
        self.options = options or MergeOptions()
        self.rules = rules
        self.exclude_playlist = _clean_source(exclude_playlist) if exclude_playlist else None
        self.sources = self._resolve_sources(sources)
        if sources is None and self.exclude_playlist in self.sources:
            self.sources.remove(self.exclude_playlist)  # "every fetched playlist" means every source
        if self.exclude_playlist is not None:
            self._check_exclude_playlist(self.exclude_playlist)
        self._ns = f"_sm_a{next(_namespaces)}_"
        self._built = False
        self.propagation_rounds = 0

    # -- sources ------------------------------------------------------------------------------------------

    def _stored_playlists(self) -> list[tuple[str, bool, str]]:
        """(id, complete, role) of every stored playlist, in the order they were first stored."""
        rows = self.db.fetchall("SELECT id, complete FROM playlists ORDER BY rowid")
        try:
            roles = dict(self.db.fetchall("SELECT playlist_id, role FROM playlist_roles"))
        except duckdb.Error:  # a database from before sync, opened read-only (not migrated)
            roles = {}
        return [(str(pid), bool(done), str(roles.get(pid, "source"))) for pid, done in rows]

    def _resolve_sources(self, sources: list[str] | None) -> list[str]:
        rows = self._stored_playlists()
        complete = {pid for pid, done, _ in rows if done}
        known = {pid for pid, _, _ in rows}
        if sources is None:
            # Master parts read back by `sync` are stored too; they are never sources by default.
            order = {pid: i for i, pid in enumerate(source_order(self.db))}
            stored = [pid for pid, done, role in rows if done and role != "master"]
            resolved = sorted(stored, key=lambda pid: (order.get(pid, len(order)), stored.index(pid)))
            if not resolved:
                raise NothingToDoError("nothing has been fetched yet", "run `spotify-merger fetch` first")
            return resolved
        if not sources:
            raise UsageError("no source playlists given", "name one or more playlist ids, or 'liked'")
        resolved = [_clean_source(s) for s in sources]
        seen: set[str] = set()
        for pid in resolved:
            if pid in seen:
                raise UsageError(f"the playlist {pid} is given twice", "name each source playlist once")
            seen.add(pid)
            if pid not in known:
                if not complete:
                    raise NothingToDoError("nothing has been fetched yet", "run `spotify-merger fetch` first")
                raise NothingToDoError(
                    f"the playlist {pid} has not been fetched", f"run `spotify-merger fetch {pid}` first"
                )
            if pid not in complete:
                raise NothingToDoError(
                    f"the fetch of playlist {pid} did not finish",
                    f"run `spotify-merger fetch {pid}` to resume it",
                )
        return resolved

    def _check_exclude_playlist(self, pid: str) -> None:
        if pid in self.sources:
            raise UsageError(
                f"the playlist {pid} is both a source and the exclusions playlist",
                "name it once: as a source, or with --exclude-playlist",
            )
        row = self.db.fetchone("SELECT complete FROM playlists WHERE id = ?", [pid])
        if row is None or not row[0]:
            raise NothingToDoError(
                f"the exclusions playlist {pid} has not been fetched",
                f"run `spotify-merger fetch {pid}` first (or `run --exclude-playlist {pid}`, which fetches it)",
            )

    # -- the analysis tables ------------------------------------------------------------------------------

    def _ensure(self) -> None:
        if self._built:
            return
        with self.db.lock:
            self.propagation_rounds = dedup.build(
                self.db.conn, self._ns, self.sources, self.options, self.rules, self.exclude_playlist
            )
        self._built = True

    def _query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        self._ensure()
        return self.db.fetchall(sql.replace("{ns}", self._ns), params)

    def close(self) -> None:
        """Drop the temporary analysis tables (they also vanish with the connection)."""
        if not self._built:
            return
        with self.db.lock:
            for name in dedup.table_names(self._ns):
                self.db.conn.execute(f"DROP TABLE IF EXISTS {name}")
        self._built = False

    def __enter__(self) -> SpotifyAnalyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def source_index(self, playlist: str | int) -> int:
        """Accepts a playlist id, 'p1'/'playlist_1' style keys, or a 0-based index."""
        if isinstance(playlist, int):
            if 0 <= playlist < len(self.sources):
                return playlist
        else:
            key = _clean_source(playlist)
            if key in self.sources:
                return self.sources.index(key)
            alias = re.fullmatch(r"(?:p|playlist_?)(\d+)", key)
            if alias and 1 <= int(alias.group(1)) <= len(self.sources):
                return int(alias.group(1)) - 1
        raise UsageError(
            f"{quote(playlist)} is not one of the analysed sources",
            f"use a playlist id among {', '.join(self.sources)}, or p1..p{len(self.sources)}",
        )

    # -- the public API -----------------------------------------------------------------------------------

    def source_stats(self) -> list[SourceStats]:
        self._ensure()
        with self.db.lock:
            return weights.source_stats(self.db.conn, self._ns)

    def get_weight_analysis(self, playlist_id: str | int) -> pd.DataFrame:
        """Per song of one source: name, artist, weight, share, first added; heaviest first."""
        idx = self.source_index(playlist_id)
        self._ensure()
        with self.db.lock:
            return weights.weight_frame(self.db.conn, self._ns, idx)

    def top_weighted(self, playlist_id: str | int, limit: int) -> list[WeightedSong]:
        """The `limit` heaviest songs of one source (the head of `get_weight_analysis`)."""
        idx = self.source_index(playlist_id)
        self._ensure()
        with self.db.lock:
            return weights.top_weighted(self.db.conn, self._ns, idx, limit)

    def get_overlap(self) -> Overlap:
        self._ensure()
        with self.db.lock:
            return overlap.overlap(self.db.conn, self._ns, len(self.sources))

    def get_deduplicated_tracks(self) -> pd.DataFrame:
        """The master in planned order: position (1-based), uri, name, artist, weight per source, reason."""
        self._ensure()
        with self.db.lock:
            return self.db.conn.execute(self._dedup_sql()).df()

    def planned_songs(self, limit: int) -> list[PlannedSongRow]:
        """The first `limit` rows of `get_deduplicated_tracks`, as plain values."""
        self._ensure()
        with self.db.lock:
            cursor = self.db.conn.execute(f"{self._dedup_sql()} LIMIT {int(limit)}")
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def album_art(self, track_ids: Iterable[str]) -> dict[str, str]:
        """The album thumbnail (the narrowest image Spotify served) of each of these tracks that has one."""
        wanted = sorted(set(track_ids))
        if not wanted:
            return {}
        rows = self.db.fetchall(
            "SELECT id, album_thumb_url FROM tracks WHERE album_thumb_url IS NOT NULL AND id IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [wanted],
        )
        return {str(tid): str(url) for tid, url in rows}

    def copy_plan_csv(self, target: Path) -> None:
        """Write the planned master to `target` as CSV (position, uri, name, artist, weights, reason),
        streamed by DuckDB, so any size costs about the same memory; atomic, and formula-safe."""
        weight_cols = ", ".join(f"weight_p{i + 1}" for i in range(len(self.sources)))
        self._ensure()
        with self.db.lock:
            copy_to_csv(
                self.db.conn,
                f"SELECT position, uri, name, artist, {weight_cols}, reason FROM ({self._dedup_sql()})",
                target,
                ["uri", "name", "artist", "reason"],
            )

    def _dedup_sql(self) -> str:
        """The query behind get_deduplicated_tracks, planned_songs and copy_plan_csv."""
        self._ensure()
        ns = self._ns
        weight_cols = ",\n".join(
            f"coalesce(max(ss.weight) FILTER (WHERE ss.src_idx = {i}), 0) AS weight_p{i + 1}"
            for i in range(len(self.sources))
        )
        return f"""
            WITH w AS (SELECT ss.gid, {weight_cols} FROM {ns}song_src ss GROUP BY ss.gid)
            SELECT p.pos AS position, p.uri, s.name, s.artist, s.album_name AS album, s.type,
                   {", ".join(f"w.weight_p{i + 1}" for i in range(len(self.sources)))},
                   s.total_entries AS total_weight, s.n_tracks AS track_ids, s.reason, s.kept_id,
                   s.gid AS song_id
            FROM {ns}plan p JOIN {ns}songs s USING (gid) JOIN w USING (gid)
            ORDER BY p.pos
        """

    def track_groups(self) -> dict[str, tuple[str, str | None]]:
        """Every analysed track id → (its song's id, the reason it was merged; None for the kept copy)."""
        return {
            tid: (gid, reason) for tid, gid, reason in self._query("SELECT id, gid, reason FROM {ns}groups")
        }

    def match_review(self, limit: int | None = 200) -> MatchReview:
        """Non-trivial merges (songs made of several track ids), with each merged copy's reason."""
        self._ensure()
        with self.db.lock:
            return review.match_review(self.db.conn, self._ns, limit)

    def excluded_entries(self, limit: int | None = 200) -> ExcludedEntries:
        """Local files and unavailable entries: counted and listed, never planned."""
        self._ensure()
        with self.db.lock:
            return review.excluded(self.db.conn, self._ns, limit)

    def _ruled_out(self) -> int:
        excluded = self.excluded_entries(limit=0)
        return excluded["by_rule"] + excluded["by_exclusions_playlist"]

    def rule_report(self) -> list[RuleEffect]:
        """Each user rule and what it did in this analysis (a rule on a track no source holds is listed)."""
        self._ensure()
        with self.db.lock:
            return constraints.report(self.db.conn, self._ns, self.rules)

    def warnings(self) -> list[str]:
        """Plain-language notes about input the analysis could not fully use."""
        self._ensure()
        with self.db.lock:
            out = review.warnings(self.db.conn, self._ns, self.source_stats(), self.options)
        unknown = [r for r in self.rule_report() if not r["in_sources"]]
        if unknown:
            out.append(
                f"{len(unknown)} of your match rules name tracks no source holds: they change nothing here"
            )
        return out

    def musical_dna(self) -> MusicalDna:
        self._ensure()
        with self.db.lock:
            return dna.musical_dna(self.db.conn, self._ns, len(self.sources))

    def planned_counts(self) -> tuple[int, int]:
        """(entries the master would get, distinct songs among them)."""
        row = self._query("SELECT count(*), count(DISTINCT gid) FROM {ns}plan")[0]
        return int(row[0]), int(row[1])

    def plan(self) -> MergePlan:
        self._ensure()
        uris = [row[0] for row in self._query("SELECT uri FROM {ns}plan ORDER BY pos")]
        counts = self._query(
            "SELECT count(*) FILTER (WHERE is_local), count(*) FILTER (WHERE is_unavailable) FROM {ns}entries"
        )[0]
        songs = self._query("SELECT count(*) FROM {ns}songs")[0][0]
        snapshots = dict(
            self.db.fetchall(
                f"SELECT id, snapshot_id FROM playlists WHERE id IN ({', '.join('?' for _ in self.sources)})",
                list(self.sources),
            )
        )
        return MergePlan(
            uris=uris,
            sources=list(self.sources),
            source_snapshots={s: snapshots.get(s) for s in self.sources},
            options=self.options,
            excluded_local=int(counts[0]),
            excluded_unavailable=int(counts[1]),
            song_count=int(songs),
        )

    def plan_songs(self) -> list[tuple[str, str]]:
        """The plan in order as (uri, song id): repeats of a song (with keep_weights) share its id."""
        return [(str(r[0]), str(r[1])) for r in self._query("SELECT uri, gid FROM {ns}plan ORDER BY pos")]

    def generate_dry_run_report(self) -> DryRunSummary:
        """The seed's dry-run report: before, after, impact, overlap, weight stats, sources, warnings."""
        stats = self.source_stats()
        ov = self.get_overlap()
        planned_entries, unique_songs = self.planned_counts()
        return dry_run_summary(
            stats,
            ov,
            planned_entries=planned_entries,
            unique_songs=unique_songs,
            review=self.match_review(limit=0),
            options=self.options,
            warnings=self.warnings(),
            excluded_by_rules=self._ruled_out(),
        )
