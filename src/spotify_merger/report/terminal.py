"""The dry-run report on the terminal: the seed's rich tables plus the match review, plan and DNA."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from spotify_merger.analyze.results import (
    DryRunReport,
    DryRunSummary,
    ExcludedEntries,
    MatchReview,
    MusicalDna,
    Overlap,
    PlannedMaster,
    RuleEffect,
    ScopeMetadata,
    SourceStats,
    WeightedSong,
)
from spotify_merger.context import Environment
from spotify_merger.display import styled

MAX_REVIEW_ROWS = 15
MAX_EXCLUDED_ROWS = 10


def _fmt(n: object) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def print_report(env: Environment, report: DryRunReport) -> None:
    """Print the report `build_report` made as rich tables on env.stdout."""
    console = env.stdout
    r = report.summary
    console.print(
        Panel.fit(
            styled(
                "[bold cyan]DRY RUN REPORT[/bold cyan]\n"
                "[dim]Nothing has been written to your Spotify account.[/dim]"
            ),
            border_style="cyan",
        )
    )
    for line in r["warnings"]:
        console.print(styled("[yellow]note:[/yellow] {line}", line=line))
    _print_summary(console, r)
    _print_weights(console, r["sources"])
    _print_top_weighted(console, report.top_weighted_by_source)
    _print_overlap(console, r["overlap"], len(r["sources"]))
    _print_review(console, report.match_review)
    _print_plan(console, report.planned_master)
    _print_excluded(console, report.excluded)
    _print_rules(console, report.match_rules)
    _print_dna(console, report.dna)
    if report.files:
        saved = ", ".join(str(p) for p in report.files.values())
        console.print(styled("[dim]Saved: {saved}[/dim]", saved=saved))


def _print_summary(console: Console, r: DryRunSummary) -> None:
    summary = Table(title="Operation Summary", show_header=True)
    summary.add_column("Metric", style="cyan")
    summary.add_column("Count", style="green", justify="right")
    summary.add_column("Notes", style="dim")
    for s in r["sources"]:
        summary.add_row(f"{s['key']} entries", _fmt(s["entries"]), s["name"] or s["id"])
    summary.add_row("Total entries", _fmt(r["before"]["total_entries"]), "")
    summary.add_row("Unique songs (after merge)", _fmt(r["after"]["unique_tracks"]), "")
    if r["after"]["keep_weights"]:
        summary.add_row("Planned entries (weights kept)", _fmt(r["after"]["planned_entries"]), "")
    impact = r["impact"]
    summary.add_row(
        "Duplicates removed", _fmt(impact["duplicates_removed"]), f"{impact['reduction_pct']}% reduction"
    )
    summary.add_row(
        "Cross-playlist overlap", _fmt(r["overlap"]["in_several"]), "songs in more than one source"
    )
    summary.add_row("Left out: local files", _fmt(impact["excluded_local"]), "the Web API cannot add them")
    summary.add_row("Left out: unavailable", _fmt(impact["excluded_unavailable"]), "no playable track")
    if impact["excluded_by_rules"]:
        summary.add_row("Left out: your rules", _fmt(impact["excluded_by_rules"]), "exclude rules / playlist")
    if impact.get("excluded_by_rules"):
        summary.add_row("Left out: your rules", _fmt(impact["excluded_by_rules"]), "exclude rules / playlist")
    console.print(summary)


def _print_weights(console: Console, sources: list[SourceStats]) -> None:
    weights = Table(title="Weight Analysis", show_header=True)
    weights.add_column("Metric", style="cyan")
    for s in sources:
        weights.add_column(s["key"], style="yellow", justify="right")
    weights.add_row("Songs", *(_fmt(s["songs"]) for s in sources))
    weights.add_row("Highest weight", *(_fmt(s["highest_weight"]) for s in sources))
    weights.add_row("Average weight", *(_fmt(s["avg_weight"]) for s in sources))
    weights.add_row("Songs repeated", *(_fmt(s["songs_repeated"]) for s in sources))
    weights.add_row("Share repeated (%)", *(_fmt(s["songs_repeated_pct"]) for s in sources))
    console.print(weights)


def _print_top_weighted(console: Console, by_source: dict[str, list[WeightedSong]]) -> None:
    for key, rows in by_source.items():
        if not rows:
            continue
        top = Table(title=f"Top 10 Most Weighted Tracks ({key})", show_header=True)
        top.add_column("#", style="dim", justify="right")
        top.add_column("Track", style="white")
        top.add_column("Artist", style="cyan")
        top.add_column("Weight", style="yellow", justify="right")
        for i, row in enumerate(rows[:10], 1):
            top.add_row(str(i), str(row["name"] or "?"), str(row["artist"] or "?"), str(row["weight"]))
        console.print(top)


def _print_overlap(console: Console, ov: Overlap, n_sources: int) -> None:
    overlap = Table(title="Playlist Overlap Analysis", show_header=True)
    overlap.add_column("Category", style="cyan")
    overlap.add_column("Songs", style="green", justify="right")
    if n_sources == 2:
        overlap.add_row("Only in p1", _fmt(ov["only_p1"]))
        overlap.add_row("Only in p2", _fmt(ov["only_p2"]))
        overlap.add_row("In both playlists", _fmt(ov["in_both"]))
        overlap.add_row("Jaccard index", f"{ov['jaccard']:.3f}")
    else:
        for key, n in ov["only"].items():
            overlap.add_row(f"Only in {key}", _fmt(n))
        overlap.add_row("In several sources", _fmt(ov["in_several"]))
        overlap.add_row("In every source", _fmt(ov["in_all"]))
    console.print(overlap)


def _print_review(console: Console, review: MatchReview) -> None:
    table = Table(
        title=f"Match Review: {review['songs_with_several_ids']:,} songs merged from different track ids",
        show_header=True,
        caption="Kept copy first; each merged copy shows why it counts as the same song.",
    )
    table.add_column("#", style="dim", justify="right")
    table.add_column("Track", style="white")
    table.add_column("Artist", style="cyan")
    table.add_column("Album / release", style="dim")
    table.add_column("Length", justify="right")
    table.add_column("Reason", style="magenta")
    for song in review["songs"][:MAX_REVIEW_ROWS]:
        kept = song["kept"]
        table.add_row(
            str(song["position"]),
            styled("[bold]{name}[/bold]", name=kept["name"]),
            kept["artist"] or "?",
            f"{kept['album'] or '?'} ({kept['release_date'] or '?'})",
            _length(kept["duration_ms"]),
            "kept",
        )
        for m in song["merged"]:
            reason = m["reason"] + (" (via chain)" if m["via_chain"] else "")
            table.add_row(
                "",
                f"  ↳ {m['name']}",
                m["artist"] or "?",
                f"{m['album'] or '?'} ({m['release_date'] or '?'})",
                _length(m["duration_ms"]),
                reason,
            )
    if review["songs"]:
        console.print(table)
    more = review["songs_with_several_ids"] - min(len(review["songs"]), MAX_REVIEW_ROWS)
    if more > 0:
        console.print(
            styled("[dim]… and {more:,} more in dry_run_report.json and report.html[/dim]", more=more)
        )


def _length(ms: int | None) -> str:
    if ms is None:
        return "?"
    return f"{ms // 60000}:{ms // 1000 % 60:02d}"


def _print_plan(console: Console, planned: PlannedMaster) -> None:
    table = Table(
        title="Planned Master Playlist" + ("s" if len(planned["parts"]) > 1 else ""), show_header=True
    )
    table.add_column("Playlist (new, private)", style="bold green")
    table.add_column("Entries", justify="right")
    for part in planned["parts"]:
        table.add_row(part["name"], _fmt(part["count"]))
    if not planned["parts"]:
        table.add_row(planned["name"], "0 (nothing to add)")
    console.print(table)
    opts = planned["options"]
    console.print(
        styled(
            "[dim]match={match} keep={keep} order={order}{weights}; the sources are never modified[/dim]",
            match=opts["match"],
            keep=opts["keep"],
            order=opts["order"],
            weights=" keep-weights" if opts["keep_weights"] else "",
        )
    )


def _print_excluded(console: Console, excluded: ExcludedEntries) -> None:
    if not excluded["entries"]:
        return
    table = Table(
        title=f"Left Out: {excluded['local_files']:,} local files, {excluded['unavailable']:,} unavailable",
        caption=excluded["why"],
    )
    table.add_column("Source", style="dim")
    table.add_column("Position", justify="right")
    table.add_column("Kind", style="yellow")
    table.add_column("Entry")
    for e in excluded["entries"][:MAX_EXCLUDED_ROWS]:
        label = " - ".join(x for x in (e["artist"], e["name"]) if x) or (e["uri"] or "(no track)")
        table.add_row(e["source"], str(e["position"] + 1), e["kind"], label)
    console.print(table)


def _print_rules(console: Console, rules: list[RuleEffect]) -> None:
    if not rules:
        return
    table = Table(
        title=f"Your Match Rules: {len(rules):,}", caption="A rule always wins over automatic matching."
    )
    table.add_column("Rule", style="cyan")
    table.add_column("Tracks")
    table.add_column("Here", style="yellow")
    for r in rules:
        table.add_row(r["rule"], "\n".join(r["tracks"]), r["effect"])
    console.print(table)


def _print_dna(console: Console, dna: MusicalDna) -> None:
    table = Table(
        title=f"Musical DNA ({dna['mode']})", caption=f"Mode: {dna['mode']}, because {dna['reason']}."
    )
    table.add_column("Metric", style="cyan")
    for scope in dna["scopes"]:
        table.add_column(scope, justify="right")
    meta = dna["metadata"]

    def row(label: str, getter: Callable[[ScopeMetadata], str]) -> None:
        table.add_row(label, *(getter(meta[s]) for s in dna["scopes"]))

    row("Median release year", lambda m: str(m["median_release_year"] or "?"))
    row("Top decade", lambda m: _top_key(m["decades"]))
    row(
        "Median length",
        lambda m: _length(int(m["duration"]["median_s"] * 1000)) if m["duration"]["median_s"] else "?",
    )
    row("Explicit share", lambda m: "?" if m["explicit_share"] is None else f"{m['explicit_share']:.0%}")
    row("Distinct artists", lambda m: _fmt(m["artists"]["distinct"]))
    row("Artists making up half", lambda m: _fmt(m["artists"]["half_library_artists"]))
    row("Top artist", lambda m: m["artists"]["top"][0]["artist"] if m["artists"]["top"] else "?")
    features = dna["audio_features"]
    if features:
        for c in features["comparison"][:6]:
            stats = features["features"][c["feature"]]
            means = (stats[s]["mean"] if s in stats else None for s in dna["scopes"])
            table.add_row(f"{c['feature']} (mean)", *("?" if m is None else f"{m:.2f}" for m in means))
    console.print(table)


def _top_key(counts: dict[str, int]) -> str:
    """The key with the highest count (the first such, as `max` picks it), or "?" when empty."""
    return max(counts, key=lambda k: counts[k]) if counts else "?"
