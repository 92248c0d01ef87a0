"""Song identity: which entries are the same song, which copy is kept, why, and the master's order.

Everything happens in DuckDB, in temporary tables named with a per-analysis prefix:

  {ns}src      the sources in the user's order (src_idx 0..N-1)
  {ns}entries  every entry of the sources, with `excluded` (local file / unavailable) and a global
               `entry_rank`: added_at (NULL first: undated entries predate dated ones), then source
               order, then position
  {ns}nodes    one row per distinct track/episode id among the kept entries, with normalized title/artist
  {ns}memb     node → block memberships; a block is a set of nodes one rule says are the same song:
               'r:' relink family (rule 1), 'i:' ISRC (rule 2), 't:' title+artist+explicit+duration
               segment (rule 3). Singleton blocks are dropped.
  {ns}groups   node → gid, the connected component (gid = its smallest node id, so the grouping does
               not depend on input order), plus is_kept / reason / direct
  {ns}song_src gid × source: weight (entries there), first rank there
  {ns}songs    one row per song: kept copy, totals, reasons, planned position
  {ns}plan     the planned master, one row per URI to add (repeats with keep_weights)

Rule 3 chains through durations: tracks sharing title/artist/explicit, sorted by duration, are cut
into segments wherever two consecutive durations differ by more than the tolerance; a segment is a
block. Connected components come from label propagation over the bipartite node/block graph, until
no label changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spotify_merger.analyze import constraints
from spotify_merger.analyze.model import (
    DURATION_TOLERANCE_MS,
    MERGE_REASONS,
    REASON_SAME_ID,
    RULE_REASONS,
    MergeOptions,
)
from spotify_merger.analyze.normalize import build_keys, key_table_names

if TYPE_CHECKING:
    import duckdb

    from spotify_merger.analyze.rules import MatchRules

MAX_PROPAGATION_ROUNDS = 10_000
_REASON_CASES = " ".join(f"WHEN {rule} THEN '{reason}'" for rule, reason in RULE_REASONS.items())

_KEEP_ORDER = {
    "most-weighted": "n_entries DESC, first_added ASC NULLS FIRST, id ASC",
    "earliest-added": "first_added ASC NULLS FIRST, id ASC",
    "newest-release": "release_date DESC NULLS LAST, n_entries DESC, first_added ASC NULLS FIRST, id ASC",
    "oldest-release": "release_date ASC NULLS LAST, n_entries DESC, first_added ASC NULLS FIRST, id ASC",
}

_SONG_ORDER = {
    "first-added": "first_rank ASC",
    "source": "first_src_pos ASC, first_rank ASC",
    "weight": "total_entries DESC, first_rank ASC",
}

# The merge reasons as a SQL list literal, strongest first.
_MERGE_REASONS_SQL = ", ".join(f"'{r}'" for r in MERGE_REASONS)


def table_names(ns: str) -> list[str]:
    return [
        f"{ns}{t}"
        for t in ("src", "entries", "nodes", "memb", "labels", "groups", "song_src", "songs", "plan")
    ] + constraints.table_names(ns)


def build(
    conn: duckdb.DuckDBPyConnection,
    ns: str,
    sources: list[str],
    options: MergeOptions,
    rules: MatchRules | None = None,
    exclude_playlist: str | None = None,
    *,
    entries_table: str = "entries",
) -> int:
    """Create the analysis tables for `sources`; returns the label-propagation rounds it took.

    `entries_table` names where the entries come from (a table or view shaped like `entries`):
    sync matches over the sources, the master and what the tool once added, in one grouping.
    """
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {ns}src (src_idx INTEGER, playlist_id VARCHAR)")
    conn.executemany(f"INSERT INTO {ns}src VALUES (?, ?)", [[i, s] for i, s in enumerate(sources)])
    constraints.create(conn, ns, rules, exclude_playlist)
    _entries(conn, ns, entries_table)
    _nodes(conn, ns)
    _memberships(conn, ns, options.max_rule)
    rounds = _components(conn, ns)
    constraints.split_never(conn, ns)
    _groups(conn, ns, options)
    _songs(conn, ns, options)
    _plan(conn, ns, options)
    return rounds


def _entries(conn: duckdb.DuckDBPyConnection, ns: str, table: str = "entries") -> None:
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}entries AS
        WITH e AS (
            SELECT s.src_idx, e.playlist_id, e.position, e.item_type, e.item_id, e.uri, e.added_at,
                   e.is_local, e.is_unavailable AND NOT e.is_local AS is_unavailable,
                   e.local_name, e.local_artist, r.why AS ruled_out,
                   (e.is_local OR e.is_unavailable OR e.item_id IS NULL OR e.uri IS NULL
                    OR r.why IS NOT NULL) AS excluded
            FROM {table} e JOIN {ns}src s ON s.playlist_id = e.playlist_id
            LEFT JOIN {ns}ruled r ON r.id = e.item_id
        )
        SELECT *,
               CASE WHEN NOT excluded THEN
                   row_number() OVER (PARTITION BY excluded
                                      ORDER BY added_at ASC NULLS FIRST, src_idx, position)
               END AS entry_rank,
               src_idx::BIGINT * 4294967296 + position AS src_pos
        FROM e
        """
    )
    # A NULL item_id that is neither local nor flagged unavailable is unplayable all the same.
    conn.execute(
        f"UPDATE {ns}entries SET is_unavailable = TRUE "
        "WHERE excluded AND NOT is_local AND NOT is_unavailable AND ruled_out IS NULL"
    )


