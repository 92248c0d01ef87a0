"""report.html: one self-contained page (inline CSS, charts as data URIs, no scripts, no network)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from spotify_merger.analyze.results import DryRunReport, ScopeMetadata
from spotify_merger.display import clean
from spotify_merger.report import _charts as charts

Cell = str | int | float | None

MAX_REVIEW_SONGS = 100
MAX_EXCLUDED = 100
MAX_TOP = 10

CSS = """
:root { --ink:#222831; --muted:#6b7480; --line:#e3e6ea; --accent:#1db954; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
header { background:#121212; color:#fff; padding:28px 40px; }
header h1 { margin:0 0 4px; font-size:26px; font-weight:650; }
header p { margin:0; color:#b3b3b3; }
main { max-width:1180px; margin:0 auto; padding:24px 40px 60px; }
section { background:#fff; border:1px solid var(--line); border-radius:10px;
          padding:20px 24px; margin:18px 0; }
h2 { margin:0 0 12px; font-size:19px; }
h3 { margin:18px 0 8px; font-size:15px; color:var(--muted); font-weight:600; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); gap:12px; }
.card { border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.card .v { font-size:24px; font-weight:650; }
.card .k { color:var(--muted); font-size:13px; }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:18px; }
@media (max-width: 900px) { .grid2 { grid-template-columns:1fr; } }
table { border-collapse:collapse; width:100%; font-size:13.5px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
tr.kept td { font-weight:600; background:#f1fbf4; }
.reason { display:inline-block; padding:1px 8px; border-radius:10px; background:#eef2f7; font-size:12px; }
.note { background:#fff8e1; border-left:4px solid #f0b400; padding:8px 12px; margin:6px 0;
        border-radius:4px; }
.mode { display:inline-block; padding:2px 10px; border-radius:12px; background:var(--accent); color:#fff;
        font-size:12px; font-weight:600; margin-left:8px; vertical-align:middle; }
img.chart { width:100%; max-width:880px; height:auto; border:0; display:block; margin:0 auto; }
.muted { color:var(--muted); }
footer { color:var(--muted); font-size:12px; text-align:center; margin-top:30px; }
"""


def _e(value: object) -> str:
    # Cleaned first: a report opened with `cat` or `less` must not drive the terminal either.
    return escape(clean("" if value is None else str(value)))


def _num(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else _e(value)


def _table(
    headers: list[str],
    rows: list[list[Cell]],
    numeric: set[int] | None = None,
    row_classes: list[str] | None = None,
) -> str:
    numeric = numeric or set()
    head = "".join(
        f'<th class="n">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for r_i, row in enumerate(rows):
        cls = f' class="{row_classes[r_i]}"' if row_classes and row_classes[r_i] else ""
        cells = "".join(
            f'<td class="n">{_num(v)}</td>' if i in numeric else f"<td>{_e(v)}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _img(data_uri: str, alt: str) -> str:
    return f'<img class="chart" src="{data_uri}" alt="{_e(alt)}">'


def _card(value: Cell, label: str) -> str:
    return f'<div class="card"><div class="v">{_num(value)}</div><div class="k">{_e(label)}</div></div>'


def render_html(report: DryRunReport) -> str:
    r = report.summary
    sources = r["sources"]
    dna = report.dna
    planned = report.planned_master
    parts: list[str] = []

    cards = [
        _card(r["before"]["total_entries"], "entries in the sources"),
        _card(r["after"]["unique_tracks"], "unique songs in the master"),
        _card(r["impact"]["duplicates_removed"], f"duplicates removed ({r['impact']['reduction_pct']}%)"),
        _card(r["overlap"]["in_several"], "songs in more than one source"),
        _card(r["impact"]["songs_with_several_ids"], "songs merged across track ids"),
        _card(
            r["impact"]["excluded_local"] + r["impact"]["excluded_unavailable"],
            "left out (local / unavailable)",
        ),
    ]
    notes = "".join(f'<div class="note">{_e(w)}</div>' for w in r.get("warnings", []))
    source_rows: list[list[Cell]] = [
        [
            s["key"],
            s["name"] or s["id"],
            s["entries"],
            s["songs"],
            s["highest_weight"],
            s["avg_weight"],
            s["songs_repeated"],
            s["local_files"],
            s["unavailable"],
        ]
        for s in sources
    ]
    parts.append(
        f"""<section><h2>Summary</h2><div class="cards">{"".join(cards)}</div>{notes}
        <h3>Sources</h3>{
            _table(
                [
                    "key",
                    "playlist",
                    "entries",
                    "songs",
                    "highest weight",
                    "avg weight",
                    "songs repeated",
                    "local",
                    "unavailable",
                ],
                source_rows,
                {2, 3, 4, 5, 6, 7, 8},
            )
        }
        </section>"""
    )

    plan_rows: list[list[Cell]] = [[p["name"], p["count"]] for p in planned["parts"]] or [
        [planned["name"], 0]
    ]
    opts = planned["options"]
    parts.append(
        f"""<section><h2>Planned master playlist{"s" if len(planned["parts"]) > 1 else ""}</h2>
        {_table(["new private playlist", "entries"], plan_rows, {1})}
        <p class="muted">match = {_e(opts["match"])}, keep = {_e(opts["keep"])}, order = {_e(opts["order"])}
        {", weights kept" if opts["keep_weights"] else ""}. The source playlists are never modified.
        Full plan: merge_plan.csv.</p></section>"""
    )

    top_blocks = []
    for key, rows in report.top_weighted_by_source.items():
        top_rows: list[list[Cell]] = [
            [i + 1, row["name"], row["artist"], row["weight"]] for i, row in enumerate(rows[:MAX_TOP])
        ]
        top_blocks.append(
            f"<div><h3>Top {MAX_TOP} most weighted ({_e(key)})</h3>"
            f"{_table(['#', 'track', 'artist', 'weight'], top_rows, {0, 3})}</div>"
        )
    parts.append(
        f"""<section><h2>Weights</h2>{_img(charts.weight_distribution(sources), "weight distribution")}
        <div class="grid2">{"".join(top_blocks)}</div></section>"""
    )

    ov = r["overlap"]
    ov_rows: list[list[Cell]]
    if len(sources) == 2:
        ov_rows = [
            ["only in p1", ov["only_p1"]],
            ["only in p2", ov["only_p2"]],
            ["in both", ov["in_both"]],
            ["Jaccard index", f"{ov['jaccard']:.3f}"],
        ]
    else:
        ov_rows = [[f"only in {k}", n] for k, n in ov["only"].items()]
        ov_rows += [["in several sources", ov["in_several"]], ["in every source", ov["in_all"]]]
    parts.append(
        f"""<section><h2>Overlap</h2><div class="grid2"><div>{_img(charts.overlap_chart(ov), "overlap")}</div>
        <div>{_table(["category", "songs"], ov_rows, {1})}</div></div></section>"""
    )

    review = report.match_review
    review_rows: list[list[Cell]] = []
    classes: list[str] = []
    for song in review["songs"][:MAX_REVIEW_SONGS]:
        k = song["kept"]
        review_rows.append(
            [song["position"], k["name"], k["artist"], k["album"], k["release_date"], k["isrc"], "kept"]
        )
        classes.append("kept")
        for m in song["merged"]:
            review_rows.append(
                [
                    "",
                    "↳ " + (m["name"] or "?"),
                    m["artist"],
                    m["album"],
                    m["release_date"],
                    m["isrc"],
                    m["reason"] + (" (via chain)" if m["via_chain"] else ""),
                ]
            )
            classes.append("")
    by_reason = ", ".join(f"{k}: {v:,}" for k, v in review["by_reason"].items())
    parts.append(
        f"""<section><h2>Match review</h2>
        <p>{
            _plural(review["songs_with_several_ids"], "song was", "songs were")
        } merged from different track ids
        ({_plural(review["merged_track_ids"], "copy", "copies")} merged; {by_reason}). Showing
        {min(len(review["songs"]), MAX_REVIEW_SONGS):,}.</p>
        {
            _table(["#", "track", "artist", "album", "released", "ISRC", "reason"], review_rows, {0}, classes)
            if review_rows
            else '<p class="muted">No merges across different track ids.</p>'
        }
        </section>"""
    )

    dna_rows: list[list[Cell]] = []
    meta = dna["metadata"]
    dna_cells: tuple[tuple[str, Callable[[ScopeMetadata], Cell]], ...] = (
        ("median release year", lambda m: str(m["median_release_year"] or "?")),
        ("median length (s)", lambda m: m["duration"]["median_s"]),
        ("explicit share", lambda m: None if m["explicit_share"] is None else f"{m['explicit_share']:.1%}"),
        ("distinct artists", lambda m: m["artists"]["distinct"]),
        ("artists making up half", lambda m: m["artists"]["half_library_artists"]),
        ("top artist", lambda m: m["artists"]["top"][0]["artist"] if m["artists"]["top"] else None),
    )
    for label, fn in dna_cells:
        dna_rows.append([label, *(fn(meta[s]) for s in dna["scopes"])])
    parts.append(
        f"""<section><h2>Musical DNA <span class="mode">{_e(dna["mode"])}</span></h2>
        <p class="muted">Mode {_e(dna["mode"])}: {_e(dna["reason"])}. {_e(dna["weighting"].capitalize())}.</p>
        <div class="grid2"><div>{_img(charts.dna_chart(dna), "musical DNA comparison")}</div>
        <div>{_img(charts.duration_chart(dna), "track lengths")}</div></div>
        {_table(["metric", *dna["scopes"]], dna_rows, set(range(1, len(dna["scopes"]) + 1)))}
        <h3>Timeline</h3>{_img(charts.timeline_chart(dna), "added over time")}</section>"""
    )

    excluded = report.excluded
    if excluded["entries"]:
        ex_rows: list[list[Cell]] = [
            [
                e["source"],
                e["position"] + 1,
                e["kind"],
                " - ".join(x for x in (e["artist"], e["name"]) if x) or e["uri"] or "(no track)",
            ]
            for e in excluded["entries"][:MAX_EXCLUDED]
        ]
        parts.append(
            f"""<section><h2>Left out</h2><p>{excluded["local_files"]:,} local files and
            {excluded["unavailable"]:,} unavailable entries: {_e(excluded["why"])}.</p>
            {_table(["source", "position", "kind", "entry"], ex_rows, {1})}</section>"""
        )

    if report.match_rules:
        rule_rows: list[list[Cell]] = [
            [r["rule"], " ".join(r["tracks"]), r["effect"]] for r in report.match_rules
        ]
        parts.append(
            f"""<section><h2>Your match rules</h2><p>A rule always wins over automatic matching.</p>
            {_table(["rule", "tracks", "here"], rule_rows, set())}</section>"""
        )

    title = f"Dry run: {planned['name']}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body><header><h1>{_e(title)}</h1>
<p>Dry-run report: nothing has been written to Spotify. Generated {_e(report.generated_at)}.</p></header>
<main>{"".join(parts)}<footer>spotify-merger dry-run report</footer></main></body></html>
"""
