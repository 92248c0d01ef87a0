"""Song identity for sync: the current plan, and which song every URI in play is, by `run`'s rules.

The plan comes from the sources alone (exactly what `run` would plan today). Matching then runs
once over everything sync compares: the sources, the master's parts as they are now, and the
URIs the tool once added that are no longer there (so a song the user removed is recognised in
any of its copies). Every URI gets the id of its connected group: two URIs are the same song for
sync exactly when `run` would merge them, given all of these entries.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from spotify_merger.analyze import MergeOptions, MergePlan, SpotifyAnalyzer, dedup
from spotify_merger.analyze.rules import MatchRules
from spotify_merger.store.database import Database
from spotify_merger.sync.delta import PlanEntry

LEDGER_SOURCE = "~ledger"  # the pseudo playlist holding URIs the tool added that are gone now
_ENTRY_COLUMNS = (
    "playlist_id, position, item_type, item_id, uri, added_at, added_by, is_local, is_unavailable, "
    "local_name, local_artist"
)
_namespaces = itertools.count(1)


@dataclass
class Songs:
    plan: MergePlan
    entries: list[PlanEntry]  # the plan in order, each with its song
    song_of: dict[str, str]  # uri -> song id, for every URI of the sources, the parts and the ledger


def identify(
    db: Database,
    sources: list[str],
    parts: list[str],
    ledger_uris: Iterable[str],
    options: MergeOptions,
    *,
    rules: MatchRules | None = None,
    exclude_playlist: str | None = None,
) -> Songs:
    """The plan and every URI's song, with the user's rules applied exactly as `run` applies them."""
    with SpotifyAnalyzer(db, sources, options, rules=rules, exclude_playlist=exclude_playlist) as analyzer:
        plan = analyzer.plan()
        planned = analyzer.plan_songs()
    ns = f"_sm_sync{next(_namespaces)}_"
    with db.lock:
        conn = db.conn
        try:
            placeholders = ", ".join("?" for _ in [*sources, *parts]) or "NULL"
            conn.execute(
                f"CREATE OR REPLACE TEMP TABLE {ns}gone AS SELECT u.uri FROM (SELECT unnest(?::VARCHAR[]) AS uri) u"
                f" WHERE u.uri NOT IN (SELECT uri FROM entries WHERE uri IS NOT NULL AND playlist_id IN ({placeholders}))",
                [sorted(set(ledger_uris)), *sources, *parts],
            )
            conn.execute(
                f"""
                CREATE OR REPLACE TEMP VIEW {ns}all AS
                SELECT {_ENTRY_COLUMNS} FROM entries
                UNION ALL
                SELECT '{LEDGER_SOURCE}', (row_number() OVER (ORDER BY uri))::INTEGER - 1,
                       CASE WHEN uri LIKE 'spotify:episode:%' THEN 'episode' ELSE 'track' END,
                       split_part(uri, ':', 3), uri, NULL::TIMESTAMP, NULL, FALSE, FALSE, NULL, NULL
                FROM {ns}gone
                """
            )
            dedup.build(
                conn,
                ns,
                [*sources, *parts, LEDGER_SOURCE],
                options,
                rules,
                exclude_playlist,
                entries_table=f"{ns}all",
            )
            rows = conn.execute(
                f"SELECT DISTINCT e.uri, g.gid FROM {ns}entries e JOIN {ns}groups g ON g.id = e.item_id"
                " WHERE NOT e.excluded"
            ).fetchall()
        finally:
            for name in [*dedup.table_names(ns), f"{ns}gone"]:
                conn.execute(f"DROP TABLE IF EXISTS {name}")
            conn.execute(f"DROP VIEW IF EXISTS {ns}all")
    song_of = {str(uri): str(gid) for uri, gid in rows}
    entries = [PlanEntry(uri, song_of.get(uri, f"uri:{uri}"), gid) for uri, gid in planned]
    return Songs(plan, entries, song_of)