def _nodes(conn: duckdb.DuckDBPyConnection, ns: str) -> None:
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}nodes0 AS
        WITH ids AS (
            SELECT item_id AS id, min(uri) AS uri, min(item_type) AS item_type,
                   count(*) AS n_entries, min(entry_rank) AS first_rank,
                   -- NULL when any entry is undated: undated entries predate every dated one.
                   CASE WHEN bool_or(added_at IS NULL) THEN NULL ELSE min(added_at) END AS first_added
            FROM {ns}entries WHERE NOT excluded GROUP BY item_id
        )
        SELECT ids.id, ids.uri,
               coalesce(t.type, ids.item_type, CASE WHEN ids.uri LIKE 'spotify:episode:%'
                                                    THEN 'episode' ELSE 'track' END) AS type,
               t.name, t.primary_artist_name AS artist, t.artist_names, t.album_name, t.album_type,
               t.release_date, t.release_year, t.duration_ms, t.explicit,
               nullif(upper(trim(t.isrc)), '') AS isrc,
               nullif(t.linked_from_id, '') AS linked_from_id,
               ids.n_entries, ids.first_rank, ids.first_added
        FROM ids LEFT JOIN tracks t ON t.id = ids.id
        """
    )
    # The credited artists, in credit order; a track stored without its credit list falls back to
    # its primary artist.
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}ncredits AS
        SELECT ta.track_id AS id, ta.artist_name AS name
        FROM track_artists ta SEMI JOIN {ns}nodes0 n ON n.id = ta.track_id
        UNION ALL
        SELECT n.id, n.artist FROM {ns}nodes0 n
        WHERE n.artist IS NOT NULL AND NOT EXISTS (SELECT 1 FROM track_artists ta WHERE ta.track_id = n.id)
        """
    )
    build_keys(
        conn,
        ns,
        f"SELECT name FROM {ns}nodes0 WHERE type = 'track'",
        f"SELECT name FROM {ns}ncredits",
        f"SELECT album_name FROM {ns}nodes0 WHERE type = 'track'",
    )
    sep = "chr(30)"
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}nodes AS
        WITH atoms AS (
            SELECT c.id, unnest(string_split(k.atoms, {sep})) AS atom
            FROM {ns}ncredits c JOIN {ns}akeys k ON k.name = c.name
            UNION
            SELECT n.id, unnest(string_split(k.credits, {sep}))
            FROM {ns}nodes0 n JOIN {ns}tkeys k ON k.name = n.name WHERE k.credits <> ''
        ),
        sets AS (
            SELECT id, string_agg(atom, {sep} ORDER BY atom) AS nartists
            FROM (SELECT DISTINCT id, atom FROM atoms WHERE atom <> '') GROUP BY id
        )
        SELECT n.*,
               -- When the title is silent about its version, the album's markers are its version:
               -- "Song" on "Live at Leeds" reads like "Song (Live)".
               CASE WHEN coalesce(tk.tkey, '') = '' OR tk.has_version OR coalesce(mk.marks, '') = ''
                    THEN coalesce(tk.tkey, '')
                    ELSE tk.tkey || ' (' || replace(mk.marks, ',', ') (') || ')' END AS ntitle,
               coalesce(s.nartists, '') AS nartists
        FROM {ns}nodes0 n
        LEFT JOIN {ns}tkeys tk ON tk.name = n.name AND n.type = 'track'
        LEFT JOIN {ns}mkeys mk ON mk.name = n.album_name AND n.type = 'track'
        LEFT JOIN sets s ON s.id = n.id
        """
    )
    for name in (f"{ns}nodes0", f"{ns}ncredits", *key_table_names(ns)):
        conn.execute(f"DROP TABLE IF EXISTS {name}")


def _memberships(conn: duckdb.DuckDBPyConnection, ns: str, max_rule: int) -> None:
    parts = [
        # Rule 1: a relinked track and the id it was relinked from share a family block.
        f"SELECT id AS node, 'r:' || id AS block, 1 AS rule FROM {ns}nodes WHERE linked_from_id IS NOT NULL",
        f"SELECT id, 'r:' || linked_from_id, 1 FROM {ns}nodes WHERE linked_from_id IS NOT NULL",
        f"""SELECT n.id, 'r:' || n.id, 1 FROM {ns}nodes n
            WHERE n.id IN (SELECT linked_from_id FROM {ns}nodes WHERE linked_from_id IS NOT NULL)""",
    ]
    # The user's `same` rules apply whatever --match says.
    parts.append(constraints.same_memberships_sql(ns))
    if max_rule >= 2:
        parts.append(f"SELECT id, 'i:' || isrc, 2 FROM {ns}nodes WHERE isrc IS NOT NULL AND type = 'track'")
    if max_rule >= 3:
        # An empty title key, no artist or no duration never links under rule 3. Explicit and clean
        # versions are kept apart.
        key = "ntitle || chr(31) || nartists || chr(31) || explicit_key"
        parts.append(
            f"""
            SELECT id, 't:' || {key} || chr(31) || seg, 3
            FROM (
                SELECT id, ntitle, nartists, explicit_key, duration_ms,
                       sum(gap) OVER (PARTITION BY {key} ORDER BY duration_ms, id ROWS UNBOUNDED PRECEDING) AS seg
                FROM (
                    SELECT id, ntitle, nartists, explicit_key, duration_ms,
                           CASE WHEN duration_ms - lag(duration_ms) OVER (
                                    PARTITION BY {key} ORDER BY duration_ms, id) <= {DURATION_TOLERANCE_MS}
                                THEN 0 ELSE 1 END AS gap
                    FROM (SELECT *, coalesce(explicit::INTEGER::VARCHAR, '?') AS explicit_key FROM {ns}nodes)
                    WHERE type = 'track' AND ntitle <> '' AND nartists <> '' AND duration_ms IS NOT NULL
                )
            )
            """
        )
    union = "\nUNION\n".join(parts)
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}memb AS
        WITH m AS ({union})
        SELECT node, block, rule FROM m
        WHERE block IN (SELECT block FROM m GROUP BY block HAVING count(DISTINCT node) > 1)
        """
    )


