"""Hostile names through the scripting surface: --json documents, exports, config, report.html and run.html.

The same hostile library as `test_hostile_input` (markup, escape sequences, C1 controls, bidi
overrides, fake `error:` lines, spreadsheet formulas). A JSON document keeps every name exact yet
holds no raw character a terminal would act on; an HTML page shows names cleaned and escaped; a
CSV keeps names, but never as a formula; every line printed is plain text.
"""

from __future__ import annotations

import csv
import json
import re
from html import escape
from pathlib import Path
from typing import Any

import pytest

from fixtures import report_page
from hostile import (
    ESCAPES,
    FORMULAS,
    MARKUP,
    Outcome,
    assert_clean,
    assert_one_error,
    copy_tree,
    invoke,
)
from spotify_merger.display import clean
from spotify_merger.emulator import Emulator
from spotify_merger.errors import ExitCode

pytestmark = pytest.mark.timeout(120)

# What a terminal acts on, besides the line breaks JSON's indentation uses.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
P1_NAME = f"{MARKUP} {ESCAPES}"


@pytest.fixture(scope="module")
def written(hostile_emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A data dir after `run --json --yes --name MARKUP` (copy it before changing it), and its document."""
    data = tmp_path_factory.mktemp("hostile-run") / "data"
    out = invoke(hostile_emu, data, "run", "--json", "--yes", "--name", MARKUP)
    assert out.code == 0, out.stderr[-3000:]
    return data, document(out)


def document(out: Outcome) -> dict[str, Any]:
    """stdout is one JSON document, with no raw terminal control in it."""
    assert not RAW_CONTROL.search(out.stdout), sorted(set(RAW_CONTROL.findall(out.stdout)))
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_playlists_json_keeps_names_exact_and_prints_no_control(
    hostile_emu: Emulator, tmp_path: Path, terminal: bool
) -> None:
    out = invoke(hostile_emu, tmp_path / "data", "playlists", "--json", terminal=terminal)
    assert out.code == 0, out.output
    doc = document(out)
    names = {p["name"] for p in doc["playlists"]}
    assert P1_NAME in names and FORMULAS[0] in names
    assert doc["user"]["display_name"] == f"{ESCAPES} {MARKUP}"
    assert_clean(Outcome(out.code, out.stderr, "", out.stderr, None), terminal=terminal)


def test_run_json_and_both_pages_show_the_names_as_text(written: tuple[Path, dict[str, Any]]) -> None:
    data, doc = written
    assert [p["name"] for p in doc["playlists"]] == [MARKUP]
    run_page = (data / "exports" / "run.html").read_text(encoding="utf-8")
    pages = {"report.html": report_page(data / "exports"), "run.html": run_page}
    for page, html in pages.items():
        assert not RAW_CONTROL.search(html.replace("\n", "")), page
        assert escape(MARKUP) in html, page  # the master's name, as text
        assert escape(clean(P1_NAME)) in html, page  # a source's name: cleaned, then escaped
        assert 'href="http://evil' not in html and "<link" not in html


def test_report_verify_and_undo_json_keep_names_exact(
    hostile_emu: Emulator, written: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    data = copy_tree(written[0], tmp_path / "data")
    report = document(invoke(hostile_emu, data, "report", "--json", "-q", "--name", MARKUP))
    assert report["dry_run"]["report"]["sources"][0]["name"] == P1_NAME
    verify = invoke(hostile_emu, data, "verify", "--json")
    assert verify.code == 0, verify.stderr
    assert [p["name"] for p in document(verify)["parts"]] == [MARKUP]
    undo = invoke(hostile_emu, data, "undo", "--json", "--yes")
    assert undo.code == 0, undo.stderr
    assert [p["name"] for p in document(undo)["removed"]] == [MARKUP]


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_export_keeps_names_but_never_as_formulas(
    hostile_emu: Emulator, written: tuple[Path, dict[str, Any]], tmp_path: Path, terminal: bool
) -> None:
    data = copy_tree(written[0], tmp_path / "data")
    out = invoke(hostile_emu, data, "export", "--all", "master", terminal=terminal)
    assert out.code == ExitCode.USAGE  # sources or --all, not both: one clean line
    assert_one_error(out, ExitCode.USAGE, "not both", terminal=terminal)
    out = invoke(hostile_emu, data, "export", "--all", "--out", str(tmp_path / "csv"), terminal=terminal)
    assert out.code == 0, out.output
    assert_clean(out, terminal=terminal)
    files = sorted((tmp_path / "csv").glob("*.csv"))
    assert len(files) == 2 and all(re.fullmatch(r"[A-Za-z0-9_]+\.csv", f.name) for f in files)
    names: set[str] = set()
    for path in files:
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for value in row.values():
                    assert not value.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), value
                names.add(row["Track Name"])
    for formula in FORMULAS:
        assert any(name.startswith("'" + formula) for name in names), formula
    assert any(ESCAPES in name for name in names)  # a CSV keeps the exact text, control and all


def test_an_export_refusal_in_json_is_exact_in_the_document_and_clean_on_stderr(
    hostile_emu: Emulator, written: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    data = copy_tree(written[0], tmp_path / "data")
    out = invoke(hostile_emu, data, "export", "--json", f"{MARKUP} no such")
    assert out.code == ExitCode.NOT_FOUND
    doc = document(out)
    assert doc["ok"] is False and doc["error"]["name"] == "NOT_FOUND"
    assert MARKUP in doc["error"]["message"]
    assert_one_error(
        Outcome(out.code, out.stderr, "", out.stderr, None), ExitCode.NOT_FOUND, "[bold]B[/bold]"
    )


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_config_shows_setting_values_as_text(hostile_emu: Emulator, tmp_path: Path, terminal: bool) -> None:
    settings: dict[str, str | None] = {"PLAYLIST_1_ID": MARKUP}
    out = invoke(hostile_emu, tmp_path / "data", "config", terminal=terminal, settings=settings)
    assert out.code == 0, out.output
    assert_clean(out, terminal=terminal)
    assert "[bold]B[/bold]" in re.sub(r"\x1b\[[0-9;]*m", "", out.output)
    doc = document(invoke(hostile_emu, tmp_path / "data", "config", "--json", settings=settings))
    assert doc["settings"]["PLAYLIST_1_ID"]["value"] == MARKUP
