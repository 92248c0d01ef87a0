"""The user's match rules: the file (errors name the line, edits keep every other line, atomic
writes), the analysis (a rule always wins), and the `match` commands end to end on a library
fetched for real from the emulator."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from analysis_data import AnalysisData
from emulator_fixtures import EmulatorFactory
from fixtures import EnvFor, LibraryOf
from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
from spotify_merger.analyze import rules as match_rules
from spotify_merger.analyze.model import Match, MergePlan
from spotify_merger.analyze.results import ExcludedEntries, RuleEffect
from spotify_merger.analyze.rules import MatchRules, RulesFileError, parse, rule
from spotify_merger.cli import app
from spotify_merger.errors import ExitCode
from spotify_merger.store.database import Database

A, B, C = "4uLU6hMCjMI75M1A2tKUQC", "7ouMYWpwJ422jRcDASZB7P", "0VjIjW4GlUZAMYd2vXMi3b"


# -- the file -------------------------------------------------------------------------------------------


def test_a_rules_file_reads_ids_uris_and_links_with_comments() -> None:
    found = parse(
        f"# mine\nsame {A} spotify:track:{B}   # a remaster I know\n\n"
        f"never https://open.spotify.com/intl-de/track/{C}?si=x {A}\nEXCLUDE {B}\n"
    )
    assert [(r.key, r.tracks) for r in found.rules] == [
        ("same", tuple(sorted((A, B)))),
        ("never", tuple(sorted((A, C)))),
        ("exclude", (B,)),
    ]
    assert found.excluded == {B}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"same {A}\n", "line 1: `same` takes two tracks, got 1"),
        (f"# ok\nmerge {A} {B}\n", "line 2: unknown rule 'merge'"),
        (f"same {A} {B}\nsame {B} {A}\n", "line 2 repeats `same"),
        (f"same {A} {B}\nnever {A} {B}\n", "line 2 contradicts `same"),
        (f"exclude spotify:album:{A}\n", "line 1: 'spotify:album:"),
        (f"exclude https://open.spotify.com/playlist/{A}\n", "is not a track"),
        (f"never {A} {A}\n", "both tracks are"),
    ],
)
def test_a_bad_rules_file_is_one_error_naming_the_line(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / match_rules.RULES_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(RulesFileError) as caught:
        match_rules.load(tmp_path)
    assert says in caught.value.message and str(tmp_path) in caught.value.message
    assert caught.value.hint
    assert caught.value.exit_code == ExitCode.USAGE


def test_add_and_forget_keep_every_other_line_and_never_write_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / match_rules.RULES_FILE
    path.write_text(f"# written by hand\nexclude {C}  # a skit I hate\n", encoding="utf-8")
    match_rules.add(tmp_path, rule("same", [A, B]))
    assert path.read_text(encoding="utf-8").startswith(f"# written by hand\nexclude {C}  # a skit I hate\n")
    before = path.read_text(encoding="utf-8")
    with pytest.raises(RulesFileError):
        match_rules.add(tmp_path, rule("never", [B, A]))  # contradicts
    assert path.read_text(encoding="utf-8") == before
    assert [r.key for r in match_rules.forget(tmp_path, (B, A))] == ["same"]
    assert path.read_text(encoding="utf-8") == f"# written by hand\nexclude {C}  # a skit I hate\n"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


# -- the analysis ---------------------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Iterator[AnalysisData]:
    with Database(tmp_path / "a.duckdb") as db:
        yield AnalysisData(db)


def groups(
    db: Database, rules: MatchRules | None = None, match: Match = "smart", exclude_playlist: str | None = None
) -> tuple[set[frozenset[str]], MergePlan, list[RuleEffect], ExcludedEntries, set[str]]:
    with SpotifyAnalyzer(
        db, ["P1", "P2"], MergeOptions(match=match), rules=rules, exclude_playlist=exclude_playlist
    ) as an:
        rows = an._query("SELECT list(id ORDER BY id), list(reason) FROM {ns}groups GROUP BY gid")
        plan = an.plan()
        report = an.rule_report()
        excluded = an.excluded_entries()
    return {frozenset(r[0]) for r in rows}, plan, report, excluded, {x for r in rows for x in r[1] if x}


def test_same_merges_never_splits_and_exclude_removes_whatever_the_automatic_rules_say(
    data: AnalysisData,
) -> None:
    db = data.db
    hit = data.track("Hit", "X", isrc="I1", id=A)
    copy = data.track("Hit", "X", isrc="I1", id=B)  # same ISRC: one song for the automatic rules
    other = data.track("Another Song", "Y", id=C)
    skit = data.track("Skit", "X")
    data.playlist("P1", [hit, other, skit])
    data.playlist("P2", [copy])
    assert frozenset({hit, copy}) in groups(db)[0]
    rules = MatchRules([rule("never", [A, B]), rule("exclude", [C])])
    found, plan, report, excluded, _ = groups(db, rules)
    assert frozenset({hit}) in found and frozenset({copy}) in found
    assert f"spotify:track:{C}" not in plan.uris
    assert [e["kind"] for e in excluded["entries"]] == ["excluded-by-rule"]
    assert excluded["by_rule"] == 1
    assert {r["effect"] for r in report} >= {"kept apart", "excluded"}


def test_same_rule_merges_across_match_levels_and_is_the_reason(data: AnalysisData) -> None:
    db = data.db
    a = data.track("Live Forever", "Oasis", id=A, duration_ms=200_000)
    b = data.track("Live Forever - Live", "Oasis", id=B, duration_ms=320_000)
    data.playlist("P1", [a])
    data.playlist("P2", [b])
    assert len(groups(db)[0]) == 2
    for match in ("id", "isrc", "smart"):
        found, plan, report, _, reasons = groups(db, MatchRules([rule("same", [A, B])]), match=match)
        assert found == {frozenset({a, b})}
        assert reasons == {"user-rule-same"} and len(plan.uris) == 1
        assert report[0]["effect"] == "merged"


def test_never_beats_a_chain_of_same_rules(data: AnalysisData) -> None:
    db = data.db
    ids = [data.track(f"Song {i}", "X", id=t) for i, t in enumerate((A, B, C))]
    data.playlist("P1", ids)
    data.playlist("P2", [])
    rules = MatchRules([rule("same", [A, B]), rule("same", [B, C]), rule("never", [A, C])])
    found = groups(db, rules)[0]
    assert not any({A, C} <= g for g in found)


def test_a_rule_on_a_track_no_source_holds_is_reported_not_an_error(data: AnalysisData) -> None:
    db = data.db
    a = data.track("Song", "X", id=A)
    data.playlist("P1", [a])
    data.playlist("P2", [])
    rules = MatchRules([rule("same", [A, B]), rule("exclude", [C])])
    _, plan, report, _, _ = groups(db, rules)
    assert plan.uris == [f"spotify:track:{A}"]
    assert [r["in_sources"] for r in report] == [False, False]
    assert "no source holds" in report[0]["effect"]
    with SpotifyAnalyzer(db, ["P1", "P2"], rules=rules) as an:
        assert any("match rules name tracks no source holds" in w for w in an.warnings())


def test_an_exclusions_playlist_keeps_its_songs_out(data: AnalysisData) -> None:
    db = data.db
    keep, drop = data.track("Keep", "X"), data.track("Drop", "X")
    data.playlist("P1", [keep, drop])
    data.playlist("P2", [drop])
    data.playlist("EX", [drop])
    _, plan, _, excluded, _ = groups(db, exclude_playlist="EX")
    assert plan.uris == [f"spotify:track:{keep}"]
    assert excluded["by_exclusions_playlist"] == 2
    with pytest.raises(Exception, match="both a source and the exclusions playlist"):
        SpotifyAnalyzer(db, ["P1", "EX"], exclude_playlist="EX")


# -- end to end: the commands, against a library fetched from the emulator --------------------------


def _cli(args: list[str], data_dir: Path) -> Result:
    base = {"PLAYLIST_1_ID": "", "PLAYLIST_2_ID": "", "SPOTIFY_MERGER_DATA_DIR": ""}
    return CliRunner().invoke(app, ["--data-dir", str(data_dir), "--env-file", os.devnull, *args], env=base)


def test_match_commands_change_the_report_end_to_end(fetched_library: LibraryOf, tmp_path: Path) -> None:
    lib = fetched_library("dev-2026")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(lib.db_path, data_dir / "spotify.duckdb")
    with Database(data_dir / "spotify.duckdb", read_only=True) as db, SpotifyAnalyzer(db, lib.sources) as an:
        song = an.match_review(limit=1)["songs"][0]
        kept, merged = song["kept"]["id"], song["merged"][0]["id"]
        first_uri = an.plan().uris[0]

    assert _cli(["match", "never", kept, f"spotify:track:{merged}"], data_dir).exit_code == 0
    assert (
        _cli(
            ["match", "exclude", f"https://open.spotify.com/track/{first_uri.rsplit(':', 1)[1]}"], data_dir
        ).exit_code
        == 0
    )
    assert _cli(["match", "same", A, B], data_dir).exit_code == 0  # tracks no source holds
    listed = _cli(["match", "list"], data_dir)
    assert listed.exit_code == 0 and "never" in listed.output and "(not fetched)" in listed.output

    result = _cli(["report", *lib.sources, "--no-html"], data_dir)
    assert result.exit_code == 0, result.output
    assert "Your Match Rules" in result.output
    doc = json.loads((data_dir / "exports" / "dry_run_report.json").read_text(encoding="utf-8"))
    effects = [r["effect"] for r in doc["match_rules"]]
    assert effects[0] == "kept apart" and effects[1] == "excluded" and "no source holds" in effects[2]
    assert first_uri not in doc["sample_deduplicated"][0]["uri"]
    assert any(e["kind"] == "excluded-by-rule" for e in doc["excluded"]["entries"])
    assert doc["report"]["impact"]["excluded_by_rules"] >= 1

    bad = _cli(["match", "same", kept, merged], data_dir)  # contradicts the never rule
    assert bad.exit_code == ExitCode.USAGE and "contradicts" in bad.output
    assert _cli(["match", "forget", merged, kept], data_dir).exit_code == 0
    assert _cli(["match", "forget", merged, kept], data_dir).exit_code == ExitCode.NOTHING_TO_DO


def test_run_fetches_the_exclusions_playlist_and_keeps_its_songs_out(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    from spotify_merger.pipeline import RunOptions, run_merge

    emu = emulator_factory(profile="dev-2026", playlist_sizes=(150, 150))
    env = env_for(emu)
    p1, p2 = emu.playlist_ids
    exclusions = emu.old_playlist_id  # another of the user's playlists, sharing songs with the sources
    dropped = {u for u in emu.playlist_uris(exclusions) if u and u.startswith("spotify:track:")}
    run_merge(
        env, RunOptions(sources=[p1, p2], dry_run=True, exclude_playlist=f"spotify:playlist:{exclusions}")
    )
    doc = json.loads((env.exports_dir / "dry_run_report.json").read_text(encoding="utf-8"))
    planned = set(emu.playlist_uris(p1)) | set(emu.playlist_uris(p2))
    assert dropped & planned, "the test needs songs in both the sources and the exclusions playlist"
    import csv

    with open(env.exports_dir / "merge_plan.csv", newline="") as fh:
        plan = {row["uri"] for row in csv.DictReader(fh)}
    assert plan and not plan & dropped
    assert doc["excluded"]["by_exclusions_playlist"] >= 1
