"""report.html: the dry run as one self-contained page (see `_page` for what the page can and cannot do).

Every track, source and playlist links to open.spotify.com; the match review and the entries
left out are listed in full behind `<details>`; charts are inline SVG with labels of at least 11 px.
"""

from __future__ import annotations

from collections.abc import Callable

from spotify_merger.analyze.results import DryRunReport, ReviewedSong, ScopeMetadata, SourceStats
from spotify_merger.report import _charts as charts
from spotify_merger.report._page import (
    Cell,
    Column,
    Table,
    art_cell,
    card,
    cell,
    details,
    e,
    human_time,
    link,
    options_text,
    page,
    plural,
    spotify_url,
)

MAX_TOP = 10
OPEN_UP_TO = 25  # longer lists start closed


def render_html(report: DryRunReport) -> str:
    title = f"Dry run: {report.planned_master['name']}"
    header = (
        f"<p>Dry-run report: nothing has been written to Spotify. Generated {human_time(report.generated_at)}.</p>"
        '<p class="tools"><button id="show-art" type="button" hidden>Show album art '
        "(loads the images from Spotify)</button></p>"
    )
    sections = [
        _summary(report),
        _plan(report),
        _weights(report),
        _overlap(report),
        _review(report),
        _dna(report),
        _excluded(report),
        _rules(report),
    ]
    footer = (
        "spotify-merger dry-run report. Links open Spotify; nothing on this page is loaded from "
        "elsewhere unless you ask for album art."
    )
    return page(title, header, [s for s in sections if s], footer)


def source_link(source: SourceStats) -> str:
    return link(spotify_url("playlist", source["id"]), source["name"] or source["id"])


def _summary(report: DryRunReport) -> str:
    r = report.summary
    cards = [
        card(r["before"]["total_entries"], "entries in the sources"),
        card(r["after"]["unique_tracks"], "unique songs in the master"),
        card(r["impact"]["duplicates_removed"], f"duplicates removed ({r['impact']['reduction_pct']}%)"),
        card(r["overlap"]["in_several"], "songs in more than one source"),
        card(r["impact"]["songs_with_several_ids"], "songs merged across track ids"),
        card(
            r["impact"]["excluded_local"] + r["impact"]["excluded_unavailable"],
            "left out (local / unavailable)",
        ),
    ]
    notes = "".join(f'<div class="note">{e(w)}</div>' for w in r["warnings"])
    table = Table(
        "sources",
        [
            Column("key"),
            Column("playlist", raw=True),
            *(Column(t, numeric=True) for t in ("entries", "songs", "highest weight", "avg weight")),
            *(Column(t, numeric=True) for t in ("songs repeated", "local", "unavailable")),
        ],
    )
    for s in r["sources"]:
        table.add(
            [s["key"], cell(source_link(s)), s["entries"], s["songs"], s["highest_weight"], s["avg_weight"],
             s["songs_repeated"], s["local_files"], s["unavailable"]]
        )  # fmt: skip
    return f"""<section><h2>Summary</h2><div class="cards">{"".join(cards)}</div>{notes}
        <h3>Sources</h3>{table.html()}</section>"""


def _plan(report: DryRunReport) -> str:
    planned = report.planned_master
    table = Table("planned playlists", [Column("new private playlist"), Column("entries", numeric=True)])
    for p in planned["parts"] or [{"index": 1, "name": planned["name"], "count": 0}]:
        table.add([p["name"], p["count"]])
    opts = planned["options"]
    several = "s" if len(planned["parts"]) > 1 else ""
    return f"""<section><h2>Planned master playlist{several}</h2>{table.html()}
        <p class="muted">{options_text(opts["match"], opts["keep"], opts["order"], opts["keep_weights"])}
        The source playlists are never modified.
        Every planned entry is in merge_plan.csv; after `spotify-merger run`, run.html links the
        new playlist{several}.</p></section>"""


def _weights(report: DryRunReport) -> str:
    blocks = []
    for key, rows in report.top_weighted_by_source.items():
        table = Table(
            f"most weighted songs of {key}",
            [Column("", raw=True), Column("#", numeric=True), Column("track", raw=True), Column("artist"),
             Column("weight", numeric=True), Column("first added", nowrap=True)],
        )  # fmt: skip
        for i, row in enumerate(rows[:MAX_TOP], 1):
            track = spotify_url(row["uri"])
            art = report.album_art.get((row["uri"] or "").rsplit(":", 1)[-1])
            added = (row["first_added"] or "")[:10]
            table.add(
                [art_cell(art), i, cell(link(track, row["name"] or "?")), row["artist"], row["weight"], added]
            )
        blocks.append(f"<div><h3>Top {MAX_TOP} most weighted ({e(key)})</h3>{table.html()}</div>")
    chart = charts.weight_distribution(report.summary["sources"])
    return f"""<section><h2>Weights</h2>{chart}<div class="grid2">{"".join(blocks)}</div></section>"""


def _overlap(report: DryRunReport) -> str:
    ov = report.summary["overlap"]
    table = Table("overlap", [Column("category"), Column("songs", numeric=True)])
    if len(report.summary["sources"]) == 2:
        for label, value in (
            ("only in p1", ov["only_p1"]),
            ("only in p2", ov["only_p2"]),
            ("in both", ov["in_both"]),
        ):
            table.add([label, value])
        table.add(["Jaccard index", f"{ov['jaccard']:.3f}"])
    else:
        for k, n in ov["only"].items():
            table.add([f"only in {k}", n])
        table.add(["in several sources", ov["in_several"]])
        table.add(["in every source", ov["in_all"]])
    return f"""<section><h2>Overlap</h2><div class="grid2"><div>{charts.overlap_chart(ov)}</div>
        <div>{table.html()}</div></div></section>"""


