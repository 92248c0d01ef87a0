"""The title grammar, artist sets, album markers and folding, one value at a time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotify_merger.analyze.normalize import (
    album_markers,
    artist_set,
    fold,
    normalize_title,
    parse_title,
)


@pytest.mark.parametrize(
    ("title", "key"),
    [
        # neutral: dropped
        ("Song [2011 - Remaster]", "song"),
        ("Song - 2011 - Remaster", "song"),
        ("Song (2009 Re-Mastered Digital Version)", "song"),
        ("Song (Deluxe Remaster)", "song"),
        ("Song (Remastered Deluxe Box Set)", "song"),
        ("Song (Album Version)", "song"),
        ("Song - Original Version 1978", "song"),
        ("Song [Bonus Track]", "song"),
        ("Song (Remastered & Expanded)", "song"),
        ("Song (prod. Someone)", "song"),
        # version: kept, whatever the bracket or dash, in any order
        ("Song (Live / Remastered)", "song (live)"),
        ("Song [Remastered 2019] - Live", "song (live)"),
        ("Song (Live) [Acoustic]", "song (acoustic) (live)"),
        ("Song (Taylor’s Version)", "song (taylors)"),
        ("Song - Acoustic Version", "song (acoustic)"),
        ("Song (Acoustic Ver.)", "song (acoustic)"),
        ("Song - Re-Recorded", "song (rerecorded)"),
        ("Song (1999)", "song (1999)"),
        ("Song (En Vivo)", "song (en vivo)"),
        # credits: moved out
        ("Song (feat. B)", "song"),
        ("Song feat. B", "song"),
        ("Song (with B) - Radio Edit", "song (radio edit)"),
        # never an accident
        ("(Live)", "(live)"),
        ("- Live", "- live"),
        ("Song (Live", "song (live"),
        ("50 Ft. Queenie", "50 ft queenie"),
        ("Dancing with Myself", "dancing with myself"),
        ("", ""),
        ("Intro", ""),
        ("Track 3", ""),
    ],
)
def test_title_keys(title: str, key: str) -> None:
    assert normalize_title(title) == key


def test_credits_join_the_artist_set_in_any_form() -> None:
    one = artist_set(["Kid Ink"], "Body Language (feat. Usher & Tinashe)")
    assert one == artist_set(["Tinashe", "Kid Ink", "Usher"], "Body Language")
    assert one == artist_set(["Kid Ink"], "Body Language feat. Usher and Tinashe")
    assert artist_set(["A"], "Song (feat. B)") != artist_set(["A"], "Song (feat. C)")
    assert artist_set(["A", "B"]) != artist_set(["A", "C"])
    assert artist_set(["Simon & Garfunkel"]) == artist_set(["Simon and Garfunkel"]) == ("garfunkel", "simon")
    assert artist_set(["Florence + the Machine"]) == artist_set(["Florence and the Machine"])
    assert parse_title("Song (feat. A, B & C)").credits == ("a", "b", "c")


@pytest.mark.parametrize(
    ("album", "markers"),
    [
        ("MTV Unplugged in New York", ("unplugged",)),
        ("Live at Leeds", ("live",)),
        ("Live 1975–85", ("live",)),
        ("Absolutely Live", ("live",)),
        ("Acoustic Sessions", ("acoustic", "sessions")),
        ("Ao Vivo no Rio", ("live",)),
        ("Fearless (Taylor’s Version)", ("rerecorded",)),
        ("Live Through This", ()),
        ("Live and Let Die", ()),
        ("Alive", ()),
        ("Nevermind (Remastered)", ()),
    ],
)
def test_album_markers(album: str, markers: tuple[str, ...]) -> None:
    assert album_markers(album) == markers


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("We’ve Got Tonight", "we've got tonight"),
        ("…Baby One More Time", "...baby one more time"),
        ("Tush – Live", "tush - live"),
        ("Rock and Roll", "rock & roll"),
        ("Rock + Roll", "rock & roll"),
        ("赤城（艦これ）", "赤城(艦これ)"),
        ("Ｇｉｎｔａｍａ", "gintama"),
        ("Song\u00a0 Title\u200b ", "song title"),
        ("Café Olé", "cafe ole"),
        ("夜明けのメロディ", "夜明けのメロディ"),  # デ keeps its mark
        ("Мой", "мой"),  # й keeps its breve
        ("🔥", "🔥"),
    ],
)
def test_folding(raw: str, folded: str) -> None:
    assert fold(raw) == folded


ANNOTATION_BITS = st.sampled_from(
    [
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        " - ",
        "feat. ",
        "live",
        "remaster",
        "2011",
        "/",
        "’",
        "…",
        "&",
        "x",
        "ß",
        "デ",
        "🔥",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(ANNOTATION_BITS, st.text(max_size=6)), max_size=40))
def test_the_parser_never_crashes_and_is_stable(bits: list[str]) -> None:
    title = "".join(bits)
    parsed = parse_title(title)
    assert parsed.key == normalize_title(title)
    # Folding is idempotent, and a title's key never depends on how it was reached.
    assert fold(fold(title)) == fold(title)
    assert parse_title(fold(title)).key == parsed.key


def test_long_and_pathological_titles_are_read_in_bounded_time() -> None:
    assert normalize_title("A very long title " * 60) == "a very long title " * 59 + "a very long title"
    assert normalize_title("(" * 5000 + "Song") != "song"
    assert normalize_title("Song" + ")" * 5000) != "song"
    assert normalize_title("Song" + " (x)" * 2000) != "song (x)"


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_no_title_with_a_visible_character_is_emptied_by_folding(text: str) -> None:
    visible = text.translate({ord(c): None for c in "\u200b\u2060\ufeff\u00ad"}).strip()
    if visible:
        assert fold(text) != ""
