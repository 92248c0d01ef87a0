"""Hostile input through every command: names chosen by strangers, values typed by the user.

One emulator (module-scoped) serves playlists, tracks, artists, albums and a user whose names are
rich markup, terminal escape sequences (blink, OSC 8 links, window titles, C1 controls), fake
`error:` lines, bidi overrides, spreadsheet formulas and overlong text. Every command runs in
process, piped and as on a terminal; every output must be plain text (`hostile.assert_clean`),
and every refusal one `error:` line and one `hint:` line with its documented exit code.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile import (
    ESCAPES,
    FORMULAS,
    MARKUP,
    NOT_UTF8,
    Outcome,
    assert_clean,
    assert_one_error,
    assert_shows_hostile_names_as_text,
    copy_tree,
    hostile_emulator,
    invoke,
)
from spotify_merger.emulator import Emulator

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    emulator = hostile_emulator()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def fetched(emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir after one `fetch` of the hostile library (copy it before changing it)."""
    data = tmp_path_factory.mktemp("hostile") / "data"
    out = invoke(emu, data, "fetch")
    assert out.code == 0, out.output
    return data


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_playlists_shows_hostile_names_as_text(emu: Emulator, tmp_path: Path, terminal: bool) -> None:
    out = invoke(emu, tmp_path / "data", "playlists", terminal=terminal)
    assert out.code == 0, out.output
    assert_clean(out, terminal=terminal)
    assert_shows_hostile_names_as_text(out)


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_fetch_and_auth_show_hostile_names_as_text(
    emu: Emulator, fetched: Path, tmp_path: Path, terminal: bool
) -> None:
    data = copy_tree(fetched, tmp_path / "data")
    for args in (["fetch"], ["-v", "fetch", "--no-features"], ["auth"]):
        out = invoke(emu, data, *args, terminal=terminal)
        assert out.code == 0, out.output
        assert_clean(out, terminal=terminal)
    assert_shows_hostile_names_as_text(out, ("BLINK", "[/]"))  # auth: "Signed in as <display name>"


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_report_shows_names_as_text(emu: Emulator, fetched: Path, tmp_path: Path, terminal: bool) -> None:
    data = copy_tree(fetched, tmp_path / "data")
    out = invoke(emu, data, "report", "--name", MARKUP, terminal=terminal)
    assert out.code == 0, out.output
    assert_clean(out, terminal=terminal)
    assert_shows_hostile_names_as_text(out, ("[/]", "[bold]B[/bold]", "BLINK"))
    # The JSON and the HTML keep the exact text (JSON is data; HTML escapes it).
    doc = json.loads((data / "exports" / "dry_run_report.json").read_text(encoding="utf-8"))
    assert doc["planned_master"]["name"] == MARKUP
    html = (data / "exports" / "report.html").read_text(encoding="utf-8")
    assert "[link=http://evil.example]click[/link]" in html and "<script>alert" not in html
    assert "\x1b" not in html


def test_the_plan_csv_holds_no_formulas_and_numbers_stay_numbers(
    emu: Emulator, fetched: Path, tmp_path: Path
) -> None:
    pytest.importorskip("spotify_merger.safe_csv")  # the one CSV-cell rule (lands with `export`)
    data = copy_tree(fetched, tmp_path / "data")
    out = invoke(emu, data, "report", "--no-html")
    assert out.code == 0, out.output
    with open(data / "exports" / "merge_plan.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        for column in ("uri", "name", "artist", "reason"):
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), row
        assert row["position"].isdigit() and all(row[k].isdigit() for k in row if k.startswith("weight_"))
    names = {row["name"] for row in rows}
    for formula in FORMULAS:
        # Neutralised, not dropped: the title is still there, behind one apostrophe.
        assert any(name.startswith("'" + formula) for name in names), formula