def _components(conn: duckdb.DuckDBPyConnection, ns: str) -> int:
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {ns}labels AS SELECT DISTINCT node, node AS label FROM {ns}memb"
    )
    rounds = 0
    while rounds < MAX_PROPAGATION_ROUNDS:
        rounds += 1
        conn.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ns}labels_next AS
            WITH bl AS (
                SELECT m.block, min(l.label) AS label FROM {ns}memb m JOIN {ns}labels l USING (node)
                GROUP BY m.block
            ),
            nl AS (
                SELECT m.node, min(bl.label) AS label FROM {ns}memb m JOIN bl USING (block) GROUP BY m.node
            )
            SELECT l.node, least(l.label, nl.label) AS label FROM {ns}labels l JOIN nl USING (node)
            """
        )
        row = conn.execute(
            f"SELECT count(*) FROM {ns}labels a JOIN {ns}labels_next b USING (node) WHERE a.label <> b.label"
        ).fetchone()
        conn.execute(f"DROP TABLE {ns}labels")
        conn.execute(f"ALTER TABLE {ns}labels_next RENAME TO {ns}labels")
        if row is None or row[0] == 0:
            break
    return rounds


def _groups(conn: duckdb.DuckDBPyConnection, ns: str, options: MergeOptions) -> None:
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}groups AS
        WITH g AS (
            SELECT n.*, coalesce(l.label, n.id) AS gid
            FROM {ns}nodes n LEFT JOIN {ns}labels l ON l.node = n.id
        ),
        ranked AS (
            SELECT g.*,
                   row_number() OVER (PARTITION BY gid ORDER BY {_KEEP_ORDER[options.keep]}) = 1 AS is_kept
            FROM g
        ),
        kept AS (SELECT gid, id AS kept_id FROM ranked WHERE is_kept),
        -- For each merged node: the strongest rule linking it straight to the kept copy, else the
        -- strongest rule linking it to anything in its group (then it joined through a chain).
        -- Blocks still linking two nodes of one group (a `never` rule may have cut the others).
        live AS (
            SELECT m.block, r.gid FROM {ns}memb m JOIN ranked r ON r.id = m.node
            GROUP BY m.block, r.gid HAVING count(*) > 1
        ),
        why AS (
            SELECT m.node, min(CASE WHEN k2.node IS NOT NULL THEN m.rule END) AS direct_rule,
                   min(m.rule) AS any_rule
            FROM {ns}memb m
            JOIN ranked r ON r.id = m.node AND NOT r.is_kept
            JOIN live v ON v.block = m.block AND v.gid = r.gid
            JOIN kept k ON k.gid = r.gid
            LEFT JOIN {ns}memb k2 ON k2.block = m.block AND k2.node = k.kept_id
            GROUP BY m.node
        )
        SELECT r.*, k.kept_id,
               CASE WHEN r.is_kept THEN NULL
                    ELSE CASE coalesce(w.direct_rule, w.any_rule) {_REASON_CASES} END
               END AS reason,
               CASE WHEN r.is_kept THEN NULL ELSE w.direct_rule IS NOT NULL END AS direct
        FROM ranked r JOIN kept k USING (gid) LEFT JOIN why w ON w.node = r.id
        """
    )


