"""What people should look at before saying yes: non-trivial merges, left-out entries, input warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spotify_merger.analyze.model import EXCLUDED_BY_PLAYLIST, EXCLUDED_BY_RULE, RULE_REASONS, MergeOptions
from spotify_merger.analyze.results import (
    ExcludedEntries,
    ExcludedEntry,
    MatchReview,
    ReviewedSong,
    SourceStats,
    TrackCopy,
)

if TYPE_CHECKING:
    import duckdb


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _limit(limit: int | None) -> str:
    return "" if limit is None else f"LIMIT {int(limit)}"


def match_review(conn: duckdb.DuckDBPyConnection, ns: str, limit: int | None) -> MatchReview:
    """Songs whose entries carry different track ids: the kept copy and every merged copy with its reason."""
    counts = conn.execute(
        f"""
        SELECT count(DISTINCT gid), count(*) FILTER (WHERE NOT is_kept),
               {", ".join(f"count(*) FILTER (WHERE reason = '{r}')" for r in RULE_REASONS.values())},
               count(*) FILTER (WHERE NOT is_kept AND NOT direct)
        FROM {ns}groups WHERE gid IN (SELECT gid FROM {ns}songs WHERE n_tracks > 1)
        """
    ).fetchone()
    assert counts is not None
    rows = conn.execute(
        f"""
        WITH picked AS (
            SELECT gid, song_pos FROM {ns}songs WHERE n_tracks > 1 ORDER BY song_pos {_limit(limit)}
        )
        SELECT p.song_pos, g.gid, g.id, g.is_kept, g.reason, g.direct, g.name, g.artist, g.album_name,
               g.album_type, g.release_date, g.duration_ms, g.explicit, g.isrc, g.linked_from_id, g.n_entries
        FROM {ns}groups g JOIN picked p USING (gid)
        ORDER BY p.song_pos, g.is_kept DESC, g.id
        """
    ).fetchall()
    songs: list[ReviewedSong] = []
    for (
        pos,
        _gid,
        tid,
        is_kept,
        reason,
        direct,
        name,
        artist,
        album,
        album_type,
        release,
        duration,
        explicit,
        isrc,
        linked_from,
        n_entries,
    ) in rows:
        copy: TrackCopy = {
            "id": tid,
            "name": name,
            "artist": artist,
            "album": album,
            "album_type": album_type,
            "release_date": release,
            "duration_ms": duration,
            "explicit": explicit,
            "isrc": isrc,
            "linked_from_id": linked_from,
            "entries": int(n_entries),
        }
        if is_kept:
            songs.append({"position": int(pos), "kept": copy, "merged": []})
        else:
            songs[-1]["merged"].append({**copy, "reason": reason, "via_chain": not direct})
    return {
        "songs_with_several_ids": int(counts[0]),
        "merged_track_ids": int(counts[1]),
        "by_reason": {reason: int(n) for reason, n in zip(RULE_REASONS.values(), counts[2:-1], strict=True)},
        "merged_via_chain": int(counts[-1]),
        "listed": len(songs),
        "songs": songs,
    }


def excluded(conn: duckdb.DuckDBPyConnection, ns: str, limit: int | None) -> ExcludedEntries:
    counts = conn.execute(
        f"""SELECT count(*) FILTER (WHERE is_local), count(*) FILTER (WHERE is_unavailable),
                   count(*) FILTER (WHERE ruled_out = '{EXCLUDED_BY_RULE}'),
                   count(*) FILTER (WHERE ruled_out = '{EXCLUDED_BY_PLAYLIST}')
            FROM {ns}entries"""
    ).fetchone()
    assert counts is not None
    rows = conn.execute(
        f"""
        SELECT 'p' || (e.src_idx + 1), e.playlist_id, e.position, e.is_local, e.uri,
               coalesce(e.local_name, t.name), coalesce(e.local_artist, t.primary_artist_name), e.added_at,
               e.ruled_out
        FROM {ns}entries e LEFT JOIN tracks t ON t.id = e.item_id AND e.ruled_out IS NOT NULL
        WHERE e.excluded ORDER BY e.src_idx, e.position {_limit(limit)}
        """
    ).fetchall()
    listed: list[ExcludedEntry] = [
        {
            "source": key,
            "playlist_id": pid,
            "position": int(pos),
            "kind": ruled_out or ("local" if is_local else "unavailable"),
            "uri": uri,
            "name": name,
            "artist": artist,
            "added_at": added.isoformat() if added is not None else None,
        }
        for key, pid, pos, is_local, uri, name, artist, added, ruled_out in rows
    ]
    return {
        "local_files": int(counts[0]),
        "unavailable": int(counts[1]),
        "by_rule": int(counts[2]),
        "by_exclusions_playlist": int(counts[3]),
        "why": (
            "local files cannot be added through the Web API; unavailable entries have no playable track; "
            "excluded-by-rule and excluded-by-playlist entries are kept out by your match rules"
        ),
        "entries": listed,
    }


def warnings(
    conn: duckdb.DuckDBPyConnection, ns: str, stats: list[SourceStats], options: MergeOptions
) -> list[str]:
    out: list[str] = []
    for s in stats:
        label = f"{s['key']} ({s['name'] or s['id']})"
        if s["entries"] == 0:
            out.append(f"{label} is empty: it adds nothing to the master")
        elif s["usable_entries"] == 0:
            out.append(
                f"{label} holds only local files or unavailable entries ({s['entries']}): "
                "none of them can be added to a playlist through the Web API"
            )
        if s["undated_entries"]:
            out.append(
                f"{label}: {_n(s['undated_entries'], 'entry has', 'entries have')} no added date "
                "(very old playlist); "
                "they count as added before any dated entry, in playlist order"
            )
    row = conn.execute(
        f"""
        SELECT count(*) FILTER (WHERE type = 'track' AND duration_ms IS NULL),
               count(*) FILTER (WHERE type = 'track' AND isrc IS NULL),
               count(*) FILTER (WHERE type = 'track' AND ntitle = ''),
               count(*) FILTER (WHERE name IS NULL)
        FROM {ns}nodes
        """
    ).fetchone()
    assert row is not None
    no_duration, no_isrc, no_title, no_metadata = (int(v) for v in row)
    if no_metadata:
        out.append(
            f"{_n(no_metadata, 'track has', 'tracks have')} no stored details (name, artist): "
            "matched by id only"
        )
    if options.max_rule >= 3 and no_duration:
        out.append(
            f"{_n(no_duration, 'track has', 'tracks have')} no duration: "
            "the title/artist/duration rule cannot match them"
        )
    if options.max_rule >= 2 and no_isrc:
        out.append(f"{_n(no_isrc, 'track has', 'tracks have')} no ISRC: the ISRC rule cannot match them")
    if options.max_rule >= 3 and no_title - no_metadata > 0:
        out.append(
            f"{_n(no_title - no_metadata, 'track has', 'tracks have')} an empty or generic title once normalized "
            "(such as Intro or Untitled): "
            "the title/artist/duration rule leaves them alone"
        )
    return out
