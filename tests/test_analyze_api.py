"""SpotifyAnalyzer's API: sources, weights, overlap, musical DNA, the dry-run dict and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis_data import AnalysisData, At, Local, Unavailable
from spotify_merger.analyze import MergeOptions, MergePlan, SpotifyAnalyzer
from spotify_merger.analyze.parts import (
    MAX_NAME_LENGTH,
    default_master_name,
    split_into_parts,
    validate_master_name,
)
from spotify_merger.errors import ExitCode, NothingToDoError, UsageError
from spotify_merger.store.database import Database


def test_analysis_before_any_fetch_says_what_to_do(db: Database) -> None:
    with pytest.raises(NothingToDoError) as err:
        SpotifyAnalyzer(db)
    assert err.value.message == "nothing has been fetched yet"
    assert "spotify-merger fetch" in err.value.hint
    assert err.value.exit_code == ExitCode.NOTHING_TO_DO


def test_unfetched_incomplete_and_repeated_sources_are_refused(db: Database, data: AnalysisData) -> None:
    data.playlist("P1", [data.track()])
    data.playlist("P2", [data.track()], complete=False)
    with pytest.raises(NothingToDoError, match="has not been fetched"):
        SpotifyAnalyzer(db, ["P1", "NOPE"])
    with pytest.raises(NothingToDoError, match="did not finish") as err:
        SpotifyAnalyzer(db, ["P1", "P2"])
    assert "resume" in err.value.hint
    with pytest.raises(UsageError, match="given twice"):
        SpotifyAnalyzer(db, ["P1", "P1"])
    # None = every completely fetched playlist.
    assert SpotifyAnalyzer(db).sources == ["P1"]


def test_bad_option_values_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="--keep 'loudest'"):
        MergeOptions(keep="loudest")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--match"):
        MergeOptions(match="fuzzy")  # type: ignore[arg-type]


def test_weight_analysis_counts_entries_at_song_level(db: Database, data: AnalysisData) -> None:
    a = data.track("A", isrc="IA")
    a_single = data.track("A", isrc="IA", album_type="single")
    b = data.track("B")
    data.playlist("P1", [a, b, a_single, a, Local()])
    data.playlist("P2", [b])
    an = SpotifyAnalyzer(db, ["P1", "P2"])
    df = an.get_weight_analysis("P1")
    assert list(df["name"]) == ["A", "B"]
    assert list(df["weight"]) == [3, 1]
    assert list(df["track_ids"]) == [2, 1]
    assert df["share_pct"].sum() == pytest.approx(100.0)
    # Aliases: p2, playlist_2 and the 0-based index name the same source.
    assert an.get_weight_analysis("p2").equals(an.get_weight_analysis(1))
    assert an.get_weight_analysis("playlist_2").equals(an.get_weight_analysis("P2"))
    with pytest.raises(UsageError):
        an.get_weight_analysis("p3")
    stats = an.source_stats()
    assert stats[0] | {} == stats[0]
    assert (stats[0]["entries"], stats[0]["usable_entries"], stats[0]["songs"]) == (5, 4, 2)
    assert (stats[0]["highest_weight"], stats[0]["avg_weight"], stats[0]["songs_repeated"]) == (3, 2.0, 1)
    assert stats[0]["weight_distribution"] == {"1": 1, "3": 1}


def test_overlap_for_two_and_for_three_sources(db: Database, data: AnalysisData) -> None:
    a, b, c, d = (data.track(n) for n in "ABCD")
    data.playlist("P1", [a, b, c])
    data.playlist("P2", [b, c, c, d])
    data.playlist("P3", [c])
    two = SpotifyAnalyzer(db, ["P1", "P2"]).get_overlap()
    assert (two["only_p1"], two["only_p2"], two["in_both"]) == (1, 1, 2)
    assert two["jaccard"] == pytest.approx(2 / 4)
    three = SpotifyAnalyzer(db, ["P1", "P2", "P3"]).get_overlap()
    assert three["only"] == {"p1": 1, "p2": 1, "p3": 0}
    assert (three["in_all"], three["in_several"], three["union_songs"]) == (1, 2, 4)
    pairs = {(p["a"], p["b"]): p["in_both"] for p in three["pairwise"]}
    assert pairs == {("p1", "p2"): 2, ("p1", "p3"): 1, ("p2", "p3"): 1}
    combos = {tuple(c["sources"]): c["songs"] for c in three["combinations"]}
    assert combos == {("p1",): 1, ("p2",): 1, ("p1", "p2"): 1, ("p1", "p2", "p3"): 1}


def test_dry_run_report_keeps_the_seed_keys(db: Database, data: AnalysisData) -> None:
    a, b = data.track("A", isrc="IA"), data.track("B")
    data.playlist("P1", [a, a, a, b, Local()])
    data.playlist("P2", [b, Unavailable()])
    r = SpotifyAnalyzer(db, ["P1", "P2"]).generate_dry_run_report()
    assert r["before"] | {} == r["before"]
    assert (
        r["before"]["playlist_1_entries"],
        r["before"]["playlist_2_entries"],
        r["before"]["total_entries"],
    ) == (5, 2, 7)
    assert r["after"]["unique_tracks"] == 2
    assert r["impact"]["duplicates_removed"] == 5 - 2  # 5 usable entries make 2 songs
    assert (r["impact"]["excluded_local"], r["impact"]["excluded_unavailable"]) == (1, 1)
    assert (r["overlap"]["only_p1"], r["overlap"]["only_p2"], r["overlap"]["in_both"]) == (1, 0, 1)
    ws = r["weight_stats"]
    assert (ws["highest_weight_p1"], ws["avg_weight_p1"], ws["tracks_with_duplicates_p1"]) == (3, 2.0, 1)


def test_plan_carries_sources_snapshots_and_exclusions(db: Database, data: AnalysisData) -> None:
    a = data.track("A")
    data.playlist("P1", [a, Local()], snapshot_id="s-one")
    data.playlist("P2", [a, Unavailable()], snapshot_id="s-two")
    plan = SpotifyAnalyzer(db, ["P2", "P1"], MergeOptions(match="isrc")).plan()
    assert isinstance(plan, MergePlan)
    assert plan.sources == ["P2", "P1"]
    assert plan.source_snapshots == {"P2": "s-two", "P1": "s-one"}
    assert (plan.excluded_local, plan.excluded_unavailable, plan.song_count) == (1, 1, 1)
    assert plan.options.match == "isrc"


def test_bad_input_gets_plain_warnings(db: Database, data: AnalysisData) -> None:
    t = dt.datetime(2020, 1, 1)
    a = data.track("A", duration_ms=None, isrc=None)
    b = data.track("Intro", "X")  # a generic title: never matched by name
    data.playlist("EMPTY", [], name="Nothing here")
    data.playlist("LOCAL", [Local(), Unavailable()], name="Only local")
    data.playlist("OLD", [At(a, None), At(b, t)], name="Old")
    an = SpotifyAnalyzer(db, ["EMPTY", "LOCAL", "OLD"])
    warnings = "\n".join(an.warnings())
    assert "p1 (Nothing here) is empty" in warnings
    assert "p2 (Only local) holds only local files or unavailable entries (2)" in warnings
    assert "1 entry has no added date" in warnings
    assert "1 track has no duration" in warnings
    assert "2 tracks have no ISRC" in warnings
    assert "1 track has an empty or generic title once normalized" in warnings
    assert an.plan().uris == [f"spotify:track:{a}", f"spotify:track:{b}"]


def test_only_local_or_empty_sources_plan_nothing(db: Database, data: AnalysisData) -> None:
    data.playlist("P1", [Local(), Local()])
    data.playlist("P2", [])
    an = SpotifyAnalyzer(db, ["P1", "P2"])
    plan = an.plan()
    assert (plan.uris, plan.song_count, plan.excluded_local) == ([], 0, 2)
    report = an.generate_dry_run_report()
    assert report["after"]["unique_tracks"] == 0
    assert an.musical_dna()["metadata"]["master"]["tracks"] == 0


def test_musical_dna_metadata_mode_says_why(db: Database, data: AnalysisData) -> None:
    data.capability("audio_features", False, "this app is in Development Mode: Spotify answers 403")
    old = data.track("Old", "Mira", release_date="1975-05-01", explicit=False, duration_ms=180_000)
    new = data.track("New", "Theo", release_date="2021", explicit=True, duration_ms=240_000)
    t = dt.datetime(2021, 3, 5)
    data.playlist("P1", [At(old, t), At(old, t), At(old, t), At(new, None)])
    data.playlist("P2", [At(new, t)])
    dna = SpotifyAnalyzer(db, ["P1", "P2"]).musical_dna()
    assert dna["mode"] == "metadata"
    assert "Development Mode" in dna["reason"]
    p1, master = dna["metadata"]["p1"], dna["metadata"]["master"]
    assert p1["decades"] == {"1970s": 3, "2020s": 1}  # weighted by weight
    assert master["decades"] == {"1970s": 1, "2020s": 1}  # each song once
    assert p1["explicit_share"] == pytest.approx(0.25)
    assert p1["artists"]["top"][0] == {"artist": "Mira", "count": 3, "share": 0.75}
    assert p1["artists"]["half_library_artists"] == 1
    assert master["artists"]["half_library_artists"] == 1
    assert p1["timeline"] == {"2021-03": 3}
    assert p1["undated"] == 1
    assert dna["audio_features"] is None


def test_musical_dna_with_audio_features_weights_and_compares(db: Database, data: AnalysisData) -> None:
    data.capability("audio_features", True)
    calm = data.track("Calm", "A")
    loud = data.track("Loud", "B")
    data.audio_features(calm, energy=0.1, tempo=80.0)
    data.audio_features(loud, energy=0.9, tempo=170.0)
    data.playlist("P1", [calm, calm, calm, loud])
    data.playlist("P2", [loud])
    dna = SpotifyAnalyzer(db, ["P1", "P2"]).musical_dna()
    assert dna["mode"] == "audio-features"
    features = dna["audio_features"]
    assert features is not None
    energy = features["features"]["energy"]
    assert energy["p1"]["mean"] == pytest.approx((0.1 * 3 + 0.9) / 4)
    assert energy["p2"]["mean"] == pytest.approx(0.9)
    assert energy["master"]["mean"] == pytest.approx(0.5)
    assert energy["p1"]["histogram"] == {"0.1": 3, "0.9": 1}
    top = features["comparison"][0]
    assert top["feature"] in ("energy", "tempo")
    spread = top["relative_spread"]
    assert spread is not None and spread > 0.3


# -- analyze/parts.py -------------------------------------------------------------------------------------


def test_split_into_parts_keeps_order_and_cap() -> None:
    uris = [f"spotify:track:{i}" for i in range(25)]
    assert split_into_parts("M", uris[:10], cap=10)[0].name == "M"
    parts = split_into_parts("M", uris, cap=10)
    assert [(p.index, p.name, p.count) for p in parts] == [
        (1, "M (1/3)", 10),
        (2, "M (2/3)", 10),
        (3, "M (3/3)", 5),
    ]
    assert [u for p in parts for u in p.uris] == uris
    assert split_into_parts("M", []) == []
    assert len(split_into_parts("M", [f"u{i}" for i in range(15_000)])) == 2


def test_master_names() -> None:
    assert default_master_name(dt.date(2026, 3, 9)) == "Master Library 2026-03-09"
    assert validate_master_name("  Mine ") == "Mine"
    for bad in ("", "   ", "a\nb"):
        with pytest.raises(UsageError):
            validate_master_name(bad)
    longest = "x" * (MAX_NAME_LENGTH - len(" (10/10)"))
    assert validate_master_name(longest) == longest
    with pytest.raises(UsageError, match="characters"):
        validate_master_name(longest + "x")
