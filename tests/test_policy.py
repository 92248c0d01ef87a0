"""The call policy against the emulator over real HTTP: 429s, quota, 5xx, lost responses, 401s.

Waits run on a virtual clock (the policy's injected `sleep`/`clock`), so a Retry-After of 7 s costs
no real time while the requests themselves are real.
"""

from __future__ import annotations

import http.server
import math
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from emulator_fixtures import EmulatorFactory
from fixtures import EnvFor, VirtualTime, virtual_pacer
from spotify_merger.context import Environment
from spotify_merger.emulator import Emulator
from spotify_merger.errors import (
    AuthError,
    ExitCode,
    LostResponseError,
    NotFoundError,
    QuotaExceededError,
    RateLimitedError,
    ServerError,
    UsageError,
)
from spotify_merger.redaction import redact
from spotify_merger.spotify._pacer import Pacer
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.policy import CallPolicy

ITEMS = "/v1/playlists/{id}/items"
META = "/v1/playlists/{id}"


def connect(env: Environment, vt: VirtualTime, waits: list[tuple[str, float]] | None = None) -> SpotifyClient:
    on_wait = (lambda msg, secs: waits.append((msg, secs))) if waits is not None else None
    return SpotifyClient.connect(env, on_wait=on_wait, sleep=vt.sleep, clock=vt.clock)


