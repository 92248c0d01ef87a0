"""Kill -9 (and Ctrl-C) a real `fetch` process at random points; a rerun must leave exact entries.

The emulator runs in this process; the CLI runs as a subprocess pointed at it through the
SPOTIFY_* environment variables, so the kill lands wherever the process happens to be: in a
request, between pages, or inside a DuckDB commit.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from emulator_fixtures import EmulatorFactory
from fixtures import count
from spotify_merger.context import SETTINGS
from spotify_merger.emulator import Emulator
from spotify_merger.store.database import Database

PAGES = "/v1/playlists/{id}/items"


def start_fetch(emu: Emulator, data: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(emu.env())
    return subprocess.Popen(
        [sys.executable, "-m", "spotify_merger", "--data-dir", str(data), "-q", "fetch", "--no-features"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_pages(emu: Emulator, proc: subprocess.Popen[bytes], n: int) -> None:
    while emu.calls("GET", PAGES) < n and proc.poll() is None:
        time.sleep(0.005)  # polling the emulator's counter, not a timing assumption


def stored(data: Path, pid: str) -> list[str | None]:
    with Database(data / "spotify.duckdb") as db:
        rows = db.fetchall("SELECT position, uri FROM entries WHERE playlist_id = ? ORDER BY position", [pid])
    assert [r[0] for r in rows] == list(range(len(rows)))
    return [r[1] for r in rows]


def test_kill_9_at_random_points_then_rerun(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    emu = emulator_factory(playlist_sizes=(1200, 800), latency_ms=20)
    data = tmp_path / "data"
    total_pages = 24 + 16
    rng = random.Random(20261125)
    for point in sorted(rng.sample(range(2, total_pages), 3)):
        before = emu.calls("GET", PAGES)
        proc = start_fetch(emu, data)
        wait_for_pages(emu, proc, before + rng.randint(1, 6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL, f"finished before the kill at page {point}"
    with Database(data / "spotify.duckdb") as db:
        kept = count(db, "SELECT count(*) FROM fetched_pages")
        entries = count(db, "SELECT count(*) FROM entries")
    assert entries == kept * 50  # every stored page is whole
    emu.reset_counter()
    final = start_fetch(emu, data)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()
    assert emu.calls("GET", PAGES) == total_pages - kept  # only the missing pages
    for pid in emu.playlist_ids:
        assert stored(data, pid) == emu.playlist_uris(pid)


def test_ctrl_c_exits_130_and_keeps_progress(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    emu = emulator_factory(playlist_sizes=(1200, 800), latency_ms=20)
    data = tmp_path / "data"
    proc = start_fetch(emu, data)
    wait_for_pages(emu, proc, 8)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert b"interrupted" in err
    with Database(data / "spotify.duckdb") as db:
        kept = count(db, "SELECT count(*) FROM fetched_pages")
    assert kept >= 1
    emu.reset_counter()
    final = start_fetch(emu, data)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()
    assert emu.calls("GET", PAGES) == 40 - kept
    for pid in emu.playlist_ids:
        assert stored(data, pid) == emu.playlist_uris(pid)
