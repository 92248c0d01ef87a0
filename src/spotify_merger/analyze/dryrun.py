"""The dry-run report as one dict: the seed's keys first, the extended fields beside them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spotify_merger.analyze.analyzer import SpotifyAnalyzer


def dry_run_report(an: SpotifyAnalyzer) -> dict[str, Any]:
    stats = an.source_stats()
    ov = an.get_overlap()
    plan_row = an._query("SELECT count(*), count(DISTINCT gid) FROM {ns}plan")[0]
    planned_entries, unique_songs = int(plan_row[0]), int(plan_row[1])
    review_counts = an.match_review(limit=0)
    total_entries = sum(s["entries"] for s in stats)
    usable_entries = sum(s["usable_entries"] for s in stats)
    excluded_local = sum(s["local_files"] for s in stats)
    excluded_unavailable = sum(s["unavailable"] for s in stats)
    duplicates_removed = usable_entries - unique_songs

    def stat(i: int, key: str) -> Any:
        return stats[i][key] if i < len(stats) else 0

    before: dict[str, Any] = {
        "playlist_1_entries": stat(0, "entries"),
        "playlist_2_entries": stat(1, "entries"),
        "total_entries": total_entries,
        "usable_entries": usable_entries,
        "per_source": {s["key"]: s["entries"] for s in stats},
    }
    weight_stats: dict[str, Any] = {}
    for i, s in enumerate(stats):
        n = i + 1
        weight_stats[f"highest_weight_p{n}"] = s["highest_weight"]
        weight_stats[f"avg_weight_p{n}"] = s["avg_weight"]
        weight_stats[f"tracks_with_duplicates_p{n}"] = s["songs_repeated"]
    for key in ("highest_weight_p1", "avg_weight_p1", "tracks_with_duplicates_p1"):
        weight_stats.setdefault(key, 0)
    return {
        "before": before,
        "after": {
            "unique_tracks": unique_songs,
            "planned_entries": planned_entries,
            "keep_weights": an.options.keep_weights,
        },
        "impact": {
            "duplicates_removed": duplicates_removed,
            "reduction_pct": round(100.0 * duplicates_removed / total_entries, 1) if total_entries else 0.0,
            "excluded_local": excluded_local,
            "excluded_unavailable": excluded_unavailable,
            "merged_track_ids": review_counts["merged_track_ids"],
            "songs_with_several_ids": review_counts["songs_with_several_ids"],
            "merges_by_reason": review_counts["by_reason"],
        },
        "overlap": ov,
        "weight_stats": weight_stats,
        "sources": stats,
        "options": an.options.to_dict(),
        "warnings": an.warnings(),
    }
