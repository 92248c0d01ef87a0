"""Source parsing: ids, URIs, open.spotify.com links, `liked`, defaults and duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotify_merger.context import Environment
from spotify_merger.errors import UsageError
from spotify_merger.fetch.sources import resolve_sources
from spotify_merger.spotify.ids import LIKED, parse_source

PID = "PYm5YYcvQ3UWk9T3n8n1GS"


@pytest.mark.parametrize(
    "text",
    [
        PID,
        f"  {PID}  ",
        f"spotify:playlist:{PID}",
        f"spotify:user:someone:playlist:{PID}",
        f"https://open.spotify.com/playlist/{PID}",
        f"https://open.spotify.com/playlist/{PID}?si=a1b2c3d4e5&pt=xyz",
        f"https://open.spotify.com/intl-de/playlist/{PID}?si=abc",
        f"open.spotify.com/playlist/{PID}",
        f"https://open.spotify.com/user/someone/playlist/{PID}",
    ],
)
def test_forms_of_a_playlist(text: str) -> None:
    assert parse_source(text) == PID


@pytest.mark.parametrize("text", ["liked", "LIKED", "https://open.spotify.com/collection/tracks"])
def test_liked(text: str) -> None:
    assert parse_source(text) == LIKED


@pytest.mark.parametrize(
    "text",
    [
        "",
        "bogus",
        PID[:-1],
        PID + "x",
        f"spotify:album:{PID}",
        f"https://open.spotify.com/album/{PID}",
        f"https://example.com/playlist/{PID}",
        "https://open.spotify.com/playlist/",
    ],
)
def test_invalid_sources_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_source(text)
    assert "open.spotify.com" in info.value.hint


def test_defaults_duplicates_and_none(tmp_path: Path) -> None:
    other = "yQoaGdhikkDkIkKiRca3D8"
    env = Environment.for_tests(
        tmp_path, {"PLAYLIST_1_ID": PID, "PLAYLIST_2_ID": f"spotify:playlist:{other}"}
    )
    assert resolve_sources(env, None) == [PID, other]
    assert resolve_sources(env, ["liked", PID]) == [LIKED, PID]
    with pytest.raises(UsageError) as info:
        resolve_sources(env, [PID, f"https://open.spotify.com/playlist/{PID}?si=1"])
    assert "same playlist" in info.value.message
    with pytest.raises(UsageError) as info:
        resolve_sources(Environment.for_tests(tmp_path, {}), [])
    assert "PLAYLIST_1_ID" in info.value.hint
    bad = Environment.for_tests(tmp_path, {"PLAYLIST_1_ID": "nope"})
    with pytest.raises(UsageError) as info:
        resolve_sources(bad, None)
    assert ".env" in info.value.message