@pytest.mark.parametrize("name", [MARKUP, "[bold]A[/bold]", "[/]"], ids=["markup", "bold", "close"])
def test_run_writes_and_previews_exactly_the_typed_name(
    emu: Emulator, fetched: Path, tmp_path: Path, name: str
) -> None:
    data = copy_tree(fetched, tmp_path / "data")
    before = set(emu.user_playlist_ids())
    out = invoke(emu, data, "run", "--yes", "--name", name, terminal=True)
    assert out.code == 0, out.output
    assert_clean(out, terminal=True)
    [created] = [p for p in emu.user_playlist_ids() if p not in before]
    assert emu.playlist(created)["name"] == name  # what was written
    assert name in out.output.replace("\n", "")  # what was previewed, character for character
    for args in (["verify"], ["undo", "--yes"]):
        again = invoke(emu, data, *args, terminal=True)
        assert again.code == 0, again.output
        assert_clean(again, terminal=True)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["fetch", "[/]"], 2, ["'[/]' is not a playlist"]),
        (["fetch", ESCAPES], 2, ["BLINK", "is not a playlist"]),
        (["fetch", MARKUP], 2, ["[link=http://evil.example]click[/link]"]),
        (["fetch", ""], 2, ["an empty source"]),
        (["fetch", "x" * 10_000], 2, ["(10,000 characters)"]),
        (["fetch", NOT_UTF8], 2, ["bad \ufffd bytes"]),
        (["report", "[/]"], 2, ["'[/]' is not a playlist"]),
        (["run", "--yes", "[/]"], 2, ["'[/]' is not a playlist"]),
        (["run", "--yes", "--name", ESCAPES], 2, ["control characters"]),
        (["run", "--yes", "--name", "one\ntwo"], 2, ["control characters"]),
        (["run", "--yes", "--name", NOT_UTF8], 2, ["not UTF-8"]),
        (["run", "--yes", "--name", "N" * 10_000], 2, ["10000 characters long"]),
        (["report", "--name", "\x9b31m"], 2, ["control characters"]),
        (["run", "--match", MARKUP], 2, ["[bold]B[/bold]"]),
        (["report", "--keep", ESCAPES], 2, ["BLINK"]),
        (["fetch", "--max-wait", MARKUP], 2, ["--max-wait", "[bold]B[/bold]"]),
        (["emulator", "--host", f"{MARKUP}{ESCAPES}"], 2, ["--host", "[/]", "not an IP address"]),
        (["emulator", "--host", "203.0.113.1"], 2, ["cannot listen"]),
        (["emulator", "--profile", ESCAPES], 2, ["unknown profile", "BLINK"]),
        (["demo", "--profile", MARKUP], 2, ["unknown profile", "[/]"]),
    ],
    ids=lambda v: v if isinstance(v, int) else None,
)
@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_hostile_values_typed_by_the_user_are_refused_in_one_clean_line(
    emu: Emulator, fetched: Path, tmp_path: Path, args: list[str], code: int, words: list[str], terminal: bool
) -> None:
    data = copy_tree(fetched, tmp_path / "data")
    out = invoke(emu, data, *args, terminal=terminal)
    error = assert_one_error(out, code, *words, terminal=terminal)
    assert len(error) < 400  # overlong values are shortened, not echoed whole


def test_demo_in_a_hostile_data_dir_path(tmp_path: Path) -> None:
    # No "/" (a separator) and no "\\" (DuckDB reads it as one: refused, exit 9, see below).
    data = tmp_path / f"{MARKUP} {ESCAPES}".replace("/", "|").replace("\\", "|")
    out = invoke(None, data, "demo", "--yes", "--sizes", "30,30", terminal=True)
    assert out.code == 0, out.output
    assert_clean(out, terminal=True)
    assert "[bold]B[|bold]" in out.output.replace("\n", "") and "Opening your browser" not in out.output
    slashed = invoke(None, tmp_path / "back\\slash", "demo", "--yes", "--sizes", "30,30")
    assert_one_error(slashed, 9, "backslash")


def run_piped_and_terminal(emu: Emulator, data: Path, *args: str) -> list[Outcome]:
    return [invoke(emu, data, *args, terminal=t) for t in (False, True)]
