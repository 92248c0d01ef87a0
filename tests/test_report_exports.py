"""build_report's files (JSON with the seed's keys, CSV, HTML) and the `report` command."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from analysis_data import AnalysisData, Local
from fixtures import FetchedLibrary, LibraryOf
from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
from spotify_merger.cli import app
from spotify_merger.context import Environment
from spotify_merger.errors import ExitCode, UsageError
from spotify_merger.report import HtmlRenderer, build_report, print_report
from spotify_merger.store.database import Database

FetchedCopy = tuple[FetchedLibrary, Path]


@pytest.fixture
def fetched_copy(fetched_library: LibraryOf, tmp_path: Path) -> FetchedCopy:
    """A private copy of the fetched dev-profile data dir (tests write exports next to it)."""
    lib = fetched_library("dev-2026")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(lib.db_path, data_dir / "spotify.duckdb")
    return lib, data_dir


def test_build_report_writes_json_csv_and_html(fetched_copy: FetchedCopy) -> None:
    lib, data_dir = fetched_copy
    env = Environment.for_tests(data_dir)
    with Database(data_dir / "spotify.duckdb") as db:
        an = SpotifyAnalyzer(db, lib.sources)
        doc = build_report(env, an, master_name="  My Master ")
        plan = an.plan()
    exports = data_dir / "exports"
    assert sorted(p.name for p in exports.iterdir()) == [
        "dry_run_report.json",
        "merge_plan.csv",
        "report.html",
    ]

    saved = json.loads((exports / "dry_run_report.json").read_text(encoding="utf-8"))
    report = saved["report"]
    for section, keys in {
        "before": ["playlist_1_entries", "playlist_2_entries", "total_entries"],
        "after": ["unique_tracks"],
        "impact": ["duplicates_removed"],
        "overlap": ["only_p1", "only_p2", "in_both"],
        "weight_stats": ["highest_weight_p1", "avg_weight_p1", "tracks_with_duplicates_p1"],
    }.items():
        for key in keys:
            assert isinstance(report[section][key], int | float), (section, key)
    assert {"top_weighted", "sample_deduplicated", "generated_at"} <= set(saved)
    assert len(saved["top_weighted"]) == 10
    assert saved["top_weighted"][0]["weight"] == report["weight_stats"]["highest_weight_p1"]
    assert len(saved["sample_deduplicated"]) == 20
    assert saved["planned_master"]["name"] == "My Master"
    assert saved["planned_master"]["parts"] == [{"index": 1, "name": "My Master", "count": len(plan.uris)}]
    assert saved["dna"]["mode"] == "metadata"
    assert saved["match_review"]["songs_with_several_ids"] == report["impact"]["songs_with_several_ids"]
    assert saved["excluded"]["local_files"] == report["impact"]["excluded_local"]
    assert doc.summary == report

    with open(exports / "merge_plan.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["position", "uri", "name", "artist", "weight_p1", "weight_p2", "reason"]
    assert [r["uri"] for r in rows] == plan.uris
    assert [int(r["position"]) for r in rows] == list(range(1, len(plan.uris) + 1))
    assert {r["reason"] for r in rows} >= {"unique", "same-id"}

    html = (exports / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 5  # weights, overlap, DNA, lengths, timeline
    for forbidden in ("http://", "https://", "<script", "<link"):
        assert forbidden not in html
    # No temp files left behind by the atomic writes.
    assert not [p for p in exports.iterdir() if p.name.startswith(".")]


def test_the_page_run_renders_in_another_process_is_the_report_commands_page(
    fetched_copy: FetchedCopy, tmp_path: Path
) -> None:
    lib, data_dir = fetched_copy
    env = Environment.for_tests(data_dir)
    with Database(data_dir / "spotify.duckdb") as db:
        build_report(env, SpotifyAnalyzer(db, lib.sources), master_name="Same Page")
    exports = data_dir / "exports"
    elsewhere = tmp_path / "from-json.html"
    renderer = HtmlRenderer()
    renderer.render(exports / "dry_run_report.json", elsewhere)
    assert renderer.wait() == elsewhere
    assert elsewhere.read_bytes() == (exports / "report.html").read_bytes()
    broken = HtmlRenderer()
    broken.render(tmp_path / "missing.json", tmp_path / "never.html")
    with pytest.raises(RuntimeError, match=r"missing\.json"):
        broken.wait()
    assert not (tmp_path / "never.html").exists()
    assert HtmlRenderer().wait() is None  # never asked for a page: it just exits


def test_print_report_shows_every_section(fetched_copy: FetchedCopy) -> None:
    import io

    lib, data_dir = fetched_copy
    env = Environment.for_tests(data_dir)
    with Database(data_dir / "spotify.duckdb") as db:
        doc = build_report(env, SpotifyAnalyzer(db, lib.sources), master_name="M", html=False)
    screen = io.StringIO()
    env.capture(screen, None, width=160)
    print_report(env, doc)
    text = screen.getvalue()
    for title in (
        "Operation Summary",
        "Weight Analysis",
        "Top 10 Most Weighted Tracks (p1)",
        "Playlist Overlap Analysis",
        "Match Review",
        "Planned Master Playlist",
        "Musical DNA (metadata)",
        "Left Out",
    ):
        assert title in text
    assert "Development Mode" in text
    assert not (data_dir / "exports" / "report.html").exists()


def test_parts_are_planned_past_the_cap(tmp_path: Path) -> None:
    with Database(tmp_path / "spotify.duckdb") as db:
        data = AnalysisData(db)
        data.playlist("P1", [data.track(f"S{i}") for i in range(10)])
        doc = build_report(Environment.for_tests(tmp_path), SpotifyAnalyzer(db), master_name="Big", cap=4)
    assert [(p["name"], p["count"]) for p in doc.planned_master["parts"]] == [
        ("Big (1/3)", 4),
        ("Big (2/3)", 4),
        ("Big (3/3)", 2),
    ]


def test_a_bad_name_fails_before_anything_is_written(tmp_path: Path) -> None:
    with Database(tmp_path / "spotify.duckdb") as db:
        data = AnalysisData(db)
        data.playlist("P1", [data.track("S"), Local()])
        with pytest.raises(UsageError):
            build_report(Environment.for_tests(tmp_path), SpotifyAnalyzer(db), master_name=" ")
    assert not (tmp_path / "exports").exists()


def _cli(args: list[str], data_dir: Path, env: dict[str, str] | None = None) -> Result:
    base = {"PLAYLIST_1_ID": "", "PLAYLIST_2_ID": "", "SPOTIFY_MERGER_DATA_DIR": ""}
    return CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), "--env-file", os.devnull, *args],
        env={**base, **(env or {})},
    )


def test_report_command_end_to_end(fetched_copy: FetchedCopy) -> None:
    lib, data_dir = fetched_copy
    result = _cli(
        [
            "report",
            *lib.sources,
            "--keep",
            "newest-release",
            "--order",
            "weight",
            "--name",
            "Mix",
            "--no-html",
        ],
        data_dir,
    )
    assert result.exit_code == 0, result.output
    assert "Operation Summary" in result.output
    saved = json.loads((data_dir / "exports" / "dry_run_report.json").read_text(encoding="utf-8"))
    assert saved["report"]["options"] == MergeOptions(keep="newest-release", order="weight").to_dict()
    assert saved["planned_master"]["name"] == "Mix"
    assert not (data_dir / "exports" / "report.html").exists()


def test_report_command_errors_have_a_hint_and_an_exit_code(
    tmp_path: Path, fetched_copy: FetchedCopy
) -> None:
    lib, data_dir = fetched_copy
    empty = tmp_path / "empty"
    result = _cli(["report"], empty)
    assert result.exit_code == ExitCode.NOTHING_TO_DO
    assert "nothing has been fetched yet" in result.output and "hint:" in result.output
    assert not empty.exists()

    result = _cli(["report", lib.sources[0], "--keep", "loudest"], data_dir)
    assert result.exit_code == ExitCode.USAGE
    assert "--keep 'loudest'" in result.output

    result = _cli(["report", lib.sources[0], lib.sources[0]], data_dir)
    assert result.exit_code == ExitCode.USAGE

    result = _cli(["report", "--name", "x" * 200], data_dir)
    assert result.exit_code == ExitCode.USAGE
    assert "characters" in result.output
