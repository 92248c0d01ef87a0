"""What report.html and run.html share: the page around the content, tables, links, times.

Pages are self-contained: inline CSS, inline SVG charts, one small inline script and nothing
fetched. Without JavaScript they are complete (every row, every link, `<details>` to open); the
script only adds sorting by any column, a filter box on long tables, and, on request, album art
thumbnails (the one thing loaded from elsewhere, Spotify's image server, only when asked).
Every value is cleaned and escaped (`e`): names come from Spotify and from other people, and a page
opened with `cat` or `less` must not drive the terminal either. Links are built only from ids of
Spotify's own alphabet, and album art only from https URLs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlsplit

from spotify_merger.display import clean

OPEN_SPOTIFY = "https://open.spotify.com"
Cell = str | int | float | None

CSS = """
:root { --ink:#222831; --muted:#5f6873; --line:#e3e6ea; --accent:#1db954; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
header { background:#121212; color:#fff; padding:28px 40px; }
header h1 { margin:0 0 4px; font-size:26px; font-weight:650; }
header p { margin:0; color:#c8c8c8; }
header a { color:#fff; }
main { max-width:1180px; margin:0 auto; padding:24px 40px 60px; }
section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:20px 24px; margin:18px 0; }
h2 { margin:0 0 12px; font-size:19px; }
h3 { margin:18px 0 8px; font-size:15px; color:var(--muted); font-weight:600; }
a { color:#0b6e3b; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); gap:12px; }
.card { border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.card .v { font-size:24px; font-weight:650; }
.card .k { color:var(--muted); font-size:13px; }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:18px; }
@media (max-width: 900px) { .grid2 { grid-template-columns:1fr; } main { padding:16px; } }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:13.5px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; white-space:nowrap; }
th button { all:inherit; cursor:pointer; }
th button::after { content:" \\2195"; color:#b0b6bd; }
th[aria-sort=ascending] button::after { content:" \\2191"; color:var(--ink); }
th[aria-sort=descending] button::after { content:" \\2193"; color:var(--ink); }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
.nowrap, time { white-space:nowrap; }
tbody.song tr:first-child td { font-weight:600; background:#f1fbf4; }
tbody.song + tbody.song tr:first-child td { border-top:2px solid var(--line); }
td.art { width:40px; padding:2px 4px; }
td.art img { width:32px; height:32px; border-radius:3px; display:block; }
td.art img:not([src]) { display:none; }
.note { background:#fff8e1; border-left:4px solid #f0b400; padding:8px 12px; margin:6px 0; border-radius:4px; }
.ok { background:#f1fbf4; border-left:4px solid var(--accent); padding:8px 12px; margin:6px 0; border-radius:4px; }
.bad { background:#fdecea; border-left:4px solid #d93025; padding:8px 12px; margin:6px 0; border-radius:4px; }
.mode { display:inline-block; padding:2px 10px; border-radius:12px; background:var(--accent); color:#fff;
        font-size:12px; font-weight:600; margin-left:8px; vertical-align:middle; }
svg.chart { width:100%; max-width:780px; height:auto; display:block; margin:0 auto; }
details > summary { cursor:pointer; color:#0b6e3b; font-weight:600; margin:8px 0; }
input[type=search] { font:inherit; padding:4px 8px; margin:4px 0 8px; width:min(320px, 100%);
                     border:1px solid var(--line); border-radius:6px; }
.tools { margin:10px 0 0; }
.tools button { font:inherit; font-size:13px; padding:3px 10px; border-radius:6px; border:1px solid #555;
                background:#2a2a2a; color:#fff; cursor:pointer; }
.count { color:var(--muted); font-size:13px; margin-left:8px; }
.muted { color:var(--muted); }
footer { color:var(--muted); font-size:12px; text-align:center; margin-top:30px; }
"""

# Sorting (click a column heading; again to reverse), filtering (long tables) and album art on
# request. A table with one <tbody> per song (the match review) sorts and filters whole songs.
SCRIPT = """
(function () {
  "use strict";
  function value(cell) {
    if (!cell) { return ""; }
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    var number = raw.replace(/[,%\\s]/g, "");
    return /^-?\\d+(\\.\\d+)?$/.test(number) ? parseFloat(number) : raw.toLowerCase();
  }
  function grouped(table) { return table.tBodies[0].classList.contains("song"); }
  function groups(table) {
    return Array.prototype.slice.call(grouped(table) ? table.tBodies : table.tBodies[0].rows);
  }
  function firstRow(group) { return group.rows ? group.rows[0] : group; }
  function sortBy(table, column, th) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var items = groups(table).map(function (group, index) {
      return { group: group, key: value(firstRow(group).cells[column]), index: index };
    });
    items.sort(function (a, b) {
      var x = a.key, y = b.key, order = 0;
      if (typeof x === typeof y) { order = x < y ? -1 : x > y ? 1 : 0; }
      else { order = typeof x === "number" ? -1 : 1; }
      return (ascending ? order : -order) || a.index - b.index;
    });
    var parent = grouped(table) ? table : table.tBodies[0];
    items.forEach(function (item) { parent.appendChild(item.group); });
  }
  function addFilter(table) {
    var box = document.createElement("input");
    var count = document.createElement("span");
    box.type = "search";
    box.placeholder = "Filter these rows";
    box.setAttribute("aria-label", "Filter " + (table.getAttribute("aria-label") || "the table"));
    count.className = "count";
    table.parentNode.insertBefore(box, table);
    table.parentNode.insertBefore(count, table);
    box.addEventListener("input", function () {
      var query = box.value.trim().toLowerCase(), all = groups(table), shown = 0;
      all.forEach(function (group) {
        var hit = !query || group.textContent.toLowerCase().indexOf(query) >= 0;
        group.hidden = !hit;
        shown += hit ? 1 : 0;
      });
      count.textContent = query ? shown + " of " + all.length : "";
    });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, column, th); });
    });
    if (table.hasAttribute("data-filter")) { addFilter(table); }
  });
  var art = document.getElementById("show-art");
  if (art) {
    art.hidden = false;
    art.addEventListener("click", function () {
      document.querySelectorAll("img[data-src]").forEach(function (img) {
        img.src = img.getAttribute("data-src");
      });
      art.disabled = true;
    });
  }
})();
"""


# Spotify ids are base62; the emulator's and Liked Songs' ids stay within this alphabet too.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def e(value: object) -> str:
    """Cleaned, escaped text, safe in content and in quoted attributes (None shows as nothing)."""
    return escape(clean("" if value is None else str(value)))


def num(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else e(value)


def link(url: str | None, text: object) -> str:
    """An external link (a new tab, no referrer), or the bare text when there is no URL."""
    if not url:
        return e(text)
    return f'<a href="{e(url)}" target="_blank" rel="noopener noreferrer">{e(text)}</a>'


def spotify_url(uri_or_kind: str | None, item_id: str | None = None) -> str | None:
    """open.spotify.com for a `spotify:track:ID` style URI, or for a kind and an id; None otherwise."""
    if item_id is None:
        parts = (uri_or_kind or "").split(":")
        if len(parts) != 3 or parts[0] != "spotify" or parts[1] not in ("track", "episode", "playlist"):
            return None
        uri_or_kind, item_id = parts[1], parts[2]
    if not item_id or not uri_or_kind or not _ID.match(item_id):
        return None
    if item_id == "liked":
        return f"{OPEN_SPOTIFY}/collection/tracks"
    return f"{OPEN_SPOTIFY}/{uri_or_kind}/{item_id}"


def art_cell(url: str | None) -> str:
    """A thumbnail that loads only when asked (the "Show album art" button): nothing is fetched before.

    Only an https URL becomes an image: the URL comes from the API, and no other scheme belongs there."""
    return (
        f'<td class="art"><img data-src="{e(url)}" alt="" width="32" height="32"></td>'
        if url and _is_https(url)
        else '<td class="art"></td>'
    )


def _is_https(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and url == clean(url) and " " not in url


def human_time(iso: str) -> str:
    """`<time>` with the machine value, showing e.g. "Wednesday 2 December 2026, 05:12 UTC"."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return e(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    moment = moment.astimezone(dt.UTC)
    shown = f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M} UTC"
    return f'<time datetime="{e(moment.isoformat())}">{e(shown)}</time>'


@dataclass
class Column:
    title: str
    numeric: bool = False
    nowrap: bool = False
    raw: bool = False  # the cells are HTML already (links, thumbnails)


@dataclass
class Table:
    """A table that sorts by any column (with JavaScript on), optionally with a filter box."""

    label: str
    columns: list[Column]
    bodies: list[list[list[Cell]]] = field(default_factory=list)  # one body per group of rows
    filterable: bool = False

    def add(self, *rows: list[Cell]) -> None:
        """One group: a row (plain tables) or a song with its merged copies (grouped tables)."""
        self.bodies.append(list(rows))

    def html(self) -> str:
        head = "".join(
            f'<th class="n" scope="col">{e(c.title)}</th>'
            if c.numeric
            else f'<th scope="col">{e(c.title)}</th>'
            for c in self.columns
        )
        grouped = any(len(rows) > 1 for rows in self.bodies)
        bodies = []
        for rows in self.bodies:
            body = "".join(
                f"<tr>{''.join(self._cell(c, v) for c, v in zip(self.columns, row, strict=True))}</tr>"
                for row in rows
            )
            bodies.append(f'<tbody class="song">{body}</tbody>' if grouped else body)
        inner = "".join(bodies) if grouped else f"<tbody>{''.join(bodies)}</tbody>"
        attrs = f' aria-label="{e(self.label)}"' + (" data-filter" if self.filterable else "")
        return f'<div class="scroll"><table class="sortable"{attrs}><thead><tr>{head}</tr></thead>{inner}</table></div>'

    @staticmethod
    def _cell(column: Column, value: Cell) -> str:
        if column.raw:
            return str(value or "<td></td>")
        classes = " ".join(c for c, on in (("n", column.numeric), ("nowrap", column.nowrap)) if on)
        cls = f' class="{classes}"' if classes else ""
        sort = f' data-sort="{value}"' if column.numeric and isinstance(value, int | float) else ""
        return f"<td{cls}{sort}>{num(value) if column.numeric else e(value)}</td>"


def cell(html: str) -> str:
    """A ready-made `<td>` for a `raw` column (a link, a thumbnail)."""
    return f"<td>{html}</td>"


def details(summary: str, content: str, *, open_: bool) -> str:
    return f"<details{' open' if open_ else ''}><summary>{e(summary)}</summary>{content}</details>"


def options_text(match: object, keep: object, order: object, keep_weights: object) -> str:
    """The merge options in one line, as the page shows them under the plan."""
    weights = ", weights kept" if keep_weights else ""
    return f"match = {e(match)}, keep = {e(keep)}, order = {e(order)}{weights}."


def card(value: Cell, label: str) -> str:
    return f'<div class="card"><div class="v">{num(value)}</div><div class="k">{e(label)}</div></div>'


def plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


# The browser enforces what the page promises: its own inline style and script, and images only
# from https (album art, when asked); no other request, form or frame.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src https: data:; "
    "base-uri 'none'; form-action 'none'"
)


def page(title: str, header: str, sections: Sequence[str], footer: str) -> str:
    """The whole document: head with the inline style, header, sections, footer, inline script."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{e(title)}</title><style>{CSS}</style></head>
<body><header><h1>{e(title)}</h1>{header}</header>
<main>{"".join(sections)}<footer>{footer}</footer></main>
<script>{SCRIPT}</script></body></html>
"""
