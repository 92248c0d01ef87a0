"""exports/run.html: the page to keep after a run, with the master's links, the verify result and the counts.

Like report.html it is self-contained and works without JavaScript (see `_page`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spotify_merger.analyze.results import DryRunReport
from spotify_merger.report._page import (
    Column,
    Table,
    card,
    cell,
    human_time,
    link,
    options_text,
    page,
    spotify_url,
)
from spotify_merger.store.files import write_text_atomic

RUN_HTML = "run.html"


@dataclass(frozen=True)
class MasterPart:
    playlist_id: str
    name: str
    songs: int
    on_spotify: int | None = None  # what verify read back (None: not read)
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunPage:
    master_name: str
    outcome: str  # written | already-complete
    parts: list[MasterPart]
    verified: bool
    verified_at: str | None  # ISO, UTC
    api_calls: int
    generated_at: str  # ISO, UTC
    report: DryRunReport  # the sources, the counts and the options of the plan


def render_run_page(run: RunPage) -> str:
    summary = run.report.summary
    songs = sum(p.songs for p in run.parts)
    cards = [
        card(songs, "songs in the master"),
        card(len(run.parts), "playlist" if len(run.parts) == 1 else "playlists"),
        card(summary["before"]["total_entries"], "entries in the sources"),
        card(summary["impact"]["duplicates_removed"], "duplicates removed"),
        card(summary["impact"]["excluded_local"] + summary["impact"]["excluded_unavailable"], "left out"),
        card(run.api_calls, "API calls in this run"),
    ]
    if run.verified:
        when = f" ({human_time(run.verified_at)})" if run.verified_at else ""
        verdict = (
            f'<div class="ok">Verified{when}: every song of the plan is there, once, in order. '
            "`spotify-merger verify` checks again at any time.</div>"
        )
    else:
        verdict = '<div class="bad">Not verified: run `spotify-merger verify` to read the master back.</div>'
    masters = Table(
        "master playlists",
        [Column("playlist", raw=True), Column("songs", numeric=True), Column("on Spotify", numeric=True),
         Column("check"), Column("URI", nowrap=True)],
    )  # fmt: skip
    for part in run.parts:
        check = "; ".join(part.problems) or ("matches the plan" if run.verified else "not read back")
        masters.add(
            [cell(link(spotify_url("playlist", part.playlist_id), part.name)), part.songs,
             part.on_spotify, check, f"spotify:playlist:{part.playlist_id}"]
        )  # fmt: skip
    sources = Table(
        "sources",
        [
            Column("key"),
            Column("playlist", raw=True),
            Column("entries", numeric=True),
            Column("songs", numeric=True),
        ],
    )
    for s in summary["sources"]:
        sources.add(
            [
                s["key"],
                cell(link(spotify_url("playlist", s["id"]), s["name"] or s["id"])),
                s["entries"],
                s["songs"],
            ]
        )
    opts = run.report.planned_master["options"]
    already = run.outcome == "already-complete"
    header = (
        f"<p>{'This exact plan was written before; nothing new was written. ' if already else ''}"
        f"Run finished {human_time(run.generated_at)}. The sources were not modified.</p>"
    )
    sections = [
        f"""<section><h2>The new master playlist{"" if len(run.parts) == 1 else "s"}</h2>
        {verdict}{masters.html()}</section>""",
        f"""<section><h2>Counts</h2><div class="cards">{"".join(cards)}</div>
        <p class="muted">{options_text(opts["match"], opts["keep"], opts["order"], opts["keep_weights"])}
        The dry run behind it: report.html.</p></section>""",
        f"<section><h2>Sources</h2>{sources.html()}</section>",
    ]
    return page(f"Merged: {run.master_name}", header, sections, "spotify-merger run")


def write_run_page(exports_dir: Path, run: RunPage) -> Path:
    path = exports_dir / RUN_HTML
    write_text_atomic(path, render_run_page(run))
    return path
