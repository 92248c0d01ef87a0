"""Emulator fixtures for the tests: start emulators, stop them at teardown; a bearer session.

``emulator`` is a small dev-2026 emulator (300 + 300 entries) per test; ``emulator_factory(**settings)``
starts one with any ``EmulatorConfig`` settings (small sizes unless given) and stops all at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypedDict, Unpack

import pytest
import requests

from spotify_merger.emulator import Emulator, EmulatorConfig

SMALL_SIZES = (300, 300)


class EmulatorSettings(TypedDict, total=False):
    """The keyword form of `EmulatorConfig`, so a test's settings are checked like the config's."""

    profile: str
    seed: int
    playlist_sizes: tuple[int, ...]
    unique_songs: int | None
    latency_ms: float
    rate_limit: int | None
    quota: int | None
    fault_rate: float
    rate_429: float
    lost_response_rate: float
    retry_after_max: int
    force_retry_after: int | None
    token_ttl: float
    state_file: str | None
    host: str
    port: int
    verbose: bool
    extra_redirect_uris: tuple[str, ...]


class EmulatorFactory(Protocol):
    def __call__(self, **settings: Unpack[EmulatorSettings]) -> Emulator: ...


def start_emulator(**settings: Unpack[EmulatorSettings]) -> Emulator:
    settings.setdefault("playlist_sizes", SMALL_SIZES)
    return Emulator(EmulatorConfig(**settings)).start()


@pytest.fixture
def emulator_factory() -> Iterator[EmulatorFactory]:
    started: list[Emulator] = []

    def make(**settings: Unpack[EmulatorSettings]) -> Emulator:
        emu = start_emulator(**settings)
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> Emulator:
    return emulator_factory(profile="dev-2026")


def bearer_session(emu: Emulator, scopes: set[str] | None = None) -> requests.Session:
    """A requests.Session carrying a fresh access token for the seeded user."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {emu.issue_token(scopes)}"
    return s
