"""The "same song" rules, one behaviour per test, on libraries built row by row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TypedDict, Unpack

import pytest

from analysis_data import AnalysisData, At, Local, Unavailable
from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
from spotify_merger.analyze.model import Keep, Match, Order
from spotify_merger.analyze.normalize import normalize_artist, normalize_title
from spotify_merger.store.database import Database


class OptionArgs(TypedDict, total=False):
    match: Match
    keep: Keep
    order: Order
    keep_weights: bool


def songs(
    db: Database, sources: Sequence[str] = ("P1", "P2"), **opts: Unpack[OptionArgs]
) -> set[frozenset[str]]:
    """{frozenset of track ids in the song}: the grouping, independent of which copy is kept."""
    an = SpotifyAnalyzer(db, list(sources), MergeOptions(**opts))
    rows = an._query("SELECT gid, list(id ORDER BY id) FROM {ns}groups GROUP BY gid")
    an.close()
    return {frozenset(ids) for _, ids in rows}


def reasons(
    db: Database, sources: Sequence[str] = ("P1", "P2"), **opts: Unpack[OptionArgs]
) -> dict[str, str]:
    an = SpotifyAnalyzer(db, list(sources), MergeOptions(**opts))
    rows = an._query("SELECT id, reason FROM {ns}groups WHERE NOT is_kept")
    an.close()
    return dict(rows)


# -- normalization ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Hey Jude - 2011 Remaster", "hey jude"),
        ("Hey Jude (Remastered 2009)", "hey jude"),
        ("Hey Jude - Remastered", "hey jude"),
        ("Hey Jude - Remastered 2011", "hey jude"),
        ("Hey Jude [2015 Remaster]", "hey jude"),
        ("Hey Jude - 2009 Digital Remaster", "hey jude"),
        ("Café  Olé ", "cafe ole"),
        ("Hey Jude - Live", "hey jude (live)"),
        ("Hey Jude - Remix", "hey jude (remix)"),
        ("Hey Jude (Acoustic)", "hey jude (acoustic)"),
        ("Hey Jude - Radio Edit", "hey jude (radio edit)"),
        ("Hey Jude - Demo", "hey jude (demo)"),
        ("Hey Jude - Instrumental", "hey jude (instrumental)"),
        ("Hey Jude - Live - 2011 Remaster", "hey jude (live)"),
        ("Remastered Dreams", "remastered dreams"),
    ],
)
def test_normalization_drops_remasters_and_keeps_versions(title: str, expected: str) -> None:
    assert normalize_title(title) == expected


@pytest.mark.parametrize("title", ["夜明けのメロディ", "소나기", "أغنية الليل", "🔥", "Ночной город", "✨✨"])
def test_titles_in_any_script_survive_normalization(title: str) -> None:
    # Non-Latin scripts keep their marks (デ is not テ); nothing is erased to an empty string.
    assert normalize_title(title) == title.lower()
    assert normalize_title(title) != ""


def test_artist_normalization_folds_case_accents_and_spaces() -> None:
    assert normalize_artist("  Beyoncé ") == normalize_artist("BEYONCE") == "beyonce"
    assert normalize_artist("Simon and Garfunkel") == normalize_artist("Simon & Garfunkel")
    assert normalize_artist(None) == ""


# -- rule 1 ---------------------------------------------------------------------------------------------


def test_same_id_across_and_within_playlists_is_one_song(db: Database, data: AnalysisData) -> None:
    a = data.track("A")
    data.playlist("P1", [a, a])
    data.playlist("P2", [a])
    an = SpotifyAnalyzer(db, ["P1", "P2"])
    df = an.get_deduplicated_tracks()
    assert list(df["uri"]) == [f"spotify:track:{a}"]
    assert df.loc[0, "reason"] == "same-id"
    assert (df.loc[0, "weight_p1"], df.loc[0, "weight_p2"]) == (2, 1)


def test_relinked_track_merges_with_its_original_even_under_match_id(
    db: Database, data: AnalysisData
) -> None:
    orig = data.track("A", isrc=None, duration_ms=100_000)
    relinked = data.track("A (market copy)", isrc=None, duration_ms=300_000, linked_from_id=orig)
    data.playlist("P1", [orig])
    data.playlist("P2", [relinked])
    assert songs(db, match="id") == {frozenset({orig, relinked})}
    assert set(reasons(db, match="id").values()) == {"relinked"}


def test_two_tracks_relinked_from_the_same_original_merge(db: Database, data: AnalysisData) -> None:
    absent_original = "x" * 22
    a = data.track("A", linked_from_id=absent_original)
    b = data.track("B", linked_from_id=absent_original, duration_ms=50_000)
    data.playlist("P1", [a])
    data.playlist("P2", [b])
    assert songs(db, match="id") == {frozenset({a, b})}


# -- rule 2 ---------------------------------------------------------------------------------------------


def test_same_isrc_merges_single_and_album_copies(db: Database, data: AnalysisData) -> None:
    album = data.track("Song", isrc="USABC0000001", album_type="album")
    single = data.track("Song", isrc="usabc0000001 ", album_type="single", duration_ms=250_000)
    data.playlist("P1", [album])
    data.playlist("P2", [single])
    assert songs(db, match="isrc") == {frozenset({album, single})}
    assert reasons(db, match="isrc") == {single: "same-isrc"}
    assert songs(db, match="id") == {frozenset({album}), frozenset({single})}


# -- rule 3 ---------------------------------------------------------------------------------------------


def test_remaster_with_new_isrc_merges_only_under_smart(db: Database, data: AnalysisData) -> None:
    orig = data.track("Hey Jude", "The Beatles", isrc="GB1", duration_ms=431_000, release_date="1968-08-26")
    rem = data.track(
        "Hey Jude - 2015 Remaster", "The Beatles", isrc="GB2", duration_ms=432_900, release_date="2015-11-06"
    )
    data.playlist("P1", [orig])
    data.playlist("P2", [rem])
    assert songs(db) == {frozenset({orig, rem})}
    assert reasons(db) == {rem: "same-title-artist-duration"}
    assert len(songs(db, match="isrc")) == 2


def test_durations_just_outside_two_seconds_stay_apart(db: Database, data: AnalysisData) -> None:
    a = data.track("Song", "X", duration_ms=200_000)
    b = data.track("Song", "X", duration_ms=202_001)
    c = data.track("Song", "X", duration_ms=202_000)
    data.playlist("P1", [a, b])
    data.playlist("P2", [])
    assert songs(db) == {frozenset({a}), frozenset({b})}
    data.playlist("P2", [c])
    # c is within 2 s of both: the chain a - c - b makes one song.
    assert songs(db) == {frozenset({a, b, c})}


@pytest.mark.parametrize(
    "variant", [" - Live", " - Remix", " (Acoustic)", " - Radio Edit", " - Demo", " - Instrumental"]
)
def test_near_miss_versions_stay_distinct(db: Database, data: AnalysisData, variant: str) -> None:
    base = data.track("Wildfire", "Mira Vance", duration_ms=200_000)
    other = data.track("Wildfire" + variant, "Mira Vance", duration_ms=200_500)
    data.playlist("P1", [base])
    data.playlist("P2", [other])
    assert songs(db) == {frozenset({base}), frozenset({other})}


def test_explicit_and_clean_versions_stay_distinct(db: Database, data: AnalysisData) -> None:
    explicit = data.track("Song", "X", explicit=True, duration_ms=200_000)
    clean = data.track("Song", "X", explicit=False, duration_ms=200_300)
    data.playlist("P1", [explicit])
    data.playlist("P2", [clean])
    assert len(songs(db)) == 2


def test_same_title_by_another_artist_stays_distinct(db: Database, data: AnalysisData) -> None:
    a = data.track("Yesterday", "The Beatles")
    b = data.track("Yesterday", "Ray Charles")
    data.playlist("P1", [a])
    data.playlist("P2", [b])
    assert len(songs(db)) == 2


def test_missing_duration_or_title_or_artist_never_links_under_rule_3(
    db: Database, data: AnalysisData
) -> None:
    a = data.track("Song", "X", duration_ms=None)
    b = data.track("Song", "X", duration_ms=None)
    c = data.track("", "X")
    d = data.track("(Remastered)", "X")  # empty once normalized
    e = data.track("Other", "")
    f = data.track("Other", "")
    data.playlist("P1", [a, c, e])
    data.playlist("P2", [b, d, f])
    assert len(songs(db)) == 6


def test_cjk_titles_match_each_other_but_not_a_similar_word(db: Database, data: AnalysisData) -> None:
    a = data.track("夜明けのメロディ", "ヨル", duration_ms=200_000)
    b = data.track("夜明けのメロディ", "ヨル", duration_ms=200_800)
    c = data.track("夜明けのメロティ", "ヨル", duration_ms=200_400)  # テ, not デ: another word
    data.playlist("P1", [a, c])
    data.playlist("P2", [b])
    assert songs(db) == {frozenset({a, b}), frozenset({c})}


def test_transitive_chain_through_isrc_and_title(db: Database, data: AnalysisData) -> None:
    orig = data.track("Song", "X", isrc="I1", duration_ms=200_000)
    remaster = data.track("Song - Remastered", "X", isrc="I2", duration_ms=201_000)
    compilation = data.track("Song (Best Of Edit)", "X", isrc="I2", duration_ms=150_000)
    data.playlist("P1", [orig, orig, orig])
    data.playlist("P2", [remaster, compilation])
    assert songs(db) == {frozenset({orig, remaster, compilation})}
    an = SpotifyAnalyzer(db, ["P1", "P2"])
    review = an.match_review()
    merged = {m["id"]: m for m in review["songs"][0]["merged"]}
    assert review["songs"][0]["kept"]["id"] == orig
    assert merged[remaster]["reason"] == "same-title-artist-duration"
    assert not merged[remaster]["via_chain"]
    assert merged[compilation]["reason"] == "same-isrc"
    assert merged[compilation]["via_chain"]


def test_episodes_are_kept_and_match_by_id_only(db: Database, data: AnalysisData) -> None:
    ep = data.track("Episode 1", "Show", type="episode", isrc=None)
    ep2 = data.track("Episode 1", "Show", type="episode", isrc=None)
    data.playlist("P1", [ep, ep2])
    data.playlist("P2", [ep])
    plan = SpotifyAnalyzer(db, ["P1", "P2"]).plan()
    assert plan.uris == [f"spotify:episode:{ep}", f"spotify:episode:{ep2}"]


# -- local files, unavailable entries, order and keep ---------------------------------------------------


def test_local_and_unavailable_entries_are_counted_and_left_out(db: Database, data: AnalysisData) -> None:
    a = data.track("A")
    data.playlist("P1", [Local("Demo", "Me"), a, Unavailable(), Local("Other", "Me")])
    data.playlist("P2", [Unavailable()])
    an = SpotifyAnalyzer(db, ["P1", "P2"])
    plan = an.plan()
    assert plan.uris == [f"spotify:track:{a}"]
    assert (plan.excluded_local, plan.excluded_unavailable) == (2, 2)
    listed = an.excluded_entries()
    assert [(e["source"], e["position"], e["kind"]) for e in listed["entries"]] == [
        ("p1", 0, "local"),
        ("p1", 2, "unavailable"),
        ("p1", 3, "local"),
        ("p2", 0, "unavailable"),
    ]


def _t(minutes: int) -> dt.datetime:
    return dt.datetime(2021, 1, 1) + dt.timedelta(minutes=minutes)


def test_first_added_order_uses_earliest_added_across_sources(db: Database, data: AnalysisData) -> None:
    a, b, c = data.track("A"), data.track("B"), data.track("C")
    data.playlist("P1", [At(a, _t(30)), At(b, _t(10))])
    data.playlist("P2", [At(c, _t(20)), At(a, _t(5))])
    assert SpotifyAnalyzer(db, ["P1", "P2"]).plan().uris == [f"spotify:track:{x}" for x in (a, b, c)]


def test_undated_entries_sort_first_by_source_then_position(db: Database, data: AnalysisData) -> None:
    a, b, c, d = (data.track(n) for n in "ABCD")
    data.playlist("P1", [At(a, _t(1)), At(b, None)])
    data.playlist("P2", [At(c, None), At(d, _t(0))])
    uris = SpotifyAnalyzer(db, ["P1", "P2"]).plan().uris
    assert uris == [f"spotify:track:{x}" for x in (b, c, d, a)]
    assert SpotifyAnalyzer(db, ["P2", "P1"]).plan().uris[:2] == [f"spotify:track:{c}", f"spotify:track:{b}"]


def test_source_and_weight_orders(db: Database, data: AnalysisData) -> None:
    a, b, c = data.track("A"), data.track("B"), data.track("C")
    data.playlist("P1", [At(a, _t(9)), At(b, _t(1)), At(b, _t(2))])
    data.playlist("P2", [At(c, _t(0)), At(c, _t(3)), At(c, _t(4))])
    uri = {x: f"spotify:track:{x}" for x in (a, b, c)}
    by_source = SpotifyAnalyzer(db, ["P1", "P2"], MergeOptions(order="source")).plan().uris
    assert by_source == [uri[a], uri[b], uri[c]]
    by_weight = SpotifyAnalyzer(db, ["P1", "P2"], MergeOptions(order="weight")).plan().uris
    assert by_weight == [uri[c], uri[b], uri[a]]


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        ("most-weighted", "heavy"),
        ("earliest-added", "early"),
        ("newest-release", "new"),
        ("oldest-release", "old"),
    ],
)
def test_keep_chooses_the_copy(db: Database, data: AnalysisData, keep: Keep, expected: str) -> None:
    ids = {
        "early": data.track("S", "X", isrc="I", release_date="2001-01-01"),
        "heavy": data.track("S", "X", isrc="I", release_date="2005-01-01"),
        "new": data.track("S", "X", isrc="I", release_date="2020-05-01"),
        "old": data.track("S", "X", isrc="I", release_date="1999"),
    }
    data.playlist("P1", [At(ids["early"], _t(0)), At(ids["heavy"], _t(5)), At(ids["heavy"], _t(6))])
    data.playlist("P2", [At(ids["new"], _t(7)), At(ids["old"], _t(8))])
    plan = SpotifyAnalyzer(db, ["P1", "P2"], MergeOptions(keep=keep)).plan()
    assert plan.uris == [f"spotify:track:{ids[expected]}"]


def test_most_weighted_ties_break_by_earliest_added_then_id(db: Database, data: AnalysisData) -> None:
    a = data.track("S", "X", isrc="I", id="b" * 22)
    b = data.track("S", "X", isrc="I", id="a" * 22)
    data.playlist("P1", [At(a, _t(0))])
    data.playlist("P2", [At(b, _t(1))])
    assert SpotifyAnalyzer(db, ["P1", "P2"]).plan().uris == [f"spotify:track:{a}"]
    data.playlist("P1", [At(a, _t(1))])
    data.playlist("P2", [At(b, _t(1))])
    assert SpotifyAnalyzer(db, ["P1", "P2"]).plan().uris == [f"spotify:track:{b}"]


def test_keep_weights_repeats_each_song_by_its_heaviest_source(db: Database, data: AnalysisData) -> None:
    a, b = data.track("A", isrc="IA"), data.track("B")
    a_single = data.track("A", isrc="IA", album_type="single")
    data.playlist("P1", [At(a, _t(0)), At(b, _t(1)), At(a_single, _t(2)), At(a, _t(3))])
    data.playlist("P2", [At(b, _t(4)), At(b, _t(5)), At(b, _t(6))])
    plan = SpotifyAnalyzer(db, ["P1", "P2"], MergeOptions(keep_weights=True)).plan()
    ua, ub = f"spotify:track:{a}", f"spotify:track:{b}"
    assert plan.uris == [ua, ua, ua, ub, ub, ub]
    assert plan.song_count == 2
