"""The seed's dry-run report from the analysis' results: its keys first, the extended fields beside them."""

from __future__ import annotations

from spotify_merger.analyze.model import MergeOptions
from spotify_merger.analyze.results import DryRunSummary, MatchReview, Overlap, SourceStats


def dry_run_summary(
    stats: list[SourceStats],
    overlap: Overlap,
    *,
    planned_entries: int,
    unique_songs: int,
    review: MatchReview,
    options: MergeOptions,
    warnings: list[str],
    excluded_by_rules: int = 0,
) -> DryRunSummary:
    """`generate_dry_run_report()`: counts before and after, the merge's impact, overlap and weights."""
    total_entries = sum(s["entries"] for s in stats)
    usable_entries = sum(s["usable_entries"] for s in stats)
    duplicates_removed = usable_entries - unique_songs
    weight_stats: dict[str, float] = {}
    for i, s in enumerate(stats):
        n = i + 1
        weight_stats[f"highest_weight_p{n}"] = s["highest_weight"]
        weight_stats[f"avg_weight_p{n}"] = s["avg_weight"]
        weight_stats[f"tracks_with_duplicates_p{n}"] = s["songs_repeated"]
    return {
        "before": {
            "playlist_1_entries": stats[0]["entries"],  # the analyzer always has a source
            "playlist_2_entries": stats[1]["entries"] if len(stats) > 1 else 0,
            "total_entries": total_entries,
            "usable_entries": usable_entries,
            "per_source": {s["key"]: s["entries"] for s in stats},
        },
        "after": {
            "unique_tracks": unique_songs,
            "planned_entries": planned_entries,
            "keep_weights": options.keep_weights,
        },
        "impact": {
            "duplicates_removed": duplicates_removed,
            "reduction_pct": round(100.0 * duplicates_removed / total_entries, 1) if total_entries else 0.0,
            "excluded_local": sum(s["local_files"] for s in stats),
            "excluded_unavailable": sum(s["unavailable"] for s in stats),
            "excluded_by_rules": excluded_by_rules,
            "merged_track_ids": review["merged_track_ids"],
            "songs_with_several_ids": review["songs_with_several_ids"],
            "merges_by_reason": review["by_reason"],
        },
        "overlap": overlap,
        "weight_stats": weight_stats,
        "sources": stats,
        "options": options.to_dict(),
        "warnings": warnings,
    }
