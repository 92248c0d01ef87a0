"""report.html and run.html in a real headless Chromium (DevTools protocol, `chromium.py`).

Checked in the browser, not in the HTML text: every track, source and master links to
open.spotify.com; a table sorts on a click and the match review filters; nothing is fetched from
the network and the console stays clean; chart labels are at least 11 px at a desktop width;
the overlap chart labels every slice; dates do not wrap; the timestamp is for people; and with
JavaScript off the pages still show every row and every link.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import cast

import pytest

from chromium import CHROMIUM, Page, chromium
from fixtures import LibraryOf
from spotify_merger.analyze import SpotifyAnalyzer
from spotify_merger.analyze.results import DryRunReport
from spotify_merger.context import Environment
from spotify_merger.demo import run_demo
from spotify_merger.report import build_report
from spotify_merger.store.database import Database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary found (CI installs Debian's chromium)"),
]


def report_for(fetched_library: LibraryOf, tmp_path: Path, profile: str) -> tuple[DryRunReport, Path]:
    lib = fetched_library(profile)
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(lib.db_path, data / "spotify.duckdb")
    with Database(data / "spotify.duckdb") as db, SpotifyAnalyzer(db, lib.sources) as analyzer:
        report = build_report(Environment.for_tests(data), analyzer, master_name="Browser <Check>")
    return report, report.files["html"]


def strings(page: Page, js: str) -> list[str]:
    return [str(v) for v in cast(list[object], page.evaluate(js))]


def numbers(page: Page, js: str) -> list[float]:
    return [float(cast(float, v)) for v in cast(list[object], page.evaluate(js))]


def filtered(page: Page, table: str, query: str) -> tuple[int, str]:
    """Type `query` in the table's filter box: how many rows (or songs) stay, and what the box says."""
    page.evaluate(
        f"(() => {{ const box = {table}.parentNode.querySelector('input[type=search]');"
        f" box.value = {query!r}; box.dispatchEvent(new Event('input')); }})()"
    )
    groups = f"({table}.tBodies[0].classList.contains('song') ? [...{table}.tBodies] : [...{table}.tBodies[0].rows])"
    shown = cast(int, page.evaluate(f"{groups}.filter(g => !g.hidden).length"))
    return shown, cast(str, page.evaluate(f"{table}.parentNode.querySelector('.count').textContent"))


def test_no_network_and_a_clean_console_from_both_pages_without_javascript(
    fetched_library: LibraryOf, tmp_path: Path
) -> None:
    report, html = report_for(fetched_library, tmp_path, "dev-2026")
    with chromium(tmp_path) as page:
        page.open(html, javascript=False)
        assert page.problems() == []
        assert page.requests() == [html.resolve().as_uri()]
        # Everything is there without the script: the rows, the links, the lists behind <details>.
        reviewed = len(report.match_review["songs"])
        assert page.evaluate("document.querySelectorAll('details tbody.song').length") == reviewed
        assert (
            cast(int, page.evaluate("document.querySelectorAll('a[href*=\"open.spotify.com\"]').length")) > 10
        )
        assert page.evaluate("document.querySelectorAll('th button').length") == 0  # no sorting without JS
        assert page.evaluate("document.getElementById('show-art').hidden") is True


