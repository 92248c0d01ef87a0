"""The seeded library: deterministic, fast, realistic, and with a usable ground truth."""

from __future__ import annotations

from collections import Counter

import pytest

from spotify_merger.emulator import Library, build_library
from spotify_merger.emulator.seeding import NEAR_MISS_KINDS


@pytest.fixture(scope="module")
def default_library() -> Library:
    return build_library(42)


def song_keys(lib: Library, index: int) -> list[str | None]:
    return [lib.song_key(u) if u else None for u, _, _ in lib.playlists[index].entries]


def test_default_size_is_deterministic(default_library: Library) -> None:
    again = build_library(42)
    assert [p.entries for p in again.playlists] == [p.entries for p in default_library.playlists]
    assert build_library(43).playlists[0].entries != default_library.playlists[0].entries


def test_default_shape(default_library: Library) -> None:
    lib = default_library
    p1, p2 = (song_keys(lib, i) for i in (0, 1))
    assert len(p1) == len(p2) == 9000
    music1 = {k for k in p1 if k and k.startswith("s")}
    music2 = {k for k in p2 if k and k.startswith("s")}
    assert 14_000 <= len(music1 | music2) <= 16_000
    assert len(music1 & music2) >= 300  # real overlap
    weights1 = Counter(k for k in p1 if k and k.startswith("s"))
    assert max(weights1.values()) == 8 and min(weights1.values()) == 1
    assert Counter(weights1.values())[1] > 0.7 * len(weights1)  # long tail of single plays
    weights2 = Counter(k for k in p2 if k and k.startswith("s"))
    assert sum(1 for w in weights2.values() if w == 1) > 0.95 * len(weights2)  # mostly unique
    years = {a[:4] for _, a, _ in lib.playlists[0].entries}
    assert len(years) >= 10  # added_at spread over years


def test_special_entries_present(default_library: Library) -> None:
    lib = default_library
    for pl in lib.playlists[:2]:
        uris = [u for u, _, _ in pl.entries]
        assert any(u is None for u in uris)
        assert any(u and u.startswith("spotify:local:") for u in uris)
        assert any(u and u.startswith("spotify:episode:") for u in uris)
        # Kept off the first 100 entries and the last page.
        assert all(u and u.startswith("spotify:track:") for u in uris[:100] + uris[-50:])
    old = lib.playlists[2]
    assert any(a is None for _, a, _ in old.entries) and any(a for _, a, _ in old.entries)
    assert lib.liked and lib.playlists[4].owner != lib.user_id


def test_same_song_cases_share_a_key(default_library: Library) -> None:
    lib = default_library
    multi = {k: ids for k, ids in lib.songs.items() if len(ids) > 1}
    variants = Counter(lib.tracks[t]["variant"] for ids in multi.values() for t in ids)
    assert variants["single"] and variants["compilation"] and variants["remaster"] and variants["relinked"]
    assert variants["credit_moved"]
    for ids in multi.values():
        base = lib.tracks[ids[0]]
        for t in ids[1:]:
            other = lib.tracks[t]
            assert other["song_key"] == base["song_key"] and other["id"] != base["id"]
            if other["variant"] in ("single", "compilation", "relinked"):
                assert other["isrc"] == base["isrc"]
            if other["variant"] == "remaster":
                assert (
                    "master" in other["name"].lower()
                    and abs(other["duration_ms"] - base["duration_ms"]) <= 2000
                )
            if other["variant"] == "credit_moved":
                # The guest is credited in the original's title and in this copy's artist list.
                guest = lib.artists[other["artists"][1]]["name"]
                assert (
                    base["name"] == f"{other['name']} (feat. {guest})"
                    and base["artists"] == other["artists"][:1]
                )
                assert other["isrc"] != base["isrc"]
    # Some remasters carry a new ISRC, so only title/artist/duration can join them.
    assert any(
        lib.tracks[t]["isrc"] != lib.tracks[ids[0]]["isrc"]
        for ids in multi.values()
        for t in ids
        if lib.tracks[t]["variant"] == "remaster"
    )


def test_near_misses_stay_distinct(default_library: Library) -> None:
    lib = default_library
    kinds = Counter(kind for _, _, kind in lib.near_misses)
    assert set(kinds) == set(NEAR_MISS_KINDS)
    for base_key, key, kind in lib.near_misses:
        assert base_key != key
        base = lib.tracks[lib.songs[base_key][0]]
        near = lib.tracks[lib.songs[key][0]]
        title = base["name"].split(" (feat. ")[0]  # a song may credit its guest in the title
        if kind == "clean":
            assert base["explicit"] and not near["explicit"] and near["name"] == title
            assert abs(near["duration_ms"] - base["duration_ms"]) <= 2000 and near["isrc"] != base["isrc"]
        elif kind == "other_artist":
            assert near["name"] == title and near["artists"] != base["artists"]
        elif kind == "guest":
            assert near["artists"][0] == base["artists"][0] and len(near["artists"]) == 2
        elif kind in ("album_live", "album_acoustic"):
            assert near["artists"] == base["artists"] and near["album"] != base["album"]
            album = lib.albums[near["album"]]["name"]
            assert album.startswith("Live at") if kind == "album_live" else album.endswith("(Acoustic)")
        else:
            assert near["name"] != title and near["name"].startswith(title)
    # Some near misses sit within 2 s of the original, so duration alone cannot separate them.
    assert any(
        abs(lib.tracks[lib.songs[b][0]]["duration_ms"] - lib.tracks[lib.songs[k][0]]["duration_ms"]) <= 2000
        for b, k, kind in lib.near_misses
        if kind not in ("clean", "other_artist", "guest", "album_live", "album_acoustic")
    )


def test_every_track_has_audio_features_and_titles_vary_in_script(default_library: Library) -> None:
    lib = default_library
    some = list(lib.tracks)[:50]
    assert all(lib.audio_features(t) is not None for t in some)
    assert any(not t["name"].isascii() for t in lib.tracks.values())


def test_small_sizes_and_bounds() -> None:
    lib = build_library(1, (300, 300))
    assert [len(p.entries) for p in lib.playlists[:2]] == [300, 300]
    with pytest.raises(ValueError):
        build_library(1, (10_001, 5))
