"""Weights: how many entries each song has in each source, and the per-source statistics.

A song's weight in a playlist is its number of entries there, counted at the song level (two copies
of one song, say the album and the single, add up to one song of weight 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spotify_merger.analyze.results import SourceStats, WeightedSong

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


def _weights_sql(ns: str) -> str:
    """Per song of one source (bound twice, as ?): name, artist, weight, share, first added; heaviest first."""
    return f"""
        WITH first_added AS (
            SELECT g.gid, min(e.added_at) AS first_added, count(DISTINCT e.item_id) AS track_ids
            FROM {ns}entries e JOIN {ns}groups g ON g.id = e.item_id
            WHERE e.src_idx = ? AND NOT e.excluded GROUP BY g.gid
        )
        SELECT s.name, s.artist, ss.weight,
               round(ss.weight * 100.0 / sum(ss.weight) OVER (), 3) AS share_pct,
               f.first_added, f.track_ids, s.type, s.uri, s.gid AS song_id
        FROM {ns}song_src ss JOIN {ns}songs s USING (gid) JOIN first_added f USING (gid)
        WHERE ss.src_idx = ?
        ORDER BY ss.weight DESC, ss.first_rank ASC
    """


def weight_frame(conn: duckdb.DuckDBPyConnection, ns: str, src_idx: int) -> pd.DataFrame:
    """Per song of one source: name, artist, weight, share of the playlist, first added; heaviest first."""
    return conn.execute(_weights_sql(ns), [src_idx, src_idx]).df()


def top_weighted(conn: duckdb.DuckDBPyConnection, ns: str, src_idx: int, limit: int) -> list[WeightedSong]:
    """The `limit` heaviest songs of one source, as `weight_frame` orders them."""
    rows = conn.execute(f"{_weights_sql(ns)} LIMIT {int(limit)}", [src_idx, src_idx]).fetchall()
    return [
        {
            "name": name,
            "artist": artist,
            "weight": int(weight),
            "share_pct": float(share),
            "first_added": first.isoformat() if first is not None else None,
            "track_ids": int(track_ids),
            "type": kind,
            "uri": uri,
            "song_id": song_id,
        }
        for name, artist, weight, share, first, track_ids, kind, uri, song_id in rows
    ]


def source_stats(conn: duckdb.DuckDBPyConnection, ns: str) -> list[SourceStats]:
    """One dict per source (in source order): entries, songs, weights and what was left out."""
    rows = conn.execute(
        f"""
        WITH ent AS (
            SELECT src_idx, count(*) AS entries,
                   count(*) FILTER (WHERE NOT excluded) AS usable_entries,
                   count(*) FILTER (WHERE is_local) AS local_files,
                   count(*) FILTER (WHERE is_unavailable) AS unavailable,
                   count(*) FILTER (WHERE NOT excluded AND item_type = 'episode') AS episodes,
                   count(*) FILTER (WHERE NOT excluded AND added_at IS NULL) AS undated
            FROM {ns}entries GROUP BY src_idx
        ),
        w AS (
            SELECT src_idx, count(*) AS songs, max(weight) AS highest_weight,
                   avg(weight) AS avg_weight,
                   count(*) FILTER (WHERE weight > 1) AS songs_repeated,
                   sum(weight) FILTER (WHERE weight > 1) - count(*) FILTER (WHERE weight > 1) AS extra_entries
            FROM {ns}song_src GROUP BY src_idx
        ),
        dist AS (
            SELECT src_idx, map(list(weight ORDER BY weight), list(n ORDER BY weight)) AS distribution
            FROM (SELECT src_idx, weight, count(*) AS n FROM {ns}song_src GROUP BY src_idx, weight)
            GROUP BY src_idx
        )
        SELECT s.src_idx, s.playlist_id, p.name, p.snapshot_id,
               coalesce(ent.entries, 0), coalesce(ent.usable_entries, 0), coalesce(ent.local_files, 0),
               coalesce(ent.unavailable, 0), coalesce(ent.episodes, 0), coalesce(ent.undated, 0),
               coalesce(w.songs, 0), coalesce(w.highest_weight, 0), coalesce(w.avg_weight, 0),
               coalesce(w.songs_repeated, 0), coalesce(w.extra_entries, 0), dist.distribution
        FROM {ns}src s
        LEFT JOIN playlists p ON p.id = s.playlist_id
        LEFT JOIN ent USING (src_idx) LEFT JOIN w USING (src_idx) LEFT JOIN dist USING (src_idx)
        ORDER BY s.src_idx
        """
    ).fetchall()
    out: list[SourceStats] = []
    for row in rows:
        (
            idx,
            pid,
            name,
            snapshot,
            entries,
            usable,
            local,
            unavailable,
            episodes,
            undated,
            songs,
            highest,
            avg,
            repeated,
            extra,
            distribution,
        ) = row
        out.append(
            {
                "key": f"p{idx + 1}",
                "id": pid,
                "name": name,
                "snapshot_id": snapshot,
                "entries": int(entries),
                "usable_entries": int(usable),
                "local_files": int(local),
                "unavailable": int(unavailable),
                "episodes": int(episodes),
                "undated_entries": int(undated),
                "songs": int(songs),
                "highest_weight": int(highest),
                "avg_weight": round(float(avg), 2),
                "songs_repeated": int(repeated),
                "songs_repeated_pct": round(100.0 * repeated / songs, 1) if songs else 0.0,
                "repeat_entries": int(extra or 0),
                "weight_distribution": {str(k): int(v) for k, v in (distribution or {}).items()},
            }
        )
    return out