def _review(report: DryRunReport) -> str:
    review = report.match_review
    table = Table(
        "match review",
        [Column("", raw=True), Column("#", numeric=True), Column("track", raw=True), Column("artist"),
         Column("album"), Column("released", nowrap=True), Column("ISRC", nowrap=True), Column("reason", nowrap=True)],
        filterable=True,
    )  # fmt: skip
    for song in review["songs"]:
        table.add(*_song_rows(report, song))
    by_reason = ", ".join(f"{k}: {v:,}" for k, v in review["by_reason"].items())
    listed = len(review["songs"])
    more = review["songs_with_several_ids"] - listed
    intro = (
        f"<p>{plural(review['songs_with_several_ids'], 'song was', 'songs were')} merged from different "
        f"track ids ({plural(review['merged_track_ids'], 'copy', 'copies')} merged; {e(by_reason)}). "
        "Each song shows the copy kept first, then every copy merged into it and why."
        + (f" The first {listed:,} are listed; {more:,} more are in the analysis." if more > 0 else "")
        + "</p>"
    )
    if not listed:
        return f'<section><h2>Match review</h2>{intro}<p class="muted">No merges across different track ids.</p></section>'
    body = details(
        f"All {listed:,} songs merged from different track ids", table.html(), open_=listed <= OPEN_UP_TO
    )
    return f"<section><h2>Match review</h2>{intro}{body}</section>"


def _song_rows(report: DryRunReport, song: ReviewedSong) -> list[list[Cell]]:
    k = song["kept"]
    rows: list[list[Cell]] = [
        [art_cell(report.album_art.get(k["id"])), song["position"], cell(link(spotify_url("track", k["id"]), k["name"] or "?")),
         k["artist"], k["album"], k["release_date"], k["isrc"], "kept"]
    ]  # fmt: skip
    for m in song["merged"]:
        reason = m["reason"] + (" (via chain)" if m["via_chain"] else "")
        track = cell("↳ " + link(spotify_url("track", m["id"]), m["name"] or "?"))
        rows.append(
            [art_cell(report.album_art.get(m["id"])), song["position"], track, m["artist"], m["album"],
             m["release_date"], m["isrc"], reason]
        )  # fmt: skip
    return rows


def _dna(report: DryRunReport) -> str:
    dna = report.dna
    meta = dna["metadata"]
    cells: tuple[tuple[str, Callable[[ScopeMetadata], Cell]], ...] = (
        ("median release year", lambda m: str(m["median_release_year"] or "?")),
        ("median length (s)", lambda m: m["duration"]["median_s"]),
        ("explicit share", lambda m: None if m["explicit_share"] is None else f"{m['explicit_share']:.1%}"),
        ("distinct artists", lambda m: m["artists"]["distinct"]),
        ("artists making up half", lambda m: m["artists"]["half_library_artists"]),
        ("top artist", lambda m: m["artists"]["top"][0]["artist"] if m["artists"]["top"] else None),
    )
    table = Table("musical DNA", [Column("metric"), *(Column(s, numeric=True) for s in dna["scopes"])])
    for label, fn in cells:
        table.add([label, *(fn(meta[s]) for s in dna["scopes"])])
    return f"""<section><h2>Musical DNA <span class="mode">{e(dna["mode"])}</span></h2>
        <p class="muted">Mode {e(dna["mode"])}: {e(dna["reason"])}. {e(dna["weighting"].capitalize())}.</p>
        <div class="grid2"><div>{charts.dna_chart(dna)}</div><div>{charts.duration_chart(dna)}</div></div>
        {table.html()}<h3>Timeline</h3>{charts.timeline_chart(dna)}</section>"""


def _excluded(report: DryRunReport) -> str:
    excluded = report.excluded
    if not excluded["entries"]:
        return ""
    table = Table(
        "entries left out",
        [Column("source"), Column("position", numeric=True), Column("kind"), Column("entry"),
         Column("added", nowrap=True)],
        filterable=True,
    )  # fmt: skip
    for x in excluded["entries"]:
        label = " - ".join(v for v in (x["artist"], x["name"]) if v) or x["uri"] or "(no track)"
        table.add([x["source"], x["position"] + 1, x["kind"], label, (x["added_at"] or "")[:10]])
    count = len(excluded["entries"])
    return f"""<section><h2>Left out</h2><p>{excluded["local_files"]:,} local files and
        {excluded["unavailable"]:,} unavailable entries: {e(excluded["why"])}.</p>
        {details(f"All {count:,} entries left out", table.html(), open_=count <= OPEN_UP_TO)}</section>"""


def _rules(report: DryRunReport) -> str:
    if not report.match_rules:
        return ""
    table = Table("your match rules", [Column("rule"), Column("tracks"), Column("here")])
    for r in report.match_rules:
        table.add([r["rule"], " ".join(r["tracks"]), r["effect"]])
    return f"""<section><h2>Your match rules</h2><p>A rule always wins over automatic matching.</p>
        {table.html()}</section>"""
