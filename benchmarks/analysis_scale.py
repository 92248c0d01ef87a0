"""Analysis at scale: plan() + generate_dry_run_report() at 18k, 100k and 1M entries.

`uv run python benchmarks/analysis_scale.py [--quick]`

Each size gets its own synthetic database, generated in SQL (generate_series) in one child process,
then analysed in a fresh child process whose peak resident memory (ru_maxrss) is the figure
reported: DuckDB allocates outside Python, so tracemalloc would miss most of it. The 18k case is
the issue's "two playlists of 9,000"; larger sizes spread the entries over `playlists` playlists.

The library mimics the real shape: ~30% unique songs, a skewed weight distribution, 10% of songs
also present as a single (same ISRC), 3% as a remaster (new ISRC, "- 2011 Remaster", duration
within 2 s), plus a few local files and unavailable entries. Every track has its credit list
(track_artists; one in ten has a guest), and about one title in seven carries annotations
(credits, versions, remasters) and one album in twenty a version marker, so the title grammar
reads a realistic share of non-trivial titles.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGETS = {18_000: 1.0, 1_000_000: 15.0}  # seconds for plan + dry-run report
MEMORY_TARGET_MB = 2048


def synthesize(db_path: Path, entries: int, playlists: int) -> None:
    from spotify_merger.store.database import Database

    songs = max(10, int(entries * 0.3))
    per_playlist = entries // playlists
    with Database(db_path) as db, db.transaction() as conn:
        conn.execute("SELECT setseed(0.42)")
        # Originals, then single copies (same ISRC) of 10% and remasters (new ISRC) of 3% of songs.
        conn.execute(
            f"""
            INSERT INTO tracks (id, uri, type, name, primary_artist_id, primary_artist_name, artist_names,
                                album_id, album_name, album_type, release_date, release_year, duration_ms,
                                explicit, isrc, fetched_at)
            WITH base AS (
                SELECT i, 'Song ' || i || CASE i % 21 WHEN 3 THEN ' (feat. Guest ' || (i % 97) || ')'
                                                     WHEN 5 THEN ' - Live' WHEN 8 THEN ' (Radio Edit)'
                                                     WHEN 13 THEN ' [Remastered 2009] (Live / Mono)'
                                                     ELSE '' END AS title,
                       'Artist ' || (i % {max(1, songs // 9)}) AS artist,
                       120000 + (hash(i) % 270000)::INTEGER AS duration, 1960 + (i % 65) AS year,
                       i % 7 = 0 AS explicit
                FROM generate_series(0, {songs - 1}) t(i)
            ),
            copies AS (
                SELECT i, 0 AS copy, title, duration, 'album' AS album_type, 'ISRC' || i AS isrc FROM base
                UNION ALL
                SELECT i, 1, title, duration, 'single', 'ISRC' || i FROM base WHERE i % 10 = 1
                UNION ALL
                SELECT i, 2, title || ' - 2011 Remaster', duration + 900, 'album', 'REM' || i FROM base
                WHERE i % 33 = 2
            )
            SELECT printf('%020d%02d', c.i, c.copy),
                   'spotify:track:' || printf('%020d%02d', c.i, c.copy), 'track',
                   c.title, 'ar' || b.artist, b.artist, b.artist, 'al' || c.i,
                   CASE WHEN c.i % 20 = 7 THEN 'Live at the Hall ' || c.i ELSE 'Album ' || c.i END, c.album_type,
                   b.year::VARCHAR, b.year, c.duration, b.explicit, c.isrc, current_timestamp
            FROM copies c JOIN base b USING (i)
            """
        )
        # Credit lists: the primary artist, plus a guest on one track in ten.
        conn.execute(
            """
            INSERT INTO track_artists
            SELECT id, 0, primary_artist_id, primary_artist_name FROM tracks
            UNION ALL
            SELECT id, 1, 'guest' || (hash(id) % 500), 'Guest ' || (hash(id) % 500) FROM tracks
            WHERE hash(id) % 10 = 0
            """
        )
        conn.execute(
            f"""
            INSERT INTO playlists
            SELECT 'pl' || lpad(p::VARCHAR, 20, '0'), 'Playlist ' || p, 'me', 'Me', 'snap' || p,
                   {per_playlist},
                   50, current_timestamp, TRUE
            FROM generate_series(0, {playlists - 1}) t(p)
            """
        )
        # Skewed picks (random()^2.5) make a weighted-shuffle shape: a few songs repeated a lot.
        conn.execute(
            f"""
            INSERT INTO entries
            WITH e AS (
                SELECT p, pos, floor(pow(random(), 2.5) * {songs})::BIGINT AS song, random() AS r
                FROM generate_series(0, {playlists - 1}) a(p), generate_series(0, {per_playlist - 1}) b(pos)
            ),
            picked AS (
                SELECT p, pos, r,
                       CASE WHEN song % 10 = 1 AND r < 0.4 THEN printf('%020d%02d', song, 1)
                            WHEN song % 33 = 2 AND r < 0.4 THEN printf('%020d%02d', song, 2)
                            ELSE printf('%020d%02d', song, 0) END AS tid
                FROM e
            )
            SELECT 'pl' || lpad(p::VARCHAR, 20, '0'), pos,
                   CASE WHEN r > 0.997 THEN NULL ELSE 'track' END,
                   CASE WHEN r > 0.997 THEN NULL ELSE tid END,
                   CASE WHEN r > 0.9985 THEN 'spotify:local:me:demo:' || pos || ':200'
                        WHEN r > 0.997 THEN NULL ELSE 'spotify:track:' || tid END,
                   TIMESTAMP '2015-01-01' + to_seconds((pos * 3600 + p * 60)::BIGINT),
                   'me', r > 0.9985, r > 0.997 AND r <= 0.9985, NULL, NULL
            FROM picked
            """
        )


def _child_analyse(db_path: str) -> dict[str, Any]:
    import resource

    from spotify_merger.analyze import SpotifyAnalyzer
    from spotify_merger.store.database import Database

    with Database(db_path, read_only=True) as db:
        started = time.perf_counter()
        an = SpotifyAnalyzer(db)
        plan = an.plan()
        report = an.generate_dry_run_report()
        analysis_s = time.perf_counter() - started
        dna_started = time.perf_counter()
        an.musical_dna()
        dna_s = time.perf_counter() - dna_started
        rounds = an.propagation_rounds
        an.close()
    return {
        "analysis_s": round(analysis_s, 3),
        "dna_s": round(dna_s, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "songs": plan.song_count,
        "entries_total": report["before"]["total_entries"],
        "merged_ids": report["impact"]["merged_track_ids"],
        "propagation_rounds": rounds,
    }


def _child(args: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(sizes: tuple[int, ...] = (18_000, 100_000, 1_000_000), playlists: int = 100) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="analysis-scale-") as tmp:
        for size in sizes:
            n_playlists = 2 if size <= 20_000 else playlists
            db_path = Path(tmp) / f"s{size}.duckdb"
            started = time.perf_counter()
            _child(["--synthesize", str(db_path), str(size), str(n_playlists)])
            synth_s = time.perf_counter() - started
            row: dict[str, Any] = {"entries": size, "playlists": n_playlists, "synth_s": round(synth_s, 2)}
            row.update(_child(["--analyse", str(db_path)]))
            target = TARGETS.get(size)
            row["target_s"] = target
            row["meets_target"] = (target is None or row["analysis_s"] < target) and row[
                "peak_mb"
            ] < MEMORY_TARGET_MB
            results.append(row)
    return results


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'entries':>10} {'playlists':>9} {'songs':>8} {'plan+report s':>13} {'dna s':>6} {'peak MB':>8} "
        f"{'target':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        target = f"<{r['target_s']:g} s" if r["target_s"] else "-"
        print(
            f"{r['entries']:>10,} {r['playlists']:>9} {r['songs']:>8,} {r['analysis_s']:>13.2f} "
            f"{r['dna_s']:>6.2f} "
            f"{r['peak_mb']:>8.0f} {target:>8}  {'ok' if r['meets_target'] else 'MISSED'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (CI)")
    parser.add_argument(
        "--synthesize", nargs=3, metavar=("DB", "ENTRIES", "PLAYLISTS"), help=argparse.SUPPRESS
    )
    parser.add_argument("--analyse", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.synthesize:
        synthesize(Path(args.synthesize[0]), int(args.synthesize[1]), int(args.synthesize[2]))
        print(json.dumps({"ok": True}))
        return
    if args.analyse:
        print(json.dumps(_child_analyse(args.analyse)))
        return
    rows = run((2_000, 18_000), playlists=10) if args.quick else run()
    print_table(rows)


if __name__ == "__main__":
    main()
