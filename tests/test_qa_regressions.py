"""Regressions found by acceptance testing (fetch, auth, report areas), each over real HTTP."""

from __future__ import annotations

import _thread
import os
import threading
from pathlib import Path

import pytest
from rich.progress import ProgressColumn
from rich.text import Text
from typer.testing import Result

from emulator_fixtures import EmulatorFactory
from fixtures import EnvFor, count, virtual_pacer
from spotify_merger.emulator import Emulator
from spotify_merger.fetch import fetch_sources
from spotify_merger.spotify._pacer import Pacer
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.store.database import Database


def _interrupt_after_first_429(emu: Emulator) -> threading.Thread:
    """Press Ctrl-C (in the main thread) once the emulator has answered a 429."""

    def watch() -> None:
        while not emu.calls(status=429):
            threading.Event().wait(0.02)
        _thread.interrupt_main()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


@pytest.mark.timeout(60)
def test_ctrl_c_during_a_rate_limit_pause_stops_without_hanging(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    # Workers parked in the pacer (waiting out Retry-After) used to leak their in-flight slots
    # when cancelled, so the others waited for a slot forever and so did the pool shutdown.
    emu = emulator_factory(playlist_sizes=(600, 600), rate_limit=12, force_retry_after=40)
    env = env_for(emu)
    client = SpotifyClient.connect(env)
    watcher = _interrupt_after_first_429(emu)
    with client, pytest.raises(KeyboardInterrupt):
        fetch_sources(env, None, client=client, features=False, concurrency=8)
    watcher.join()
    assert client.policy.pacer.in_flight == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("fetch")]
    with Database(env.db_path) as db:
        kept = count(db, "SELECT count(*) FROM fetched_pages")
    assert kept >= 1  # what arrived before the pause is kept for the re-run


def test_cancelled_pacer_releases_threads_waiting_for_a_slot() -> None:
    cancelled = threading.Event()
    pacer = Pacer(lambda: 0.0, lambda s: None, cancelled)
    for _ in range(pacer.in_flight_limit()):
        pacer.acquire()  # every slot taken, never released (requests stuck on the wire)
    outcome: list[str] = []

    def waiter() -> None:
        try:
            pacer.acquire()
            outcome.append("acquired")
        except Exception as exc:  # CallCancelled
            outcome.append(type(exc).__name__)

    thread = threading.Thread(target=waiter)
    thread.start()
    cancelled.set()
    thread.join(10)
    assert outcome == ["CallCancelled"]


@pytest.mark.timeout(60)
def test_sporadic_429s_without_a_wait_do_not_slow_pacing_down(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    # "Retry-After: 0" means the window has room; learning a rate from it compounded the interval
    # by 1.5 on every such 429 until calls were 20 s apart (a write under a fault storm hung).
    emu = emulator_factory(playlist_sizes=(1000, 50), rate_429=0.2, force_retry_after=0)
    env = env_for(emu)
    with SpotifyClient.connect(env) as client:
        fetch_sources(env, [emu.playlist_ids[0]], client=client, features=False)
        assert emu.calls(status=429) > 0
        assert client.policy.pacer.interval == 0.0


def test_pacing_interval_is_bounded() -> None:
    now, pacer, start = virtual_pacer()
    for _ in range(20):
        started = start()
        now[0] = pacer.paused_until + 0.01
        pacer.rate_limited(started, retry_after=2.0)
    assert pacer.interval == Pacer.max_interval


def _invoke(emu: Emulator, tmp_path: Path, *args: str, **settings: str | None) -> Result:
    from typer.testing import CliRunner

    from spotify_merger.cli import app
    from spotify_merger.context import SETTINGS

    env: dict[str, str | None] = dict.fromkeys(SETTINGS)
    env.update(emu.env())
    env.update(settings)
    argv = ["--data-dir", str(tmp_path / "data"), "--env-file", os.devnull, *args]
    return CliRunner().invoke(app, argv, env=env)


@pytest.mark.timeout(60)
def test_auth_in_headless_mode_checks_the_token_instead_of_waiting_for_a_browser(
    emulator: Emulator, tmp_path: Path
) -> None:
    # It used to start the browser flow and wait 300 s for a redirect that never came.
    result = _invoke(emulator, tmp_path, "auth")
    assert result.exit_code == 0, result.output
    assert "headless" in result.output and emulator.user_id in result.output
    assert "authorize" not in result.output
    assert emulator.calls("GET", "/v1/me") == 1
    revoked = _invoke(emulator, tmp_path, "auth", SPOTIFY_REFRESH_TOKEN="revoked-token")
    assert revoked.exit_code == 3
    assert "invalid_grant" in revoked.output and "hint:" in revoked.output


def test_unreachable_accounts_service_is_named(emulator: Emulator, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = _invoke(emulator, tmp_path, "fetch", SPOTIFY_ACCOUNTS_BASE=dead)
    assert result.exit_code == 8
    assert f"accounts service at {dead}" in result.output
    assert "SPOTIFY_ACCOUNTS_BASE" in result.output
    assert emulator.api_base not in result.output  # the API was never the problem


def test_eta_is_never_shorter_than_the_rate_limit_pause(tmp_path: Path) -> None:
    # rich's ETA column showed "0:00:01" through a 20 s Retry-After pause.
    import io

    from spotify_merger.context import Environment
    from spotify_merger.progress import TaskProgress

    env = Environment.for_tests(tmp_path, {}, verbosity=0)
    env.capture(None, io.StringIO(), force_terminal=True, width=200)
    with TaskProgress(env) as bars:
        bars.add("p1", "Playlist", 1000)
        bars.update("p1", advance=500)
        bars.on_wait("rate limited, resuming in 60 s", 60)
        progress = bars._progress
        assert progress is not None
        eta_column = next(c for c in progress.columns if type(c).__name__ == "EtaColumn")
        assert isinstance(eta_column, ProgressColumn)
        rendered = eta_column.render(progress.tasks[0])
        assert isinstance(rendered, Text)
        text = rendered.plain
    hours, minutes, seconds = (int(x) for x in text.split(":"))
    assert 55 <= hours * 3600 + minutes * 60 + seconds <= 60


def test_rerun_says_features_are_cached_not_fetched_for_zero(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emulator_factory(profile="extended", playlist_sizes=(120, 80))
    first = _invoke(emu, tmp_path, "fetch")
    assert first.exit_code == 0, first.output
    assert "audio features fetched for" in first.output
    again = _invoke(emu, tmp_path, "fetch")
    assert again.exit_code == 0, again.output
    assert "fetched for 0" not in again.output
    assert "audio features: all cached already" in again.output


def test_verbose_log_lines_print_above_the_progress_bars(tmp_path: Path) -> None:
    # -v lines went straight to the real stderr and tore the live bars apart mid-line.
    import io
    import logging
    import sys

    from spotify_merger.context import Environment
    from spotify_merger.progress import TaskProgress

    env = Environment.for_tests(tmp_path, {}, verbosity=0)
    screen = io.StringIO()
    env.capture(None, screen, force_terminal=True, width=200)
    handler = logging.StreamHandler(sys.__stderr__)
    log = logging.getLogger("spotify_merger.http")
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)
    try:
        with TaskProgress(env) as bars:
            bars.add("p1", "Playlist", 100)
            assert handler.stream is not sys.__stderr__
            log.info("GET /v1/me -> 200 (1 ms, 10 B)")
        assert handler.stream is sys.__stderr__
    finally:
        root.removeHandler(handler)
        log.setLevel(old_level)
    assert "GET /v1/me -> 200 (1 ms, 10 B)" in screen.getvalue()
