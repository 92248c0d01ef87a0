"""Property-based tests of deduplication: idempotent, order-independent, no near-miss merges, no losses,
and the user's rules always win.

Each example is a random library with a known ground truth: every track carries the key of the song
it really is. Same-song copies (single/compilation with the same ISRC, remasters in many spellings
within 1.5 s, relinked ids, a guest credited in the title on one copy and in the artist list on the
other) must merge; near-miss variants (live, remix, acoustic, radio edit, demo, instrumental, "En
Vivo", live remaster, another guest, a live album, clean edit, same title by another artist) must not.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Unpack

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis_data import AnalysisData, At, TrackFields, new_id
from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
from spotify_merger.analyze.model import Keep, Match
from spotify_merger.store.database import Database

WORDS = [
    "Neon Harbor",
    "Quiet Orbit",
    "夜明けのメロディ",
    "소나기",
    "أغنية",
    "🔥 Fire",
    "Ça Va",
    "Ночь",
    "Lune ✨",
]
ARTISTS = ["Mira Vance", "The Foxes", "Beyoncé", "ヨル", "Ravi Okafor"]
COPY_KINDS = ["single", "compilation", "remaster", "relinked", "credit_moved"]
NEAR_MISS = {
    "live": " - Live",
    "remix": " - Remix",
    "acoustic": " (Acoustic)",
    "radio_edit": " - Radio Edit",
    "demo": " - Demo",
    "instrumental": " - Instrumental",
    "en_vivo": " (En Vivo)",
    "live_remaster": " (Live / Remastered)",
    "guest": " (feat. Another Guest)",
}
REMASTER_SUFFIXES = [
    " - 2011 Remaster",
    " (Remastered 2009)",
    " - Remastered",
    " - Remastered 2011",
    " [2011 - Remaster]",
    " – 2011 – Remaster",
    " (2009 Re-Mastered Digital Version)",
    " (Deluxe Remaster)",
    " (Album Version) [Remastered]",
]

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@dataclass
class Library:
    truth: dict[str, str] = field(default_factory=dict)  # track id -> song key
    p1: list[At] = field(default_factory=list)
    p2: list[At] = field(default_factory=list)


@st.composite
def libraries(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    n_songs = draw(st.integers(1, 12))
    songs = []
    for i in range(n_songs):
        songs.append(
            {
                "title": f"{draw(st.sampled_from(WORDS))} {i}",
                "artist": draw(st.sampled_from(ARTISTS)),
                "duration": draw(st.integers(120_000, 400_000)),
                "explicit": draw(st.booleans()),
                "copies": draw(st.lists(st.sampled_from(COPY_KINDS), max_size=3)),
                "jitter": draw(st.lists(st.integers(-1500, 1500), min_size=3, max_size=3)),
                "near_miss": draw(
                    st.sets(st.sampled_from([*NEAR_MISS, "clean", "other_artist", "album_live"]), max_size=3)
                ),
                "guest": draw(st.sampled_from([None, "Guest Star", "Ayase"])),
                "near_duration": draw(st.integers(-1500, 1500)),
            }
        )
    seed = draw(st.integers(0, 2**32 - 1))
    return {"songs": songs}, seed


def build(db: Database, spec: dict[str, Any], seed: int) -> Library:
    """Store the library; weights and dates come from `seed` so shrinking stays meaningful."""
    rng = random.Random(seed)
    data = AnalysisData(db)
    lib = Library()
    tracks: list[str] = []

    def add(key: str, **kw: Unpack[TrackFields]) -> str:
        tid = data.track(**kw)
        lib.truth[tid] = key
        tracks.append(tid)
        return tid

    for i, s in enumerate(spec["songs"]):
        key = f"s{i}"
        explicit = s["explicit"] or "clean" in s["near_miss"]
        base = {"artist": s["artist"], "explicit": explicit}
        guest = s.get("guest")
        # A song with a guest credits it in the title here; its "credit_moved" copy lists it instead.
        title = s["title"] + (f" (feat. {guest})" if guest else "")
        orig = add(key, name=title, duration_ms=s["duration"], isrc=f"ISRC{i:05d}", **base)
        for j, kind in enumerate(s["copies"]):
            if kind == "credit_moved":
                add(
                    key,
                    name=s["title"] if guest else s["title"] + " – 2011 Remaster",
                    artists=[s["artist"], guest] if guest else [s["artist"]],
                    explicit=explicit,
                    duration_ms=s["duration"] + s["jitter"][j],
                    isrc=f"CRD{i:03d}{j}",
                )
            elif kind in ("single", "compilation"):
                add(
                    key,
                    name=title,
                    duration_ms=s["duration"],
                    isrc=f"ISRC{i:05d}",
                    album_type=kind,
                    artist=s["artist"],
                    explicit=explicit,
                )
            elif kind == "remaster":
                add(
                    key,
                    name=title + REMASTER_SUFFIXES[(i + j) % len(REMASTER_SUFFIXES)],
                    duration_ms=s["duration"] + s["jitter"][j],
                    isrc=f"REM{i:03d}{j}",
                    artist=s["artist"],
                    explicit=explicit,
                )
            else:
                add(
                    key,
                    name=title + " (market copy)",
                    duration_ms=s["duration"] + 60_000,
                    isrc=None,
                    linked_from_id=orig,
                    artist=s["artist"],
                    explicit=explicit,
                )
        for kind in sorted(s["near_miss"]):
            # "(Live / Remastered)" is the live take remastered, and a plain title on a live album is a
            # live take too: the same song as "- Live" (a library cannot tell two concerts apart).
            vkey = f"{key}:{'live' if kind in ('live_remaster', 'album_live') else kind}"
            duration = s["duration"] + s["near_duration"]
            if kind == "guest" and guest:
                continue  # the song already has a guest: another guest is tested when it has none
            if kind == "album_live":
                add(
                    vkey,
                    name=title,
                    album="Live at the Palace",
                    duration_ms=duration,
                    isrc=f"ALV{i:05d}",
                    **base,
                )
            elif kind == "clean":
                add(
                    vkey,
                    name=title,
                    artist=s["artist"],
                    explicit=False,
                    duration_ms=duration,
                    isrc=f"CLN{i:05d}",
                )
            elif kind == "other_artist":
                add(
                    vkey,
                    name=title,
                    artist=s["artist"] + " Tribute",
                    explicit=explicit,
                    duration_ms=duration,
                    isrc=f"OTH{i:05d}",
                )
            else:
                add(
                    vkey,
                    name=title + NEAR_MISS[kind],
                    duration_ms=duration,
                    isrc=f"NM{i:03d}{kind}",
                    artist=s["artist"],
                    explicit=explicit,
                )
    start = 1_600_000_000
    for tid in tracks:
        w1, w2 = rng.choice([0, 1, 1, 2, 3]), rng.choice([0, 1, 2])
        if w1 + w2 == 0:
            w1 = 1
        for _ in range(w1):
            lib.p1.append(At(tid, _when(rng, start)))
        for _ in range(w2):
            lib.p2.append(At(tid, _when(rng, start)))
    rng.shuffle(lib.p1)
    rng.shuffle(lib.p2)
    data.playlist("P1", list(lib.p1))
    data.playlist("P2", list(lib.p2))
    return lib


def _when(rng: random.Random, start: int) -> dt.datetime | None:
    if rng.random() < 0.1:
        return None
    return dt.datetime.fromtimestamp(start + rng.randint(0, 10**6), dt.UTC).replace(tzinfo=None)


def groups(
    db: Database, options: MergeOptions | None = None, sources: Sequence[str] = ("P1", "P2")
) -> set[frozenset[str]]:
    an = SpotifyAnalyzer(db, list(sources), options)
    rows = an._query("SELECT list(id) FROM {ns}groups GROUP BY gid")
    an.close()
    return {frozenset(r[0]) for r in rows}


def truth_partition(lib: Library) -> set[frozenset[str]]:
    by_key: dict[str, set[str]] = {}
    for tid, key in lib.truth.items():
        by_key.setdefault(key, set()).add(tid)
    return {frozenset(v) for v in by_key.values()}


@pytest.fixture(scope="module")
def shared_db() -> Iterator[Database]:
    # One in-memory database for all examples, emptied before each: opening a fresh one costs more
    # than the analysis itself.
    with Database(":memory:") as db:
        yield db


def fresh(db: Database) -> Database:
    for table in ("entries", "playlists", "tracks", "track_artists"):
        db.execute(f"DELETE FROM {table}")
    return db


@PROPERTY_SETTINGS
@given(
    case=libraries(),
    keep=st.sampled_from(["most-weighted", "earliest-added", "newest-release", "oldest-release"]),
)
def test_dedup_finds_exactly_the_true_songs_and_is_idempotent(
    shared_db: Database, case: tuple[dict[str, Any], int], keep: Keep
) -> None:
    """Never merges a near-miss, never drops or splits a song; deduplicating the result changes nothing."""
    spec, seed = case
    db = fresh(shared_db)
    lib = build(db, spec, seed)
    assert groups(db) == truth_partition(lib)
    options = MergeOptions(keep=keep)
    plan = SpotifyAnalyzer(db, ["P1", "P2"], options).plan()
    kept_keys = [lib.truth[u.rsplit(":", 1)[1]] for u in plan.uris]
    assert sorted(kept_keys) == sorted(set(lib.truth.values()))  # every song exactly once

    AnalysisData(db).playlist("D", [u.rsplit(":", 1)[1] for u in plan.uris])
    again = SpotifyAnalyzer(db, ["D"], MergeOptions(keep=keep, order="source")).plan()
    assert again.uris == plan.uris
    assert again.song_count == plan.song_count == len(plan.uris)


@PROPERTY_SETTINGS
@given(
    case=libraries(), match=st.sampled_from(["id", "isrc", "smart"]), shuffle_seed=st.integers(0, 2**32 - 1)
)
def test_grouping_never_crosses_songs_and_ignores_input_order(
    shared_db: Database, case: tuple[dict[str, Any], int], match: Match, shuffle_seed: int
) -> None:
    spec, seed = case
    db = fresh(shared_db)
    lib = build(db, spec, seed)
    options = MergeOptions(match=match)
    before = groups(db, options)
    for group in before:
        assert len({lib.truth[t] for t in group}) == 1
    rng = random.Random(shuffle_seed)
    p1, p2 = list(lib.p1), list(lib.p2)
    rng.shuffle(p1)
    rng.shuffle(p2)
    # Permuted positions, and the sources swapped under new ids.
    data = AnalysisData(db)
    data.playlist("Q1", p2)
    data.playlist("Q2", p1)
    assert groups(db, options, sources=("Q1", "Q2")) == before


def test_builder_ids_are_unique() -> None:
    assert len({new_id() for _ in range(1000)}) == 1000


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(case=libraries(), picks=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), max_size=6))
def test_a_user_rule_always_wins(
    shared_db: Database, case: tuple[dict[str, Any], int], picks: list[tuple[int, int]]
) -> None:
    """never: always apart; same: together unless joining them would join a never pair; exclude: out."""
    from spotify_merger.analyze.rules import MatchRules, Rule, rule

    spec, seed = case
    db = fresh(shared_db)
    lib = build(db, spec, seed)
    ids = sorted(lib.truth)
    by_song = sorted(groups(db), key=sorted)
    rules: list[Rule] = []
    taken: set[frozenset[str]] = set()
    for n, (x, y) in enumerate(picks):
        if n % 3 == 0:  # never: split what the automatic rules merged, when there is something to split
            multi = [sorted(g) for g in by_song if len(g) > 1]
            if not multi:
                continue
            g = multi[x % len(multi)]
            a, b = g[x % len(g)], g[(x + 1 + y % (len(g) - 1)) % len(g)]
            key = "never"
        elif n % 3 == 1:  # same: merge two tracks of different songs
            a, b = ids[x % len(ids)], ids[y % len(ids)]
            key = "same"
        else:
            rules.append(rule("exclude", [ids[x % len(ids)]]))
            continue
        pair = frozenset((a, b))
        if a == b or pair in taken:
            continue
        taken.add(pair)
        rules.append(rule(key, [a, b]))
    chosen = MatchRules(list(dict.fromkeys(rules)))
    with SpotifyAnalyzer(db, ["P1", "P2"], rules=chosen) as an:
        gid = dict(an._query("SELECT id, gid FROM {ns}groups"))
        plan = an.plan()
    members: dict[str, set[str]] = {}
    for tid, g in gid.items():
        members.setdefault(g, set()).add(tid)
    never = [r.tracks for r in chosen.of("never")]
    for a, b in never:
        if a in gid and b in gid:
            assert gid[a] != gid[b]
    for a, b in (r.tracks for r in chosen.of("same")):
        if a in gid and b in gid and gid[a] != gid[b]:
            # Only a never rule may keep a same pair apart: one of its tracks on each side.
            assert any(
                (u in members[gid[a]] and v in members[gid[b]])
                or (v in members[gid[a]] and u in members[gid[b]])
                for u, v in never
            )
    for tid in chosen.excluded:
        assert f"spotify:track:{tid}" not in plan.uris
