"""Shared fixtures. Each area keeps its own clearly marked section."""

import pytest

# ============================================================================================
# Emulator fixtures (owner: emulator). `emulator`: a small dev-2026 emulator per test;
# `emulator_factory(**EmulatorConfig kwargs)`: start more, all stopped at teardown.
# ============================================================================================
from emulator_fixtures import emulator, emulator_factory  # noqa: F401

# ============================================================================================
# (other areas add their fixtures below)
# ============================================================================================

# ============================================================================================
# Fetch area (owner: fetch — auth, policy, client, sources, fetch). `env_for(emu, **overrides)`:
# a quiet test Environment wired to an emulator (refresh-token mode, data under tmp_path);
# `virtual_time`: a fake clock + sleep so waits in the call policy cost no real time.
# ============================================================================================


class VirtualTime:
    """A monotonic clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep = None  # optional callable(seconds) run at each sleep (e.g. to turn a fault off)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)


@pytest.fixture
def virtual_time() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def env_for(tmp_path):  # type: ignore[no-untyped-def]
    from spotify_merger.context import Environment

    def make(emu, *, settings=None, data_dir=None, **overrides):  # type: ignore[no-untyped-def]
        merged = dict(emu.env()) if emu is not None else {}
        merged.update(settings or {})
        merged = {k: v for k, v in merged.items() if v is not None}
        return Environment.for_tests(data_dir or tmp_path / "data", merged, **overrides)

    return make


# ============================================================================================
# Write area (owner: write — journal, writer, verify, undo, run, demo).
# Fixtures `plan_from_emulator(emu, limit=None)`: a MergePlan built straight from the emulator's
# ground truth (unique addable URIs of the two seeded playlists, first-appearance order), so write
# tests need no fetch or analysis; `sources_of(emu)`: each source's URIs and snapshot, to prove
# them untouched.
# ============================================================================================


def _source_state(emu):  # type: ignore[no-untyped-def]
    return {pid: (emu.playlist_uris(pid), emu.playlist_snapshot(pid)) for pid in emu.playlist_ids}


@pytest.fixture
def plan_from_emulator():  # type: ignore[no-untyped-def]
    from spotify_merger.analyze.model import MergePlan

    def plan(emu, limit=None):  # type: ignore[no-untyped-def]
        return MergePlan.of_uris(
            emu.unique_addable_uris(limit), list(emu.playlist_ids), emu.seeded_snapshots()
        )

    return plan


@pytest.fixture
def sources_of():  # type: ignore[no-untyped-def]
    return _source_state


# ============================================================================================
# Analysis area (owner: analyze/report). `fetched_library(profile)`: a DuckDB file filled by a
# real fetch from a small emulator (session-cached per profile), with the emulator's ground truth
# copied out: each source's URIs and the song key of every URI.
# ============================================================================================


class FetchedLibrary:
    def __init__(self, db_path, data_dir, sources, uris, song_keys, profile):  # type: ignore[no-untyped-def]
        self.db_path = db_path
        self.data_dir = data_dir
        self.sources = sources  # [p1, p2] playlist ids
        self.uris = uris  # {playlist id: [uri or None]}
        self.song_keys = song_keys  # {uri: ground-truth song key}
        self.profile = profile


ANALYSIS_SIZES = (500, 400)


@pytest.fixture(scope="session")
def fetched_library(tmp_path_factory):  # type: ignore[no-untyped-def]
    from spotify_merger.context import Environment
    from spotify_merger.emulator import Emulator, EmulatorConfig
    from spotify_merger.fetch import fetch_sources

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
                keys.update({emu.served_uri(u): k for u, k in list(keys.items())})
            cache[profile] = FetchedLibrary(env.db_path, data_dir, sources, uris, keys, profile)
        return cache[profile]

    return get
