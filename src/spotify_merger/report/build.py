"""Building the dry-run report: analyse, then write dry_run_report.json, merge_plan.csv and report.html."""

from __future__ import annotations

import dataclasses
import datetime as dt

from spotify_merger.analyze import SpotifyAnalyzer
from spotify_merger.analyze.parts import MAX_PLAYLIST_ITEMS, split_into_parts, validate_master_name
from spotify_merger.analyze.results import DryRunReport, PlannedMaster
from spotify_merger.context import Environment
from spotify_merger.report import exports
from spotify_merger.report.html import render_html

TOP_WEIGHTED = 10
SAMPLE_DEDUPLICATED = 20
REVIEW_LIMIT = 500
EXCLUDED_LIMIT = 500


def planned_master(analyzer: SpotifyAnalyzer, master_name: str, cap: int | None = None) -> PlannedMaster:
    """The master playlist(s) the write would create from the analyser's plan.

    `cap` (songs per playlist) is the write's library-only test knob; Spotify's limit is the default."""
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


def analyse(analyzer: SpotifyAnalyzer, *, master_name: str, cap: int | None = None) -> DryRunReport:
    """Everything the dry run shows, computed once; writes nothing."""
    planned = planned_master(analyzer, master_name, cap)  # validates the name before any work
    return DryRunReport(
        summary=analyzer.generate_dry_run_report(),
        top_weighted_by_source={
            f"p{i + 1}": analyzer.top_weighted(i, TOP_WEIGHTED) for i in range(len(analyzer.sources))
        },
        sample_deduplicated=analyzer.planned_songs(SAMPLE_DEDUPLICATED),
        planned_master=planned,
        match_review=analyzer.match_review(limit=REVIEW_LIMIT),
        excluded=analyzer.excluded_entries(limit=EXCLUDED_LIMIT),
        match_rules=analyzer.rule_report(),
        dna=analyzer.musical_dna(),
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


def build_report(
    env: Environment,
    analyzer: SpotifyAnalyzer,
    *,
    master_name: str,
    html: bool = True,
    cap: int | None = None,
) -> DryRunReport:
    """Analyse and write dry_run_report.json, merge_plan.csv and (unless `html` is False) report.html
    under env.exports_dir. The returned report lists the paths written in `files`."""
    report = analyse(analyzer, master_name=master_name, cap=cap)
    out = env.exports_dir
    files = {"json": out / exports.REPORT_JSON, "csv": out / exports.PLAN_CSV}
    exports.write_plan_csv(files["csv"], analyzer)
    if html:
        files["html"] = out / exports.REPORT_HTML
        exports.write_text_atomic(files["html"], render_html(report))
    exports.write_json(files["json"], report.to_json())
    return dataclasses.replace(report, files=files)
