"""Realism knobs (rate limit, quota, faults, lost responses, latency), counters, persistence and the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from emulator_fixtures import EmulatorFactory, EmulatorSettings, bearer_session
from spotify_merger.emulator import Emulator, EmulatorConfig

ITEMS = "/v1/playlists/{id}/items"


def test_rolling_window_rate_limit_with_retry_after(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(rate_limit=10)
    s = bearer_session(emu)
    url = f"{emu.api_base}/playlists/{emu.playlist_ids[0]}/items"
    statuses = [s.get(url).status_code for _ in range(10)]
    assert statuses == [200] * 10
    r = s.get(url)
    assert r.status_code == 429 and r.json()["error"]["status"] == 429
    first_wait = int(r.headers["Retry-After"])
    assert 1 <= first_wait <= 30
    # Hammering on during the 429 makes the wait longer, modestly.
    waits = [int(s.get(url).headers["Retry-After"]) for _ in range(8)]
    assert waits[-1] > first_wait and waits[-1] <= first_wait + 8
    assert emu.calls("GET", ITEMS, 429) == 9 and emu.calls("GET", ITEMS, 200) == 10
    # Accounts requests are never rate limited.
    token = requests.post(
        f"{emu.accounts_base}/api/token",
        auth=(emu.client_id, emu.client_secret),
        timeout=5,
        data={"grant_type": "refresh_token", "refresh_token": emu.refresh_token},
    )
    assert token.status_code == 200
    emu.configure(rate_limit=None)
    assert s.get(url).status_code == 200


def test_retry_after_cap_and_forced_value(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(rate_limit=1, retry_after_max=2)
    s = bearer_session(emu)
    s.get(f"{emu.api_base}/me")
    assert s.get(f"{emu.api_base}/me").headers["Retry-After"] == "2"
    emu.configure(rate_limit=None, rate_429=1.0, force_retry_after=3700)
    r = s.get(f"{emu.api_base}/me")
    assert r.status_code == 429 and r.headers["Retry-After"] == "3700"


def test_quota_exceeded(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(quota=3)
    s = bearer_session(emu)
    assert [s.get(f"{emu.api_base}/me").status_code for _ in range(3)] == [200] * 3
    r = s.get(f"{emu.api_base}/me")
    assert r.status_code == 429
    assert r.json() == {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}}


def test_faults_are_not_applied_and_lost_responses_are(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(fault_rate=1.0)
    s = bearer_session(emu)
    r = s.post(f"{emu.api_base}/me/playlists", json={"name": "x"})
    assert r.status_code in (500, 502, 503) and r.json()["error"]["status"] == r.status_code
    before = emu.user_playlist_ids()
    emu.configure(fault_rate=0.0, lost_response_rate=1.0)
    r = s.post(f"{emu.api_base}/me/playlists", json={"name": "applied"})
    assert r.status_code == 502
    created = [p for p in emu.user_playlist_ids() if p not in before]
    assert len(created) == 1 and emu.playlist(created[0])["name"] == "applied"
    uri = next(u for u in emu.playlist_uris(emu.playlist_ids[0]) if u and "track" in u)
    assert s.post(f"{emu.api_base}/playlists/{created[0]}/items", json={"uris": [uri]}).status_code == 502
    assert emu.playlist_uris(created[0]) == [uri]
    assert s.get(f"{emu.api_base}/me").status_code == 200  # reads are never "lost"


def test_fault_storm_is_seeded(emulator_factory: EmulatorFactory) -> None:
    def run() -> list[int]:
        emu = emulator_factory(fault_rate=0.3, rate_429=0.2, seed=7)
        s = bearer_session(emu)
        return [s.get(f"{emu.api_base}/me").status_code for _ in range(40)]

    a, b = run(), run()
    assert a == b and {200, 429} <= set(a) and set(a) & {500, 502, 503}


def test_latency_and_concurrency(emulator_factory: EmulatorFactory) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emu = emulator_factory(latency_ms=100)
    token = emu.issue_token()

    def get(_: int) -> int:
        return requests.get(
            f"{emu.api_base}/me", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(get, range(8))) == [200] * 8
    elapsed = time.perf_counter() - t0
    # The latency is applied; how much concurrency buys is measured in benchmarks, not asserted here.
    assert elapsed >= 0.1


def test_counter_and_bytes(emulator: Emulator) -> None:
    emu = emulator
    s = bearer_session(emu)
    s.get(f"{emu.api_base}/playlists/{emu.playlist_ids[0]}/items", params={"limit": 50})
    s.get(f"{emu.api_base}/nowhere")
    assert emu.counter[("GET", ITEMS, 200)] == 1
    assert emu.calls(status=404) == 1 and emu.bytes_sent > 10_000
    emu.reset_counter()
    assert emu.calls() == 0 and emu.bytes_sent == 0


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "emu-state.json"
    cfg: EmulatorSettings = {"playlist_sizes": (200, 100), "state_file": str(state)}
    with Emulator(EmulatorConfig(**cfg)) as emu:
        s = bearer_session(emu)
        token = s.headers["Authorization"]
        pid = s.post(f"{emu.api_base}/me/playlists", json={"name": "kept", "public": False}).json()["id"]
        uris = [u for u in emu.playlist_uris(emu.playlist_ids[0]) if u and "track" in u][:5]
        s.post(f"{emu.api_base}/playlists/{pid}/items", json={"uris": uris})
        snap = emu.playlist_snapshot(pid)
        emu.edit_playlist(emu.playlist_ids[1], remove_positions=[0])
        p2 = emu.playlist_uris(emu.playlist_ids[1])
    assert state.exists() and not list(tmp_path.glob("*.tmp"))
    with Emulator(EmulatorConfig(**cfg)) as again:
        assert again.playlist_uris(pid) == uris and again.playlist_snapshot(pid) == snap
        assert again.playlist_uris(again.playlist_ids[1]) == p2
        assert pid in again.user_playlist_ids()
        r = requests.get(f"{again.api_base}/playlists/{pid}", headers={"Authorization": token}, timeout=5)
        assert r.status_code == 200 and r.json()["name"] == "kept"  # the old access token still works
        other = again.state.create_playlist(again.user_id, "next", False, False, "")
        assert other.id != pid


def test_cli_prints_env_and_stops_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from spotify_merger.cli import main; main()",
            "emulator",
            "--port",
            "0",
            "--sizes",
            "100,50",
            "--print-env",
            "--state",
            str(tmp_path / "s.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(8)]
        env = dict(line.split("=", 1) for line in lines)
        assert set(env) >= {
            "SPOTIFY_API_BASE",
            "SPOTIFY_ACCOUNTS_BASE",
            "SPOTIFY_CLIENT_ID",
            "SPOTIFY_CLIENT_SECRET",
            "SPOTIFY_REFRESH_TOKEN",
            "PLAYLIST_1_ID",
            "PLAYLIST_2_ID",
        }
        r = requests.post(
            f"{env['SPOTIFY_ACCOUNTS_BASE']}/api/token",
            timeout=5,
            auth=(env["SPOTIFY_CLIENT_ID"], env["SPOTIFY_CLIENT_SECRET"]),
            data={"grant_type": "refresh_token", "refresh_token": env["SPOTIFY_REFRESH_TOKEN"]},
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        page = requests.get(
            f"{env['SPOTIFY_API_BASE']}/playlists/{env['PLAYLIST_1_ID']}/items", headers=headers, timeout=5
        ).json()
        assert page["total"] == 100
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Press Ctrl-C" in err and "emulator stopped" in err and "Traceback" not in err