def test_retry_after_is_honoured_visibly(
    emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    emulator.configure(rate_429=1.0, force_retry_after=7)
    virtual_time.on_sleep = lambda s: emulator.configure(rate_429=0.0)
    waits: list[tuple[str, float]] = []
    with connect(env_for(emulator), virtual_time, waits) as client:
        meta = client.playlist_meta(emulator.playlist_ids[0])
        assert meta.total == 300
        assert client.policy.counts["GET /playlists/{id}"] == 2
        assert client.policy.statuses[429] == 1
    assert emulator.calls("GET", META, 429) == 1
    assert emulator.calls("GET", META, 200) == 1
    assert waits == [("rate limited, resuming in 7 s", 7.0)]
    assert virtual_time.sleeps == [pytest.approx(7.0)]


def test_retry_after_beyond_max_wait_stops_at_once(
    emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    emulator.configure(rate_429=1.0, force_retry_after=3700)
    client = connect(env_for(emulator, max_wait=120), virtual_time)
    with client, pytest.raises(RateLimitedError) as info:
        client.playlist_meta(emulator.playlist_ids[0])
    err = info.value
    assert err.exit_code == ExitCode.RATE_LIMITED
    assert err.retry_after == 3700
    assert "1 h 1 min" in err.message and "--max-wait 120" in err.message
    assert re.search(r"after \d\d:\d\d", err.hint)
    assert virtual_time.sleeps == []  # no hang: not a single wait
    assert emulator.calls(status=429) == 1


def test_quota_exceeded_is_not_ordinary_rate_limiting(
    emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    emulator.configure(quota=1)
    with connect(env_for(emulator), virtual_time) as client:
        client.playlist_meta(emulator.playlist_ids[0])
        with pytest.raises(QuotaExceededError) as info:
            client.playlist_meta(emulator.playlist_ids[1])
    assert info.value.exit_code == ExitCode.QUOTA_EXCEEDED
    assert "QUOTA_EXCEEDED" in info.value.message
    assert virtual_time.sleeps == []


def test_5xx_storm_gives_up_after_bounded_retries(
    emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    emulator.configure(fault_rate=1.0)
    with connect(env_for(emulator), virtual_time) as client, pytest.raises(ServerError) as info:
        client.items_page(emulator.playlist_ids[0], 0)
    assert info.value.exit_code == ExitCode.SERVER
    attempts = CallPolicy.max_attempts
    assert sum(emulator.calls("GET", ITEMS, s) for s in (500, 502, 503)) == attempts
    assert len(virtual_time.sleeps) == attempts - 1
    assert all(0 <= s <= CallPolicy.backoff_cap for s in virtual_time.sleeps)
    assert f"{attempts} attempts" in info.value.message


def test_sporadic_5xx_are_retried_transparently(
    emulator_factory: EmulatorFactory, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    emu = emulator_factory(fault_rate=0.5, seed=3)
    pid = emu.playlist_ids[0]
    with connect(env_for(emu), virtual_time) as client:
        uris = []
        for offset in range(0, 300, 50):
            uris += [e["item"]["uri"] if e["item"] else None for e in client.items_page(pid, offset).items]
    assert uris == emu.playlist_uris(pid)
    assert sum(emu.calls("GET", ITEMS, s) for s in (500, 502, 503)) > 0


def test_connection_refused_is_a_server_error(
    emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    env = env_for(emulator, settings={"SPOTIFY_API_BASE": f"http://127.0.0.1:{dead_port}/v1"})
    with connect(env, virtual_time) as client, pytest.raises(ServerError) as info:
        client.playlist_meta(emulator.playlist_ids[0])
    assert "cannot reach Spotify" in info.value.message
    assert len(virtual_time.sleeps) == CallPolicy.max_attempts - 1


class _GarbageOnce(http.server.BaseHTTPRequestHandler):
    """Answers the first `bad` GETs with a 200 that is not JSON, then a small valid playlist object."""

    bad = 1
    served = 0

    def do_GET(self) -> None:
        type(self).served += 1
        body = (
            b"<html>oops"
            if type(self).served <= type(self).bad
            else b'{"id": "x", "name": "ok", "items": {"total": 3}}'
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def garbage_server() -> Iterator[tuple[str, type[_GarbageOnce]]]:
    handler = type("Handler", (_GarbageOnce,), {"served": 0, "bad": 1})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    server.shutdown()
    server.server_close()


def test_malformed_json_is_retried_then_bounded(
    emulator: Emulator,
    env_for: EnvFor,
    virtual_time: VirtualTime,
    garbage_server: tuple[str, type[_GarbageOnce]],
) -> None:
    base, handler = garbage_server
    env = env_for(emulator, settings={"SPOTIFY_API_BASE": base})
    with connect(env, virtual_time) as client:
        assert client.playlist_meta("x" * 22).name == "ok"  # one bad answer, then a good one
        assert handler.served == 2
        handler.bad = 100
        with pytest.raises(ServerError) as info:
            client.playlist_meta("x" * 22)
    assert "malformed" in info.value.message


def test_lost_response_on_post_is_not_retried(
    emulator_factory: EmulatorFactory, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    emu = emulator_factory(lost_response_rate=1.0)
    pid = emu.playlist_ids[0]
    before = emu.playlist_uris(pid)
    uri = next(u for u in before if u and u.startswith("spotify:track:"))
    with connect(env_for(emu), virtual_time) as client, pytest.raises(LostResponseError) as info:
        client.add_items(pid, [uri])
    assert isinstance(info.value, ServerError)
    assert emu.calls("POST", ITEMS) == 1  # sent once, never replayed
    assert emu.playlist_uris(pid) == [*before, uri]  # applied exactly once
    assert virtual_time.sleeps == []


def test_429_on_post_is_retried_because_nothing_was_applied(
    emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    pid = emulator.playlist_ids[0]
    before = emulator.playlist_uris(pid)
    uri = next(u for u in before if u and u.startswith("spotify:track:"))
    emulator.configure(rate_429=1.0, force_retry_after=2)
    virtual_time.on_sleep = lambda s: emulator.configure(rate_429=0.0)
    with connect(env_for(emulator), virtual_time) as client:
        assert client.add_items(pid, [uri])
    assert emulator.calls("POST", ITEMS, 429) == 1 and emulator.calls("POST", ITEMS, 201) == 1
    assert emulator.playlist_uris(pid) == [*before, uri]


def test_401_refreshes_once_transparently(
    emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    env = env_for(emulator)
    with connect(env, virtual_time) as client:
        client.playlist_meta(emulator.playlist_ids[0])
        # The server forgets the access token (as after a revocation or server-side expiry).
        emulator.state.access.clear()
        assert client.playlist_meta(emulator.playlist_ids[1]).total == 300
    assert emulator.calls("GET", META, 401) == 1
    assert emulator.calls("POST", "/api/token", 200) == 2


def test_short_lived_tokens_refresh_transparently(
    emulator_factory: EmulatorFactory, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    emu = emulator_factory(token_ttl=1)
    pid = emu.playlist_ids[0]
    with connect(env_for(emu), virtual_time) as client:
        for offset in range(0, 300, 50):
            client.items_page(pid, offset)
    assert emu.calls(status=401) == 0
    assert emu.calls("POST", "/api/token", 200) >= 6


def test_revoked_refresh_token_says_rerun_auth(
    emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    emulator.revoke_refresh_token()
    with connect(env_for(emulator), virtual_time) as client, pytest.raises(AuthError) as info:
        client.playlist_meta(emulator.playlist_ids[0])
    assert info.value.exit_code == ExitCode.AUTH.value == 3
    assert "invalid_grant" in info.value.message
    assert "re-run `spotify-merger auth`" in info.value.hint


def test_invalid_client_id_is_an_auth_error(
    emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime
) -> None:
    env = env_for(emulator, settings={"SPOTIFY_CLIENT_ID": "0" * 32})
    with connect(env, virtual_time) as client, pytest.raises(AuthError) as info:
        client.playlist_meta(emulator.playlist_ids[0])
    assert "invalid_client" in info.value.message
    assert "SPOTIFY_CLIENT_ID" in info.value.hint


def test_unknown_and_invalid_ids(emulator: Emulator, env_for: EnvFor, virtual_time: VirtualTime) -> None:
    with connect(env_for(emulator), virtual_time) as client:
        with pytest.raises(NotFoundError):
            client.playlist_meta("0" * 22)
        with pytest.raises(UsageError):
            client.playlist_meta("not-an-id")


def test_pacer_learns_the_rate_from_the_first_429() -> None:
    now, pacer, start = virtual_pacer()
    for _ in range(100):  # a burst of 100 accepted calls, unpaced
        start()
        now[0] += 0.01
    started = start()
    assert pacer.rate_limited(started, retry_after=29.0)
    assert pacer.interval == pytest.approx(30 / 100 * Pacer.margin)
    # A second 429 from a call already in flight does not compound the back-off.
    assert not pacer.rate_limited(started, retry_after=29.0)
    assert pacer.interval == pytest.approx(30 / 100 * Pacer.margin)
    t = start()
    assert t >= started + 29.0
    assert start() - t == pytest.approx(pacer.interval)


def test_pacer_keeps_in_flight_requests_to_latency_times_target_rate() -> None:
    pacer = Pacer(time.monotonic, time.sleep)
    assert pacer.in_flight_limit() == Pacer.initial_in_flight  # nothing measured yet
    for _ in range(30):
        pacer.acquire()
        pacer.release(0.100)  # a 100 ms link: about 6-7 requests in flight sustain the target
    assert pacer.in_flight_limit() == math.ceil(0.100 * Pacer.target_rate)
    for _ in range(60):
        pacer.acquire()
        pacer.release(0.002)  # a fast link: two in flight are plenty
    assert pacer.in_flight_limit() == Pacer.min_in_flight
    # The limit holds: a third request waits until one of two in flight is released.
    pacer.acquire()
    pacer.acquire()
    entered = threading.Event()

    def third() -> None:
        pacer.acquire()
        entered.set()
        pacer.release(0.002)

    worker = threading.Thread(target=third)
    worker.start()
    assert not entered.wait(0.3)
    pacer.release(0.002)
    assert entered.wait(5)
    worker.join()
    pacer.release(0.002)
    assert pacer.in_flight == 0


def test_redact_hides_tokens() -> None:
    text = (
        'Authorization: Bearer BQabc.def-ghi {"access_token": "BQxyz", "refresh_token":"AQ123"} code=AQzz&x=1'
    )
    out = redact(text)
    for secret in ("BQabc.def-ghi", "BQxyz", "AQ123", "AQzz"):
        assert secret not in out
    assert "x=1" in out


def test_pacer_never_speeds_up_past_the_rate_the_server_accepted() -> None:
    now, pacer, start = virtual_pacer()
    for _ in range(50):
        start()
        now[0] += 0.01
    pacer.rate_limited(start(), retry_after=28.0)
    learned = pacer.interval
    assert learned == pytest.approx(30 / 50 * Pacer.margin)
    for _ in range(400):  # minutes without a 429: speed-ups stop at the learned rate
        start()
    assert pacer.interval == pytest.approx(learned)


def test_a_429_after_a_handful_of_calls_is_honoured_but_not_learned_from() -> None:
    _, pacer, start = virtual_pacer()
    for _ in range(3):
        started = start()
    assert pacer.rate_limited(started, retry_after=2.0)
    assert pacer.interval == 0.0  # three calls say nothing about the limit
    resumed = start()
    assert resumed >= started + 2.0  # but the pause is honoured
