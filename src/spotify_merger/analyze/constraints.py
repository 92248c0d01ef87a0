"""The user's rules (`rules.MatchRules`, `--exclude-playlist`) applied to one analysis' tables.

  {ns}ruled   track id → why it stays out of the master ('excluded-by-rule', 'excluded-by-playlist')
  {ns}usame   pairs a `same` rule merges: a rule-0 block each, stronger than every automatic rule
  {ns}unever  pairs a `never` rule keeps apart

`never` cannot be expressed as a block: after the connected components are found, the few
components holding both tracks of a `never` pair are rebuilt here, block by block, strongest rule
first, refusing every union that would put such a pair together. So a user rule always wins: over
the automatic rules, and over a chain of `same` rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spotify_merger.analyze.model import EXCLUDED_BY_PLAYLIST, EXCLUDED_BY_RULE
from spotify_merger.analyze.results import RuleEffect
from spotify_merger.analyze.rules import MatchRules

if TYPE_CHECKING:
    import duckdb


def table_names(ns: str) -> list[str]:
    return [f"{ns}ruled", f"{ns}usame", f"{ns}unever"]


def create(
    conn: duckdb.DuckDBPyConnection, ns: str, rules: MatchRules | None, exclude_playlist: str | None
) -> None:
    rules = rules or MatchRules()
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {ns}ruled (id VARCHAR PRIMARY KEY, why VARCHAR)")
    if rules.excluded:
        conn.executemany(
            f"INSERT INTO {ns}ruled VALUES (?, ?)", [[t, EXCLUDED_BY_RULE] for t in sorted(rules.excluded)]
        )
    if exclude_playlist:
        conn.execute(
            f"""
            INSERT OR IGNORE INTO {ns}ruled
            SELECT DISTINCT item_id, ? FROM entries WHERE playlist_id = ? AND item_id IS NOT NULL
            """,
            [EXCLUDED_BY_PLAYLIST, exclude_playlist],
        )
    for key in ("same", "never"):
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {ns}u{key} (a VARCHAR, b VARCHAR)")
        pairs = [list(r.tracks) for r in rules.of(key)]
        if pairs:
            conn.executemany(f"INSERT INTO {ns}u{key} VALUES (?, ?)", pairs)


def same_memberships_sql(ns: str) -> str:
    """Rule-0 memberships for the `same` pairs whose two tracks are both in the analysis."""
    return f"""
        SELECT x.node, 'u:' || u.a || ':' || u.b, 0
        FROM {ns}usame u, LATERAL (SELECT u.a AS node UNION ALL SELECT u.b) x
        WHERE u.a IN (SELECT id FROM {ns}nodes) AND u.b IN (SELECT id FROM {ns}nodes)
    """


def split_never(conn: duckdb.DuckDBPyConnection, ns: str) -> int:
    """Rebuild the components that hold a `never` pair; returns how many such pairs were split."""
    clashing = conn.execute(
        f"""
        SELECT DISTINCT la.label FROM {ns}unever n
        JOIN {ns}labels la ON la.node = n.a JOIN {ns}labels lb ON lb.node = n.b
        WHERE la.label = lb.label
        """
    ).fetchall()
    if not clashing:
        return 0
    labels = [r[0] for r in clashing]
    memberships = conn.execute(
        f"""
        SELECT m.block, m.rule, m.node FROM {ns}memb m JOIN {ns}labels l USING (node)
        WHERE l.label IN (SELECT unnest(?::VARCHAR[])) ORDER BY m.rule, m.block, m.node
        """,
        [labels],
    ).fetchall()
    never = {frozenset(p) for p in conn.execute(f"SELECT a, b FROM {ns}unever").fetchall()}
    parent: dict[str, str] = {}
    members: dict[str, set[str]] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        members.setdefault(x, {x})
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        rx, ry = find(x), find(y)
        if rx == ry or any(frozenset((u, v)) in never for u in members[rx] for v in members[ry]):
            return
        parent[ry] = rx
        members[rx] |= members.pop(ry)

    first_of_block: dict[str, str] = {}
    for block, _rule, node in memberships:
        find(node)
        if block in first_of_block:
            union(first_of_block[block], node)
        else:
            first_of_block[block] = node
    relabel = [[min(members[find(node)]), node] for node in parent]
    conn.executemany(f"UPDATE {ns}labels SET label = ? WHERE node = ?", relabel)
    return sum(1 for pair in never if pair <= set(parent))


def report(conn: duckdb.DuckDBPyConnection, ns: str, rules: MatchRules | None) -> list[RuleEffect]:
    """Each rule and what it did here: merged, kept apart, excluded, or names a track no source holds."""
    out: list[RuleEffect] = []
    if not rules:
        return out
    rows = conn.execute(f"SELECT DISTINCT item_id FROM {ns}entries WHERE item_id IS NOT NULL").fetchall()
    present = {r[0] for r in rows}
    gid = dict(conn.execute(f"SELECT id, gid FROM {ns}groups").fetchall())
    for rule in rules.rules:
        missing = [t for t in rule.tracks if t not in present]
        if missing:
            effect = "no source holds " + ", ".join(f"spotify:track:{t}" for t in missing)
        elif rule.key == "exclude":
            effect = "excluded"
        elif rule.key == "same":
            effect = "merged" if gid.get(rule.tracks[0]) == gid.get(rule.tracks[1]) else "not merged"
        else:
            effect = "kept apart" if gid.get(rule.tracks[0]) != gid.get(rule.tracks[1]) else "merged"
        out.append(
            {
                "rule": rule.key,
                "tracks": [f"spotify:track:{t}" for t in rule.tracks],
                "effect": effect,
                "in_sources": not missing,
            }
        )
    return out