@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_report_html_in_chromium(fetched_library: LibraryOf, tmp_path: Path, profile: str) -> None:
    report, html = report_for(fetched_library, tmp_path, profile)
    with chromium(tmp_path) as page:
        page.open(html)  # in a desktop window, 1280 px wide

        # Links: every source, and every track of the top lists and of the match review.
        sources = report.summary["sources"]
        playlist_links = strings(
            page, "[...document.querySelectorAll('a[href*=\"/playlist/\"]')].map(a => a.href)"
        )
        assert [f"https://open.spotify.com/playlist/{s['id']}" for s in sources] == playlist_links
        reviewed = sum(1 + len(s["merged"]) for s in report.match_review["songs"])
        top = sum(len(rows) for rows in report.top_weighted_by_source.values())
        track_links = strings(page, "[...document.querySelectorAll('a[href*=\"/track/\"]')].map(a => a.href)")
        assert len(track_links) == reviewed + top
        assert all(re.fullmatch(r"https://open\.spotify\.com/track/[0-9A-Za-z]{22}", h) for h in track_links)
        rels = strings(page, "[...document.querySelectorAll('a[href^=\"https:\"]')].map(a => a.rel)")
        assert set(rels) == {"noopener noreferrer"}

        # A click sorts (numbers as numbers), a second click reverses.
        table = "document.querySelector('table[aria-label=\"most weighted songs of p1\"]')"
        column = f"[...{table}.tBodies[0].rows].map(r => r.cells[4].textContent)"
        header = f"{table}.tHead.rows[0].cells[4]"
        page.evaluate(f"{header}.querySelector('button').click()")
        assert page.evaluate(f"{header}.getAttribute('aria-sort')") == "ascending"
        ascending = [float(v) for v in strings(page, column)]
        assert ascending == sorted(ascending) and ascending[0] < ascending[-1]
        page.evaluate(f"{header}.querySelector('button').click()")
        assert [float(v) for v in strings(page, column)] == sorted(ascending, reverse=True)

        # The match review sorts and filters whole songs (the kept copy with its merged copies).
        review = "document.querySelector('table[aria-label=\"match review\"]')"
        songs = report.match_review["songs"]
        page.evaluate(f"{review}.tHead.rows[0].cells[1].querySelector('button').click()")
        page.evaluate(f"{review}.tHead.rows[0].cells[1].querySelector('button').click()")
        firsts = numbers(page, f"[...{review}.tBodies].map(b => +b.rows[0].cells[1].textContent)")
        assert firsts == sorted((float(s["position"]) for s in songs), reverse=True)
        isrc = songs[0]["kept"]["isrc"] or songs[0]["kept"]["name"] or ""
        hits = [
            s
            for s in songs
            if any(isrc in (c["isrc"] or "", c["name"] or "") for c in (s["kept"], *s["merged"]))
        ]
        assert filtered(page, review, isrc) == (len(hits), f"{len(hits)} of {len(songs)}")  # whole songs
        assert filtered(page, review, "no such song, anywhere") == (0, f"0 of {len(songs)}")
        # ...and the list of entries left out filters row by row.
        left_out = "document.querySelector('table[aria-label=\"entries left out\"]')"
        entries = report.excluded["entries"]
        local = sum(1 for x in entries if x["kind"] == "local")
        assert 0 < local < len(entries)
        assert filtered(page, left_out, "local") == (local, f"{local} of {len(entries)}")

        # Charts: inline SVG, every label at least 11 px on a desktop; every overlap slice labelled.
        sizes = numbers(
            page,
            "[...document.querySelectorAll('svg.chart')].flatMap(svg => {"
            " const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
            " return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale); })",
        )
        assert len(sizes) > 40 and min(sizes) >= 11, min(sizes)
        overlap = " ".join(
            strings(
                page,
                "[...document.querySelectorAll('svg[aria-label^=\"Overlap\"] text')].map(t => t.textContent)",
            )
        )
        ov = report.summary["overlap"]
        for label, value in (
            ("only p1", ov["only_p1"]),
            ("in both", ov["in_both"]),
            ("only p2", ov["only_p2"]),
        ):
            assert label in overlap and f"{value:,}" in overlap, (label, overlap)

        # Dates never wrap; the timestamp reads like a date.
        wraps = strings(
            page, "[...document.querySelectorAll('td.nowrap, time')].map(c => getComputedStyle(c).whiteSpace)"
        )
        assert wraps and set(wraps) == {"nowrap"}
        stamp = cast(str, page.evaluate("document.querySelector('header time').textContent"))
        assert re.fullmatch(r"[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d UTC", stamp), stamp

        # Nothing was fetched and nothing complained, the whole time.
        assert page.problems() == []
        assert page.requests() == [html.resolve().as_uri()]

        # Album art waits to be asked for: then each thumbnail gets its address (on Spotify's servers).
        arts = cast(int, page.evaluate("document.querySelectorAll('img[data-src]').length"))
        assert arts > 0 and page.evaluate("document.querySelectorAll('img[src]').length") == 0
        page.evaluate("document.getElementById('show-art').click()")
        assert page.evaluate("document.querySelectorAll('img[src^=\"https://i.scdn.co/\"]').length") == arts


def test_run_html_links_the_master_and_shows_the_verification(tmp_path: Path) -> None:
    env = Environment.for_tests(tmp_path / "demo")
    outcome = run_demo(env, sizes=(70, 60), yes=True)
    page_path = env.exports_dir / "run.html"
    [master] = outcome.playlists
    with chromium(tmp_path) as page:
        page.open(page_path)
        assert strings(page, "[...document.querySelectorAll('a[href*=\"/playlist/\"]')].map(a => a.href)")[
            0
        ] == (f"https://open.spotify.com/playlist/{master.id}")
        text = cast(str, page.evaluate("document.body.innerText"))
        assert "Verified" in text and "matches the plan" in text
        assert f"{master.tracks:,}" in text and f"spotify:playlist:{master.id}" in text
        assert page.problems() == []
        assert page.requests() == [page_path.resolve().as_uri()]
