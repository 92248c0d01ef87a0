"""Musical DNA: what the library sounds like, per source (weighted by weight) and for the master.

Two modes, and the result says which one and why:
- "audio-features": audio features are stored (extended-quota apps): distributions of danceability,
  energy, valence, tempo and the rest per source, weighted by weight, and compared;
- "metadata": no audio features (Development Mode apps cannot read them since 2024-11-27): release
  decades and years, durations, explicit share, artist concentration and an added-over-time timeline.
The metadata part is computed in both modes.

Sources count every entry, so a song repeated five times weighs five; the master counts each song once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spotify_merger.analyze.results import (
    AudioFeatures,
    FeatureComparison,
    FeatureStats,
    MusicalDna,
    ScopeMetadata,
)

if TYPE_CHECKING:
    import duckdb

UNIT_FEATURES = (
    "danceability",
    "energy",
    "valence",
    "acousticness",
    "instrumentalness",
    "liveness",
    "speechiness",
)
# name -> (low, bin width, number of bins): values outside are clamped into the end bins.
FEATURE_BINS: dict[str, tuple[float, float, int]] = {
    **{f: (0.0, 0.1, 10) for f in UNIT_FEATURES},
    "tempo": (60.0, 10.0, 14),
    "loudness": (-30.0, 2.0, 15),
}
TOP_ARTISTS = 10


def _mode(conn: duckdb.DuckDBPyConnection, ns: str) -> tuple[str, str, float]:
    cap = conn.execute("SELECT available, reason FROM capabilities WHERE name = 'audio_features'").fetchone()
    row = conn.execute(
        f"""
        SELECT count(*) FILTER (WHERE s.type = 'track'),
               count(DISTINCT s.gid) FILTER (WHERE s.type = 'track' AND af.track_id IS NOT NULL)
        FROM {ns}songs s
        LEFT JOIN (SELECT g.gid, af.track_id FROM {ns}groups g
                   JOIN audio_features af ON af.track_id = g.id) af
               USING (gid)
        """
    ).fetchone()
    tracks, covered = (int(row[0]), int(row[1])) if row else (0, 0)
    coverage = covered / tracks if tracks else 0.0
    if covered:
        return "audio-features", f"audio features are stored for {covered} of {tracks} songs", coverage
    if cap is not None and not cap[0]:
        return "metadata", cap[1] or "the Spotify app cannot read audio features", 0.0
    if cap is not None and cap[0]:
        return "metadata", "audio features are available but none are stored for these songs yet", 0.0
    return "metadata", "no audio features were fetched for these songs", 0.0


def musical_dna(conn: duckdb.DuckDBPyConnection, ns: str, n_sources: int) -> MusicalDna:
    mode, reason, coverage = _mode(conn, ns)
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}dna AS
        SELECT 'p' || (e.src_idx + 1) AS scope, s.gid, s.kept_id, s.type, s.release_year, s.duration_ms,
               s.explicit, s.artist, e.added_at
        FROM {ns}entries e JOIN {ns}groups g ON g.id = e.item_id JOIN {ns}songs s ON s.gid = g.gid
        WHERE NOT e.excluded
        UNION ALL
        SELECT 'master', gid, kept_id, type, release_year, duration_ms, explicit, artist, NULL FROM {ns}songs
        """
    )
    scopes = [f"p{i + 1}" for i in range(n_sources)] + ["master"]
    metadata = {scope: _empty_metadata() for scope in scopes}
    try:
        _fill_metadata(conn, ns, metadata)
        features = _features(conn, ns, scopes) if mode == "audio-features" else None
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {ns}dna")
    return {
        "mode": mode,
        "reason": reason,
        "audio_feature_coverage": round(coverage, 4),
        "scopes": scopes,
        "weighting": "each source counts every entry (weighted by weight); the master counts each song once",
        "metadata": metadata,
        "audio_features": features,
    }


def _empty_metadata() -> ScopeMetadata:
    return {
        "tracks": 0,
        "episodes": 0,
        "decades": {},
        "release_years": {},
        "median_release_year": None,
        "duration": {"mean_s": None, "median_s": None, "histogram_min": {}},
        "explicit_share": None,
        "artists": {"distinct": 0, "top": [], "half_library_artists": 0},
        "timeline": {},
        "undated": 0,
    }


def _fill_metadata(conn: duckdb.DuckDBPyConnection, ns: str, out: dict[str, ScopeMetadata]) -> None:
    for scope, tracks, episodes, median_year, mean_d, median_d, explicit, undated in conn.execute(
        f"""
        SELECT scope, count(*) FILTER (WHERE type = 'track'), count(*) FILTER (WHERE type = 'episode'),
               median(release_year) FILTER (WHERE type = 'track'),
               avg(duration_ms) FILTER (WHERE type = 'track') / 1000.0,
               median(duration_ms) FILTER (WHERE type = 'track') / 1000.0,
               avg(CASE WHEN explicit THEN 1.0 ELSE 0.0 END)
                   FILTER (WHERE type = 'track' AND explicit IS NOT NULL),
               count(*) FILTER (WHERE added_at IS NULL AND scope <> 'master')
        FROM {ns}dna GROUP BY scope
        """
    ).fetchall():
        m = out[scope]
        m["tracks"], m["episodes"], m["undated"] = int(tracks), int(episodes), int(undated)
        m["median_release_year"] = None if median_year is None else int(median_year)
        m["duration"]["mean_s"] = None if mean_d is None else round(float(mean_d), 1)
        m["duration"]["median_s"] = None if median_d is None else round(float(median_d), 1)
        m["explicit_share"] = None if explicit is None else round(float(explicit), 4)
    for scope, key, n in conn.execute(
        f"""SELECT scope, (release_year // 10) * 10, count(*) FROM {ns}dna
            WHERE type = 'track' AND release_year IS NOT NULL GROUP BY ALL ORDER BY 1, 2"""
    ).fetchall():
        out[scope]["decades"][f"{key}s"] = int(n)
    for scope, key, n in conn.execute(
        f"""SELECT scope, release_year, count(*) FROM {ns}dna
            WHERE type = 'track' AND release_year IS NOT NULL GROUP BY ALL ORDER BY 1, 2"""
    ).fetchall():
        out[scope]["release_years"][str(key)] = int(n)
    for scope, key, n in conn.execute(
        f"""SELECT scope, least(duration_ms // 60000, 10), count(*) FROM {ns}dna
            WHERE type = 'track' AND duration_ms IS NOT NULL GROUP BY ALL ORDER BY 1, 2"""
    ).fetchall():
        out[scope]["duration"]["histogram_min"][f"{key}+" if key == 10 else str(key)] = int(n)
    for scope, key, n in conn.execute(
        f"""SELECT scope, strftime(added_at, '%Y-%m'), count(*) FROM {ns}dna
            WHERE added_at IS NOT NULL GROUP BY ALL ORDER BY 1, 2"""
    ).fetchall():
        out[scope]["timeline"][key] = int(n)
    _artists(conn, ns, out)


