"""Pytest helpers: fixtures that start emulators and stop them at teardown.

``tests/conftest.py`` exposes them::

    from spotify_merger.emulator.testing import emulator, emulator_factory  # noqa: F401

``emulator`` is a small dev-2026 emulator (300 + 300 entries) per test; ``emulator_factory(**kwargs)``
starts one with any ``EmulatorConfig`` settings (small sizes unless given) and stops all at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from spotify_merger.emulator.instance import Emulator, EmulatorConfig

SMALL_SIZES = (300, 300)
EmulatorFactory = Callable[..., Emulator]


def start_emulator(**kwargs: Any) -> Emulator:
    kwargs.setdefault("playlist_sizes", SMALL_SIZES)
    return Emulator(EmulatorConfig(**kwargs)).start()


@pytest.fixture
def emulator_factory() -> Iterator[EmulatorFactory]:
    started: list[Emulator] = []

    def make(**kwargs: Any) -> Emulator:
        emu = start_emulator(**kwargs)
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> Emulator:
    return emulator_factory(profile="dev-2026")


def bearer_session(emu: Emulator, scopes: set[str] | None = None) -> Any:
    """A requests.Session carrying a fresh access token for the seeded user."""
    import requests

    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {emu.issue_token(scopes)}"
    return s


def ground_truth_plan(emu: Emulator, limit: int | None = None) -> Any:
    """A MergePlan straight from the emulator's state: every addable URI of the seeded playlists
    once, in first-appearance order (at most `limit`), so write tests and benchmarks need no
    fetch or analysis."""
    from spotify_merger.analyze.model import MergeOptions, MergePlan

    seen: dict[str, None] = {}
    for pid in emu.playlist_ids:
        for uri in emu.playlist_uris(pid):
            if uri and not uri.startswith("spotify:local:"):
                seen.setdefault(uri, None)
    uris = list(seen)[:limit] if limit is not None else list(seen)
    return MergePlan(
        uris=uris,
        sources=list(emu.playlist_ids),
        source_snapshots={pid: emu.playlist_snapshot(pid) for pid in emu.playlist_ids},
        options=MergeOptions(match="id"),
        excluded_local=0,
        excluded_unavailable=0,
        song_count=len(uris),
    )
