"""The dry-run report: terminal tables, dry_run_report.json, merge_plan.csv and report.html."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from spotify_merger.report.terminal import print_report

if TYPE_CHECKING:
    from spotify_merger.analyze import SpotifyAnalyzer
    from spotify_merger.context import Environment

__all__ = ["build_report", "planned_master", "print_report"]

TOP_WEIGHTED = 10
SAMPLE_DEDUPLICATED = 20
REVIEW_LIMIT = 500
EXCLUDED_LIMIT = 500


def planned_master(analyzer: SpotifyAnalyzer, master_name: str, cap: int | None = None) -> dict[str, Any]:
    from spotify_merger.analyze.parts import MAX_PLAYLIST_ITEMS, split_into_parts, validate_master_name

    name = validate_master_name(master_name)
    plan = analyzer.plan()
    parts = split_into_parts(name, plan.uris, cap or MAX_PLAYLIST_ITEMS)
    return {
        "name": name,
        "entries": len(plan.uris),
        "songs": plan.song_count,
        "parts": [{"index": p.index, "name": p.name, "count": p.count} for p in parts],
        "sources": plan.sources,
        "source_snapshots": plan.source_snapshots,
        "options": plan.options.to_dict(),
    }


def build_report(
    env: Environment,
    analyzer: SpotifyAnalyzer,
    *,
    master_name: str,
    html: bool = True,
    cap: int | None = None,
) -> dict[str, Any]:
    """Analyse and write dry_run_report.json, merge_plan.csv and report.html under env.exports_dir.

    `cap` (songs per playlist) is the write's library-only test knob; Spotify's limit is the default.
    Returns the document written to the JSON file (plus `files`, the paths written)."""
    from spotify_merger.report import exports

    planned = planned_master(analyzer, master_name, cap)  # validates the name before any work is written
    report = analyzer.generate_dry_run_report()
    top_by_source = {
        f"p{i + 1}": analyzer.get_weight_analysis(i).head(TOP_WEIGHTED).to_dict("records")
        for i in range(len(analyzer.sources))
    }
    sample = analyzer.get_deduplicated_tracks().head(SAMPLE_DEDUPLICATED).to_dict("records")
    doc: dict[str, Any] = {
        "report": report,
        "top_weighted": top_by_source.get("p1", []),
        "sample_deduplicated": sample,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "top_weighted_by_source": top_by_source,
        "planned_master": planned,
        "match_review": analyzer.match_review(limit=REVIEW_LIMIT),
        "excluded": analyzer.excluded_entries(limit=EXCLUDED_LIMIT),
        "dna": analyzer.musical_dna(),
    }
    doc = exports.jsonable(doc)
    out = env.exports_dir
    files = {"json": out / exports.REPORT_JSON, "csv": out / exports.PLAN_CSV}
    exports.write_plan_csv(files["csv"], analyzer)
    if html:
        from spotify_merger.report.html import render_html

        files["html"] = out / exports.REPORT_HTML
        exports.write_text_atomic(files["html"], render_html(doc))
    exports.write_json(files["json"], doc)
    doc["files"] = {k: str(v) for k, v in files.items()}
    return doc
