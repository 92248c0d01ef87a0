"""Overlap between sources at the song level, for any number of sources.

For two sources this gives the seed's only_p1 / only_p2 / in_both with the Jaccard index; for N it
gives each source's exclusive songs, the songs in every source, pairwise intersections and Jaccard
indices, and the most common source combinations (an UpSet-style list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spotify_merger.analyze.results import Overlap, PairOverlap

if TYPE_CHECKING:
    import duckdb

MAX_COMBINATIONS = 20


def overlap(conn: duckdb.DuckDBPyConnection, ns: str, n_sources: int) -> Overlap:
    keys = [f"p{i + 1}" for i in range(n_sources)]
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}membership AS
        SELECT gid, list_sort(list(src_idx)) AS srcs FROM {ns}song_src GROUP BY gid
        """
    )
    total_row = conn.execute(f"SELECT count(*) FROM {ns}membership").fetchone()
    union = int(total_row[0]) if total_row else 0
    exclusive = dict(
        conn.execute(
            f"SELECT srcs[1], count(*) FROM {ns}membership WHERE len(srcs) = 1 GROUP BY 1"
        ).fetchall()
    )
    all_row = conn.execute(f"SELECT count(*) FROM {ns}membership WHERE len(srcs) = ?", [n_sources]).fetchone()
    multi_row = conn.execute(f"SELECT count(*) FROM {ns}membership WHERE len(srcs) > 1").fetchone()
    sizes = dict(conn.execute(f"SELECT src_idx, count(*) FROM {ns}song_src GROUP BY src_idx").fetchall())
    pairs = conn.execute(
        f"""
        SELECT a.src_idx, b.src_idx, count(*) FROM {ns}song_src a
        JOIN {ns}song_src b ON a.gid = b.gid AND a.src_idx < b.src_idx
        GROUP BY 1, 2 ORDER BY 1, 2
        """
    ).fetchall()
    combos = conn.execute(
        f"""
        SELECT srcs, count(*) AS n FROM {ns}membership GROUP BY srcs
        ORDER BY n DESC, len(srcs), srcs LIMIT {MAX_COMBINATIONS}
        """
    ).fetchall()
    conn.execute(f"DROP TABLE {ns}membership")

    in_all = int(all_row[0]) if all_row and n_sources > 1 else 0
    pairwise: list[PairOverlap] = []
    for a, b, n in pairs:
        union_ab = sizes.get(a, 0) + sizes.get(b, 0) - n
        pairwise.append(
            {
                "a": keys[a],
                "b": keys[b],
                "in_both": int(n),
                "jaccard": round(n / union_ab, 4) if union_ab else 0.0,
            }
        )
    # The seed's two-playlist view; with a single source the "other" side is simply empty.
    in_both = pairwise[0]["in_both"] if pairwise else 0
    first_two = sizes.get(0, 0) + sizes.get(1, 0) - in_both
    return {
        "sources": keys,
        "union_songs": union,
        "in_all": in_all,
        "in_several": int(multi_row[0]) if multi_row else 0,
        "only": {keys[i]: int(exclusive.get(i, 0)) for i in range(n_sources)},
        "songs_per_source": {keys[i]: int(sizes.get(i, 0)) for i in range(n_sources)},
        "pairwise": pairwise,
        "combinations": [{"sources": [keys[i] for i in srcs], "songs": int(n)} for srcs, n in combos],
        "only_p1": int(exclusive.get(0, 0)),
        "only_p2": int(exclusive.get(1, 0)) if n_sources > 1 else 0,
        "in_both": int(in_both),
        "jaccard": round(in_both / first_two, 4) if first_two and n_sources > 1 else 0.0,
    }
