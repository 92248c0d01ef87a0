"""Typed fixtures of the fetch, write and analysis areas (`conftest.py` registers them), and the
one-number query their tests share.

Tests annotate their fixture arguments with the types defined here (`EnvFor`, `VirtualTime`,
`PlanFromEmulator`, `SourcesOf`, `LibraryOf`), so mypy checks what a test does with a fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

import pytest

from spotify_merger.analyze.model import MergePlan
from spotify_merger.context import Environment
from spotify_merger.emulator import Emulator, EmulatorConfig
from spotify_merger.fetch import fetch_sources
from spotify_merger.spotify._pacer import Pacer
from spotify_merger.store.database import Database


def count(db: Database, sql: str, params: list[object] | None = None) -> int:
    """The one number a `SELECT count(*)` (or a coalesced sum) returns."""
    row = db.fetchone(sql, params)
    assert row is not None, sql
    return int(row[0])


# ============================================================================================
# Fetch area (owner: fetch — auth, policy, client, sources, fetch). `env_for(emu, **overrides)`:
# a quiet test Environment wired to an emulator (refresh-token mode, data under tmp_path);
# `virtual_time`: a fake clock + sleep so waits in the call policy cost no real time;
# `virtual_pacer()`: a pacer on such a clock.
# ============================================================================================


class VirtualTime:
    """A monotonic clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        # Run at each sleep, e.g. to turn a fault off once the client has backed off.
        self.on_sleep: Callable[[float], object] | None = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)


def virtual_pacer() -> tuple[list[float], Pacer, Callable[[], float]]:
    """A pacer on a virtual clock (sleeping advances it) and a `start` that runs one 10 ms call."""
    now = [0.0]
    pacer = Pacer(lambda: now[0], lambda s: now.__setitem__(0, now[0] + s))

    def start() -> float:
        granted = pacer.acquire()
        pacer.release(0.01)
        return granted

    return now, pacer, start


class EnvFor(Protocol):
    """`env_for(emu, settings=..., data_dir=..., **overrides)`: None in `settings` removes a key."""

    def __call__(
        self,
        emu: Emulator | None,
        *,
        settings: Mapping[str, str | None] | None = None,
        data_dir: Path | None = None,
        **overrides: object,
    ) -> Environment: ...


@pytest.fixture
def virtual_time() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def env_for(tmp_path: Path) -> EnvFor:
    def make(
        emu: Emulator | None,
        *,
        settings: Mapping[str, str | None] | None = None,
        data_dir: Path | None = None,
        **overrides: object,
    ) -> Environment:
        merged: dict[str, str | None] = dict(emu.env()) if emu is not None else {}
        merged.update(settings or {})
        present = {k: v for k, v in merged.items() if v is not None}
        return Environment.for_tests(data_dir or tmp_path / "data", present, **overrides)

    return make


# ============================================================================================
# Write area (owner: write — journal, writer, verify, undo, run, demo).
# `plan_from_emulator(emu, limit=None)`: a MergePlan built straight from the emulator's ground
# truth (unique addable URIs of the two seeded playlists, first-appearance order), so write tests
# need no fetch or analysis; `sources_of(emu)`: each source's URIs and snapshot, to prove them
# untouched; `write_case(emu, limit=None)`: all a write test starts from, in one line.
# ============================================================================================

SourceState = dict[str, tuple[list[str | None], str]]
SourcesOf = Callable[[Emulator], SourceState]


class PlanFromEmulator(Protocol):
    def __call__(self, emu: Emulator, limit: int | None = None) -> MergePlan: ...


def api_calls(emu: Emulator, method: str | None = None) -> int:
    """Web API calls only (token refreshes on the accounts service are not writes)."""
    return sum(
        c for (m, route, _s), c in emu.counter.items() if route.startswith("/v1/") and method in (None, m)
    )


def new_playlists(emu: Emulator, before: set[str]) -> list[str]:
    """The user's playlists that are not in `before` (what a write created)."""
    return [pid for pid in emu.user_playlist_ids() if pid not in before]


def source_state(emu: Emulator) -> SourceState:
    return {pid: (emu.playlist_uris(pid), emu.playlist_snapshot(pid)) for pid in emu.playlist_ids}


def plan_of(emu: Emulator, limit: int | None = None) -> MergePlan:
    return MergePlan.of_uris(emu.unique_addable_uris(limit), list(emu.playlist_ids), emu.seeded_snapshots())


class WriteCase(NamedTuple):
    emu: Emulator
    env: Environment  # quiet, wired to `emu`
    plan: MergePlan  # from the emulator's ground truth
    before: SourceState  # the sources as they were
    existing: set[str]  # the user's playlists before the write


class WriteCaseOf(Protocol):
    def __call__(self, emu: Emulator, limit: int | None = None) -> WriteCase: ...


@pytest.fixture
def plan_from_emulator() -> PlanFromEmulator:
    return plan_of


@pytest.fixture
def sources_of() -> SourcesOf:
    return source_state


@pytest.fixture
def write_case(env_for: EnvFor) -> WriteCaseOf:
    def make(emu: Emulator, limit: int | None = None) -> WriteCase:
        return WriteCase(
            emu, env_for(emu), plan_of(emu, limit), source_state(emu), set(emu.user_playlist_ids())
        )

    return make


# ============================================================================================
# Analysis area (owner: analyze/report). `fetched_library(profile)`: a DuckDB file filled by a
# real fetch from a small emulator (session-cached per profile), with the emulator's ground truth
# copied out: each source's URIs and the song key of every URI.
# ============================================================================================

ANALYSIS_SIZES = (500, 400)


@dataclass(frozen=True)
class FetchedLibrary:
    db_path: Path
    data_dir: Path
    sources: list[str]  # [p1, p2] playlist ids
    uris: dict[str, list[str | None]]  # {playlist id: [uri or None]}
    song_keys: dict[str, str | None]  # {uri: ground-truth song key}
    profile: str


class LibraryOf(Protocol):
    def __call__(self, profile: str = "dev-2026") -> FetchedLibrary: ...


@pytest.fixture(scope="session")
def fetched_library(tmp_path_factory: pytest.TempPathFactory) -> LibraryOf:
    cache: dict[str, FetchedLibrary] = {}

    def get(profile: str = "dev-2026") -> FetchedLibrary:
        if profile not in cache:
            data_dir = tmp_path_factory.mktemp(f"fetched-{profile}")
            with Emulator(EmulatorConfig(profile=profile, seed=11, playlist_sizes=ANALYSIS_SIZES)) as emu:
                env = Environment.for_tests(data_dir, emu.env())
                fetch_sources(env)
                sources = list(emu.playlist_ids)
                uris = {pid: list(emu.playlist_uris(pid)) for pid in sources}
                keys = {u: emu.library.song_key(u) for lst in uris.values() for u in lst if u}
                # Extended + market serves relinked tracks under their replacement id: same song.
                keys.update({served: k for u, k in list(keys.items()) if (served := emu.served_uri(u))})
            cache[profile] = FetchedLibrary(env.db_path, data_dir, sources, uris, keys, profile)
        return cache[profile]

    return get
