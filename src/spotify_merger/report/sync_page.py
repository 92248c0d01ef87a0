"""The sync section of the exports: exports/sync_report.json and the page exports/sync_report.html.

`sync` writes both before it asks: per part, the entries now, to add, to prune and after; then
every song each list names (new, removed by hand, added by hand, gone from the sources, repeats
beyond the weight). Like report.html the page is self-contained (inline CSS, no scripts), and
every title is escaped: text from Spotify is shown, never interpreted.
"""

from __future__ import annotations

from typing import TypedDict

from spotify_merger.report.html import CSS, Cell, _card, _e, _table

MAX_LISTED = 200


class SyncPartRow(TypedDict):
    index: int
    name: str
    playlist_id: str | None  # None: a part this sync creates
    new: bool
    entries_before: int
    entries_after: int
    adds: int
    prunes: int
    removed_uris: list[str]


class SyncSongNote(TypedDict):
    uri: str | None
    name: str | None  # "Title — Artist", when the catalogue knows it
    part: int
    copies: int


class SyncDelta(TypedDict):
    parts: list[SyncPartRow]
    added: int
    pruned: int
    new_songs: list[SyncSongNote]
    removed_by_hand: list[SyncSongNote]
    added_by_hand: list[SyncSongNote]
    gone_from_sources: list[SyncSongNote]
    over_weight: list[SyncSongNote]
    pruning: bool


class SyncReport(TypedDict):
    master: str
    master_id: str | None
    adopting: bool
    prune: bool
    generated_at: str
    delta: SyncDelta


_LISTS = (
    ("new_songs", "New songs, appended in plan order"),
    ("removed_by_hand", "Removed by hand: never added again"),
    ("added_by_hand", "Added by hand: kept, never pruned, never duplicated"),
    ("gone_from_sources", "Gone from the sources"),
    ("over_weight", "Repeats beyond the current weight (pruned)"),
)


def render_sync_html(doc: SyncReport) -> str:
    d = doc["delta"]
    cards = [
        _card(d["added"], "entries to add"),
        _card(d["pruned"], "entries to prune"),
        _card(sum(n["copies"] for n in d["removed_by_hand"]), "removed by hand"),
        _card(len(d["added_by_hand"]), "added by hand"),
        _card(len(d["gone_from_sources"]), "gone from the sources"),
    ]
    rows: list[list[Cell]] = [
        [
            p["name"] + (" (new)" if p["new"] else ""),
            p["entries_before"],
            p["adds"],
            p["prunes"],
            p["entries_after"],
        ]
        for p in d["parts"]
    ]
    sections = [
        f"""<section><h2>Sync</h2><div class="cards">{"".join(cards)}</div>
        <h3>Per part</h3>{_table(["part", "now", "add", "prune", "after"], rows, {1, 2, 3, 4})}</section>"""
    ]
    gone_title = (
        "Gone from the sources (" + ("pruned" if d["pruning"] else "kept; --prune removes them") + ")"
    )
    for key, title in _LISTS:
        notes: list[SyncSongNote] = d[key]  # type: ignore[literal-required]
        if not notes:
            continue
        heading = gone_title if key == "gone_from_sources" else title
        listed: list[list[Cell]] = [
            [n["name"] or n["uri"] or "(an entry Spotify no longer plays)", n["copies"], n["part"]]
            for n in notes[:MAX_LISTED]
        ]
        more = (
            f"<p class='muted'>… and {len(notes) - MAX_LISTED:,} more.</p>" if len(notes) > MAX_LISTED else ""
        )
        sections.append(
            f"<section><h2>{_e(heading)}: {len(notes):,}</h2>"
            f"{_table(['song', 'copies', 'part'], listed, {1, 2})}{more}</section>"
        )
    intro = (
        "Adopting a playlist spotify-merger did not make: everything already in it counts as added by hand. "
        if doc["adopting"]
        else ""
    )
    title = f"Sync: {doc['master']}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body><header><h1>{_e(title)}</h1>
<p>{_e(intro)}What this sync changes in the master; existing entries are never reordered.
Generated {_e(doc["generated_at"])}.</p></header>
<main>{"".join(sections)}<footer>spotify-merger sync report</footer></main></body></html>
"""