def _songs(conn: duckdb.DuckDBPyConnection, ns: str, options: MergeOptions) -> None:
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}song_src AS
        SELECT g.gid, e.src_idx, count(*) AS weight, min(e.entry_rank) AS first_rank,
               min(e.src_pos) AS first_src_pos
        FROM {ns}entries e JOIN {ns}groups g ON g.id = e.item_id
        WHERE NOT e.excluded
        GROUP BY g.gid, e.src_idx
        """
    )
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}songs AS
        WITH agg AS (
            SELECT gid, sum(weight)::BIGINT AS total_entries, max(weight) AS max_weight,
                   arg_min(src_idx, [-weight, src_idx]) AS heaviest_src,
                   min(first_rank) AS first_rank, min(first_src_pos) AS first_src_pos,
                   count(*) AS n_sources
            FROM {ns}song_src GROUP BY gid
        ),
        trk AS (
            SELECT gid, count(*) AS n_tracks,
                   bool_or(n_entries > 1) AS repeated_id,
                   list_sort(list(DISTINCT reason) FILTER (WHERE reason IS NOT NULL)) AS merge_reasons
            FROM {ns}groups GROUP BY gid
        ),
        s AS (
            SELECT agg.*, trk.n_tracks, trk.merge_reasons, trk.repeated_id,
                   k.id AS kept_id, k.uri, k.type, k.name, k.artist, k.album_name, k.release_date,
                   k.release_year, k.duration_ms, k.explicit, k.isrc
            FROM agg JOIN trk USING (gid) JOIN {ns}groups k ON k.gid = agg.gid AND k.is_kept
        )
        SELECT row_number() OVER (ORDER BY {_SONG_ORDER[options.order]}) AS song_pos, s.*,
               CASE WHEN total_entries = 1 THEN 'unique'
                    ELSE array_to_string(
                        list_filter([{_MERGE_REASONS_SQL}],
                                    lambda x: (x = '{REASON_SAME_ID}' AND repeated_id)
                                              OR list_contains(merge_reasons, x)),
                        '+')
               END AS reason
        FROM s
        """
    )


def _plan(conn: duckdb.DuckDBPyConnection, ns: str, options: MergeOptions) -> None:
    if not options.keep_weights:
        conn.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {ns}plan AS
            SELECT song_pos AS pos, gid, uri FROM {ns}songs
            """
        )
        return
    # A weighted master: each song once per entry it has in its heaviest source; with the
    # first-added or source order those copies sit where their own entries sort.
    copy_order = {
        "first-added": "e.entry_rank",
        "source": "e.src_pos",
        "weight": "s.song_pos, e.entry_rank",
    }[options.order]
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}plan AS
        SELECT row_number() OVER (ORDER BY {copy_order}) AS pos, s.gid, s.uri
        FROM {ns}songs s
        JOIN {ns}groups g ON g.gid = s.gid
        JOIN {ns}entries e ON e.item_id = g.id AND e.src_idx = s.heaviest_src AND NOT e.excluded
        """
    )