def _artists(conn: duckdb.DuckDBPyConnection, ns: str, out: dict[str, ScopeMetadata]) -> None:
    rows = conn.execute(
        f"""
        WITH c AS (
            SELECT scope, coalesce(artist, '(unknown)') AS artist, count(*) AS n
            FROM {ns}dna WHERE type = 'track' GROUP BY ALL
        ),
        r AS (
            SELECT scope, artist, n, sum(n) OVER (PARTITION BY scope) AS total,
                   row_number() OVER (PARTITION BY scope ORDER BY n DESC, artist) AS rk,
                   sum(n) OVER (PARTITION BY scope ORDER BY n DESC, artist ROWS UNBOUNDED PRECEDING) AS cum
            FROM c
        )
        SELECT scope, count(*) AS distinct_artists,
               min(rk) FILTER (WHERE cum * 2 >= total) AS half,
               list({{'artist': artist, 'count': n, 'share': round(n / total, 4)}} ORDER BY rk)
                   FILTER (WHERE rk <= {TOP_ARTISTS}) AS top
        FROM r GROUP BY scope
        """
    ).fetchall()
    for scope, distinct, half, top in rows:
        artists = out[scope]["artists"]
        artists["distinct"] = int(distinct)
        artists["half_library_artists"] = int(half or 0)
        artists["top"] = [
            {"artist": t["artist"], "count": int(t["count"]), "share": float(t["share"])} for t in (top or [])
        ]


def _features(conn: duckdb.DuckDBPyConnection, ns: str, scopes: list[str]) -> AudioFeatures:
    # One feature row per song: the kept copy's if it has one, else any copy's.
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ns}song_af AS
        SELECT g.gid, af.* FROM {ns}groups g JOIN audio_features af ON af.track_id = g.id
        QUALIFY row_number() OVER (PARTITION BY g.gid ORDER BY g.is_kept DESC, g.id) = 1
        """
    )
    try:
        names = list(FEATURE_BINS)
        stats_sql = ", ".join(f"avg(f.{n}), stddev_pop(f.{n})" for n in names)
        features: dict[str, dict[str, FeatureStats]] = {n: {} for n in names}
        coverage: dict[str, float] = {}
        for row in conn.execute(
            f"""SELECT d.scope, count(f.gid) * 1.0 / count(*), {stats_sql}
                FROM {ns}dna d LEFT JOIN {ns}song_af f USING (gid) WHERE d.type = 'track' GROUP BY d.scope"""
        ).fetchall():
            scope = row[0]
            coverage[scope] = round(float(row[1]), 4)
            for i, n in enumerate(names):
                mean, std = row[2 + 2 * i], row[3 + 2 * i]
                features[n][scope] = {
                    "mean": None if mean is None else round(float(mean), 4),
                    "std": None if std is None else round(float(std), 4),
                    "histogram": {},
                }
        for n, (low, width, bins) in FEATURE_BINS.items():
            for scope, b, count in conn.execute(
                f"""SELECT d.scope, least(greatest(floor((f.{n} - {low}) / {width}), 0), {bins - 1})::INTEGER,
                           count(*)
                    FROM {ns}dna d JOIN {ns}song_af f USING (gid)
                    WHERE d.type = 'track' AND f.{n} IS NOT NULL GROUP BY ALL ORDER BY 1, 2"""
            ).fetchall():
                label = f"{low + b * width:g}"
                features[n].setdefault(scope, {"mean": None, "std": None, "histogram": {}})
                features[n][scope]["histogram"][label] = int(count)
        comparison: list[FeatureComparison] = []
        sources = [s for s in scopes if s != "master"]
        for n in names:
            means = {s: features[n][s]["mean"] if s in features[n] else None for s in sources}
            known = [v for v in means.values() if v is not None]
            spread = max(known) - min(known) if known else None
            _low, width, bins = FEATURE_BINS[n]
            comparison.append(
                {
                    "feature": n,
                    "means": means,
                    "spread": None if spread is None else round(spread, 4),
                    # The spread on the feature's own scale (0..1), so tempo and loudness compare fairly.
                    "relative_spread": None if spread is None else round(spread / (width * bins), 4),
                }
            )
        comparison.sort(key=lambda c: -float(c["relative_spread"] or 0.0))
        return {"features": features, "coverage": coverage, "comparison": comparison}
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {ns}song_af")
