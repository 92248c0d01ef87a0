"""Emulator fixtures for the tests: start emulators, stop them at teardown; a bearer session.

``emulator`` is a small dev-2026 emulator (300 + 300 entries) per test; ``emulator_factory(**kwargs)``
starts one with any ``EmulatorConfig`` settings (small sizes unless given) and stops all at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from spotify_merger.emulator import Emulator, EmulatorConfig

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
