"""`spotify-merger export`: Exportify's columns from DuckDB, Parquet, the master, safe CSV cells, bad input."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from fixtures import FetchedLibrary, LibraryOf
from spotify_merger.cli import app
from spotify_merger.context import SETTINGS, Environment
from spotify_merger.demo import run_demo
from spotify_merger.errors import ExitCode
from spotify_merger.export import EXPORTIFY_COLUMNS, FEATURE_COLUMNS, Target, file_stem
from spotify_merger.safe_csv import FORMULA_STARTS, safe_cell, safe_sql
from spotify_merger.store.database import Database

EXPORTIFY_HEADER = [
    "Track URI", "Track Name", "Artist URI(s)", "Artist Name(s)", "Album URI", "Album Name",
    "Album Artist URI(s)", "Album Artist Name(s)", "Album Release Date", "Album Image URL", "Disc Number",
    "Track Number", "Track Duration (ms)", "Track Preview URL", "Explicit", "Popularity", "ISRC",
    "Is Playable", "Added By", "Added At",
]  # fmt: skip


def copy_of(lib: FetchedLibrary, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(lib.db_path, data / "spotify.duckdb")
    return data


def export(data: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--data-dir", str(data), "export", *args], env=dict.fromkeys(SETTINGS))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_a_playlist_exports_with_exportifys_columns_in_playlist_order(
    fetched_library: LibraryOf, tmp_path: Path
) -> None:
    lib = fetched_library("dev-2026")
    data = copy_of(lib, tmp_path)
    p1 = lib.sources[0]
    result = export(data, p1)
    assert result.exit_code == 0, result.output
    [path] = (data / "exports").glob(f"*_{p1}.csv")
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == EXPORTIFY_HEADER == [name for name, _ in EXPORTIFY_COLUMNS]
    rows = read_csv(path)
    # Every entry but the unavailable ones (no track: Exportify leaves them out too), in order.
    assert [r["Track URI"] for r in rows] == [u for u in lib.uris[p1] if u]
    tracks = [r for r in rows if r["Track URI"].startswith("spotify:track:")]
    assert tracks and all(r["Artist URI(s)"].startswith("spotify:artist:") for r in tracks)
    assert all(r["Album URI"].startswith("spotify:album:") for r in tracks)
    assert all(r["Album Artist Name(s)"] for r in tracks)
    assert all(re.fullmatch(r"https://i\.scdn\.co/image/\w+", r["Album Image URL"]) for r in tracks)
    assert all(int(r["Track Number"]) >= 1 and int(r["Disc Number"]) >= 1 for r in tracks)
    assert {r["Explicit"] for r in tracks} <= {"true", "false"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["Added At"]) for r in rows if r["Added At"])
    assert all(r["Added By"].startswith("spotify:user:") for r in rows if r["Added By"])
    # What the 2026 Development Mode API no longer serves is there, and empty.
    for gone in ("Track Preview URL", "Popularity", "Is Playable"):
        assert {r[gone] for r in rows} == {""}, gone
    locals_ = [r for r in rows if r["Track URI"].startswith("spotify:local:")]
    assert locals_ and all(r["Track Name"] for r in locals_)
    assert not [p for p in (data / "exports").iterdir() if p.name.startswith(".")]


def test_extended_apps_fill_popularity_and_the_feature_columns(
    fetched_library: LibraryOf, tmp_path: Path
) -> None:
    lib = fetched_library("extended")
    data = copy_of(lib, tmp_path)
    out = tmp_path / "p2.csv"
    assert export(data, lib.sources[1], "--features", "--out", str(out)).exit_code == 0
    rows = read_csv(out)
    assert list(rows[0]) == EXPORTIFY_HEADER + [name for name, _ in FEATURE_COLUMNS]
    tracks = [r for r in rows if r["Track URI"].startswith("spotify:track:")]
    assert all(r["Popularity"].isdigit() for r in tracks)
    assert sum(1 for r in tracks if r["Danceability"]) > len(tracks) // 2
    assert any(r["Artist Genres"] for r in tracks)


def test_parquet_has_the_same_columns_typed(fetched_library: LibraryOf, tmp_path: Path) -> None:
    lib = fetched_library("dev-2026")
    data = copy_of(lib, tmp_path)
    result = export(data, "--all", "--format", "parquet", "--out", str(tmp_path / "pq"), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["command"] == "export" and doc["ok"] is True
    assert [f["playlist"] for f in doc["files"]] == lib.sources  # p1 first, as everywhere else
    first = doc["files"][0]
    with duckdb.connect() as conn:
        described = conn.execute(f"DESCRIBE SELECT * FROM read_parquet('{first['path']}')").fetchall()
        count = conn.execute(f"SELECT count(*) FROM read_parquet('{first['path']}')").fetchone()
    types = {name: kind for name, kind, *_ in described}
    assert list(types) == EXPORTIFY_HEADER
    assert types["Added At"] == "TIMESTAMP" and types["Track Duration (ms)"] == "INTEGER"
    assert types["Explicit"] == "BOOLEAN"
    assert count is not None and count[0] == first["rows"] == len([u for u in lib.uris[lib.sources[0]] if u])


def test_the_master_exports_in_its_written_order(tmp_path: Path) -> None:
    env = Environment.for_tests(tmp_path / "demo")
    outcome = run_demo(env, sizes=(80, 70), yes=True)
    result = export(tmp_path / "demo", "master", "--out", str(tmp_path / "master.csv"))
    assert result.exit_code == 0, result.output
    rows = read_csv(tmp_path / "master.csv")
    planned = [r["uri"] for r in read_csv(env.exports_dir / "merge_plan.csv")]
    assert [r["Track URI"] for r in rows] == planned
    assert len(rows) == outcome.playlists[0].tracks
    assert all(r["Added At"] for r in rows) and all(r["Track Name"] for r in rows)


def test_text_that_a_spreadsheet_would_run_is_neutralised(fetched_library: LibraryOf, tmp_path: Path) -> None:
    lib = fetched_library("dev-2026")
    data = copy_of(lib, tmp_path)
    hostile = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "  =1", "＝1", 'a,"b"']
    with Database(data / "spotify.duckdb") as db:
        # Distinct tracks: a playlist may hold a track twice, and each name must land on its own.
        rows = db.fetchall(
            "SELECT item_id FROM entries WHERE playlist_id = ? AND item_type = 'track' "
            "GROUP BY item_id ORDER BY min(position) LIMIT ?",
            [lib.sources[0], len(hostile)],
        )
        ids = [r[0] for r in rows]
        for tid, name in zip(ids, hostile, strict=True):
            db.execute("UPDATE tracks SET name = ? WHERE id = ?", [name, tid])
    out = tmp_path / "hostile.csv"
    assert export(data, lib.sources[0], "--out", str(out)).exit_code == 0
    names = [r["Track Name"] for r in read_csv(out)]
    for name in hostile:
        expected = name if name == 'a,"b"' else "'" + name
        assert expected in names, name
    # And the same rule guards merge_plan.csv.
    report = CliRunner().invoke(app, ["--data-dir", str(data), "report", *lib.sources, "--no-html"])
    assert report.exit_code == 0, report.output
    planned = {r["name"] for r in read_csv(data / "exports" / "merge_plan.csv")}
    assert '\'=HYPERLINK("http://x","y")' in planned and '=HYPERLINK("http://x","y")' not in planned


SQL = duckdb.connect()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*FORMULA_STARTS, " ", "a", "1", "'", '"', ","]), max_size=6))
def test_the_python_and_sql_renderings_of_the_csv_rule_agree(text: str) -> None:
    row = SQL.execute(f"SELECT {safe_sql('$1')}", [text]).fetchone()
    assert row is not None and row[0] == safe_cell(text)
    assert safe_cell(text) == text or (
        safe_cell(text) == "'" + text and text.lstrip(" ")[:1] in FORMULA_STARTS
    )


def test_file_names_never_leave_the_folder() -> None:
    hostile = Target("37i9dQZF1DXcBWIGoYBM5M", "../../etc/passwd\x1b[31m CON", "", [])
    assert file_stem(hostile) == "etc_passwd_31m_con_37i9dQZF1DXcBWIGoYBM5M"
    assert file_stem(Target("liked", "Liked Songs", "", [])) == "liked_songs"
    assert file_stem(Target("master", "Mäster ✨ 2026", "", [])) == "master_master_2026"


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["Not A Playlist"], ExitCode.NOT_FOUND, "no fetched playlist is called"),
        (["0" * 22], ExitCode.NOTHING_TO_DO, "has never been fetched"),
        (["liked"], ExitCode.NOTHING_TO_DO, "has never been fetched"),
        (["master"], ExitCode.NOTHING_TO_DO, "no master playlist"),
        ([], ExitCode.USAGE, "nothing to export"),
        (["--all", "P1"], ExitCode.USAGE, "not both"),
        (["P1", "--format", "xlsx"], ExitCode.USAGE, "xlsx"),
    ],
)
def test_bad_export_requests(
    fetched_library: LibraryOf, tmp_path: Path, args: list[str], code: int, words: str
) -> None:
    lib = fetched_library("dev-2026")
    data = copy_of(lib, tmp_path)
    args = [lib.sources[0] if a == "P1" else a for a in args]
    result = export(data, *args)
    assert result.exit_code == code, result.output
    assert words in result.output
    if code != ExitCode.USAGE or "nothing" in words or "both" in words:
        assert result.stderr.startswith("error: ") and "\nhint: " in result.stderr
    assert not (data / "exports").exists() or not list((data / "exports").iterdir())


def test_an_unwritable_destination_is_one_error_and_leaves_nothing(
    fetched_library: LibraryOf, tmp_path: Path
) -> None:
    lib = fetched_library("dev-2026")
    data = copy_of(lib, tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for out in (blocker / "p1.csv", blocker):
        result = export(data, lib.sources[0], lib.sources[1], "--out", str(out))
        assert result.exit_code == ExitCode.STORAGE, result.output
        assert result.stderr.startswith("error: ") and "\nhint: " in result.stderr
    assert blocker.read_text() == "x"
    result = export(data, lib.sources[0], "--out", "/proc/spotify-merger-export/p1.csv")
    assert result.exit_code == ExitCode.STORAGE, result.output


def test_export_without_a_database_says_fetch_first(tmp_path: Path) -> None:
    result = export(tmp_path / "empty", "--all")
    assert result.exit_code == ExitCode.NOTHING_TO_DO
    assert "fetch" in result.stderr
