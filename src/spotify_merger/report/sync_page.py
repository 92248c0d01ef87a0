"""The sync section of the exports: exports/sync_report.json and the page exports/sync_report.html.

`sync` writes both before it asks: per part, the entries now, to add, to prune and after; then
every song each list names (new, removed by hand, added by hand, gone from the sources, repeats
beyond the weight). Like report.html the page is self-contained (inline CSS and script), and
every title is cleaned and escaped (`_page`): text from Spotify is shown, never interpreted. Songs
and parts link to open.spotify.com; the tables sort, and long lists filter, with JavaScript on.
"""

from __future__ import annotations

from typing import TypedDict

from spotify_merger.report._page import Column, Table, card, cell, e, human_time, link, page, spotify_url

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
        card(d["added"], "entries to add"),
        card(d["pruned"], "entries to prune"),
        card(sum(n["copies"] for n in d["removed_by_hand"]), "removed by hand"),
        card(len(d["added_by_hand"]), "added by hand"),
        card(len(d["gone_from_sources"]), "gone from the sources"),
    ]
    parts = Table(
        "parts",
        [Column("part", raw=True), Column("now", numeric=True), Column("add", numeric=True),
         Column("prune", numeric=True), Column("after", numeric=True)],
    )  # fmt: skip
    for p in d["parts"]:
        name = p["name"] + (" (new)" if p["new"] else "")
        url = spotify_url("playlist", p["playlist_id"]) if p["playlist_id"] else None
        parts.add([cell(link(url, name)), p["entries_before"], p["adds"], p["prunes"], p["entries_after"]])
    sections = [
        f'<section><h2>Sync</h2><div class="cards">{"".join(cards)}</div>'
        f"<h3>Per part</h3>{parts.html()}</section>"
    ]
    gone_title = (
        "Gone from the sources (" + ("pruned" if d["pruning"] else "kept; --prune removes them") + ")"
    )
    for key, title in _LISTS:
        notes: list[SyncSongNote] = d[key]  # type: ignore[literal-required]
        if not notes:
            continue
        heading = gone_title if key == "gone_from_sources" else title
        songs = Table(
            heading,
            [Column("song", raw=True), Column("copies", numeric=True), Column("part", numeric=True)],
            filterable=len(notes) > 10,
        )
        for n in notes[:MAX_LISTED]:
            shown = n["name"] or n["uri"] or "(an entry Spotify no longer plays)"
            songs.add([cell(link(spotify_url(n["uri"]), shown)), n["copies"], n["part"]])
        more = (
            f"<p class='muted'>… and {len(notes) - MAX_LISTED:,} more.</p>" if len(notes) > MAX_LISTED else ""
        )
        sections.append(f"<section><h2>{e(heading)}: {len(notes):,}</h2>{songs.html()}{more}</section>")
    intro = (
        "Adopting a playlist spotify-merger did not make: everything already in it counts as added by hand. "
        if doc["adopting"]
        else ""
    )
    header = (
        f"<p>{e(intro)}What this sync changes in the master; existing entries are never reordered. "
        f"Generated {human_time(doc['generated_at'])}.</p>"
    )
    return page(f"Sync: {doc['master']}", header, sections, "spotify-merger sync report")
