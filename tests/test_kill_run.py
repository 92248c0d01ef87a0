"""kill -9 at chosen points of a real `spotify-merger run` process, then rerun until it succeeds.

The emulator runs in the test process; a hook on its request log sends SIGKILL to the `run`
subprocess the moment the server has answered the n-th request of a kind: in the fetch (pages,
metadata), at the create, in the middle of the adds (the server applied the batch, the journal
may not know), and during verify reads. However often it is killed, the end state must be the
exact planned master, verified, with the sources untouched item for item.

The runs use a cap of 400 songs per playlist (`part_cap`), so the ~1,000-song master is written
as three parts at once: every kill in the adds lands while several parts are in flight.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from emulator_fixtures import EmulatorFactory
from fixtures import count
from part_cap import cli
from spotify_merger.context import Environment
from spotify_merger.emulator import Emulator
from spotify_merger.masters import verify_last

PAGES = ("GET", "/v1/playlists/{id}/items")
META = ("GET", "/v1/playlists/{id}")
CREATE = ("POST", "/v1/me/playlists")
ADDS = ("POST", "/v1/playlists/{id}/items")
ANY = ("*", "*")  # any Web API request
PHASES: list[str] = []  # the phase each random kill aimed at, for failure messages
RCS: list[int] = []  # each attempt's exit code, likewise
NAME = "Kill Test Master"
CAP = 400  # songs per part: the 600 + 600 libraries below make masters of three parts


class Killer:
    """SIGKILLs the armed process right after the server answered the n-th matching request."""

    def __init__(self, emu: Emulator) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.target: tuple[str, str] | None = None
        self.nth = 0
        self.seen = 0
        self.fired = False
        self.fired_at: list[tuple[str, str]] = []
        emu.traffic.listeners.append(self._check)

    def arm(self, proc: subprocess.Popen[bytes] | None, target: tuple[str, str] | None, nth: int) -> None:
        with self.lock:
            self.proc, self.target, self.nth, self.seen, self.fired = proc, target, nth, 0, False

    def run(self, args: list[str], *, cwd: Path, env: dict[str, str], log: Path, target: tuple[str, str] | None,
            nth: int) -> int:  # fmt: skip
        """Start `args` (its output appended to `log`), armed; its exit code, once it ends or is killed."""
        with open(log, "ab") as out:
            try:
                proc = subprocess.Popen(
                    args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
                )
                self.arm(proc, target, nth)
                return proc.wait(timeout=240)
            finally:
                self.arm(None, None, 0)

    def _check(self, method: str, template: str, status: int) -> None:
        with self.lock:
            if self.proc is None or self.fired or not template.startswith("/v1/"):
                return
            if self.target is not ANY and (method, template) != self.target:
                return
            self.seen += 1
            if self.seen >= self.nth:
                self.fired = True
                self.fired_at.append((method, template))
                os.kill(self.proc.pid, signal.SIGKILL)


def run_once(
    emu: Emulator, killer: Killer, data: Path, cwd: Path, target: tuple[str, str] | None, nth: int
) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "PLAYLIST_"))}
    settings = emu.env()
    for key in ("SPOTIFY_API_BASE", "SPOTIFY_ACCOUNTS_BASE", "SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET",
                "SPOTIFY_REFRESH_TOKEN",
                "PLAYLIST_1_ID", "PLAYLIST_2_ID"):  # fmt: skip
        env[key] = settings[key]
    args = [*cli(CAP), "--data-dir", str(data), "-q", "run", "--yes", "--name", NAME]
    return killer.run(args, cwd=cwd, env=env, log=cwd / "run.log", target=target, nth=nth)


def _phase(data: Path) -> tuple[str, int]:
    import math

    from spotify_merger.store.database import Database

    phase, left = "fetch", 0
    if not (data / "spotify.duckdb").exists():
        return phase, left
    with Database(data / "spotify.duckdb", read_only=True) as db:
        tables = {r[0] for r in db.fetchall("SELECT table_name FROM information_schema.tables")}
        complete = count(db, "SELECT count(*) FROM playlists WHERE complete") if "playlists" in tables else 0
        run = None
        if "write_runs" in tables:
            run = db.fetchone(
                "SELECT run_id, song_count, status FROM write_runs ORDER BY created_at DESC LIMIT 1"
            )
        if complete < 2 and "fetched_pages" in tables:
            # Pages the fetch still has to request (it requests at least these before finishing).
            want = count(
                db,
                "SELECT coalesce(sum(ceil(total / coalesce(page_size, 50))), 0) FROM playlists WHERE total IS NOT NULL",
            )
            have = count(db, "SELECT count(*) FROM fetched_pages")
            left = max(0, int(want) - int(have))
        if complete >= 2 and run is None:
            phase = "create"
        elif run is not None:
            created = count(
                db, "SELECT count(*) FROM write_parts WHERE run_id = ? AND playlist_id IS NOT NULL", [run[0]]
            )
            # Per part: songs still to add, and whether a batch is in doubt (sent before the kill,
            # perhaps applied: then the rerun finds it on the server and sends one add fewer).
            parts = db.fetchall(
                "SELECT p.planned_count, coalesce(sum(b.count) FILTER (WHERE b.state = 'done'), 0),"
                " count(b.batch_index) FILTER (WHERE b.state = 'intended') FROM write_parts p"
                " LEFT JOIN write_batches b USING (run_id, part_index) WHERE p.run_id = ?"
                " GROUP BY p.part_index, p.planned_count",
                [run[0]],
            )
            to_add = sum(math.ceil((planned - done) / 100) for planned, done, _doubt in parts)
            sure = sum(max(0, math.ceil((planned - done) / 100) - doubt) for planned, done, doubt in parts)
            if not created:
                phase = "create"
            elif run[2] == "verified":
                phase = "done"
            elif to_add:
                phase, left = "adds", sure
            else:
                phase, left = "verify", math.ceil(run[1] / 50)
    return phase, left


def next_kill(rng: random.Random, data: Path) -> tuple[tuple[str, str], int]:
    """A kill point inside the phase the run has reached, read from its database between attempts.

    Fetch: the n-th page; create: the staleness check or the create itself; adds: the n-th of the
    batches still to send (the server applies it, the process dies before the journal knows);
    verify: the n-th read back. Every attempt therefore dies, and the kills walk through the run.
    """
    try:
        phase, left = _phase(data)
    except Exception as exc:  # e.g. a WAL a read-only open cannot replay: any early point will do
        PHASES.append(f"unknown ({type(exc).__name__}: {exc})"[:200])
        return (ANY, rng.randint(2, 9))
    PHASES.append(phase)
    if phase == "fetch" and PHASES.count("fetch") > 6:
        # Enough kills in the fetch (whose storage trails its requests): let this attempt finish
        # the fetch and die in the write instead.
        return rng.choice([(CREATE, 1), (META, rng.randint(3, 4)), (ADDS, rng.randint(1, 5))])
    if phase == "fetch":
        # Pages are requested 4 at a time and stored one transaction each, behind the requests:
        # kill late enough that each attempt stores some, early enough that it is still fetching.
        left = left or 24
        return (PAGES, rng.randint(max(1, left // 2), left))
    if phase == "create":
        # The fetch re-checks both sources (2 metadata calls); the 3rd and 4th are the staleness check.
        return rng.choice([(CREATE, 1), (META, rng.randint(3, 4))])
    if phase == "adds" and left > 1:
        # `left` adds are sure to be sent (each part's batch in doubt may already be applied).
        return (ADDS, rng.randint(1, left - 1))
    if phase == "adds":
        return (PAGES, rng.randint(3, 8))  # the read-back of the tail, or verify
    return (PAGES, rng.randint(1, max(1, left - 1)))


def check_end_state(emu: Emulator, data: Path, existing: set[str], before: dict[str, Any]) -> None:
    created = [pid for pid in emu.user_playlist_ids() if pid not in existing]
    with open(data / "exports" / "merge_plan.csv", newline="") as fh:
        planned = [row["uri"] for row in csv.DictReader(fh)]
    parts = -(-len(planned) // CAP)
    names = sorted((emu.playlist(pid)["name"], pid) for pid in created)
    assert [n for n, _ in names] == [f"{NAME} ({i}/{parts})" for i in range(1, parts + 1)], names
    uris: list[str | None] = []
    for _name, pid in names:
        assert emu.playlist(pid)["public"] is False
        uris += emu.playlist_uris(pid)
    assert len(uris) == len(planned) and len(set(uris)) == len(uris), "a song is missing or was added twice"
    assert uris == planned
    env = Environment.for_tests(data, emu.env())
    assert verify_last(env).ok
    assert {pid: (emu.playlist_uris(pid), emu.playlist_snapshot(pid)) for pid in emu.playlist_ids} == before


def kill_and_rerun(
    emu: Emulator,
    tmp_path: Path,
    points: list[tuple[tuple[str, str], int]] | None = None,
    *,
    random_kills: int = 0,
) -> tuple[int, list[tuple[str, str]]]:
    """Run with the given kill points (or `random_kills` phase-aware ones), then until success."""
    killer = Killer(emu)
    data = tmp_path / "data"
    before = {pid: (emu.playlist_uris(pid), emu.playlist_snapshot(pid)) for pid in emu.playlist_ids}
    existing = set(emu.user_playlist_ids())
    rng = random.Random(len(points or []) * 1000 + random_kills)
    PHASES.clear()
    RCS.clear()
    planned = list(points or [])
    kills = 0
    for i in range(len(planned) + random_kills):
        target, nth = planned[i] if i < len(planned) else next_kill(rng, data)
        rc = run_once(emu, killer, data, tmp_path, target, nth)
        kills += rc == -signal.SIGKILL
        RCS.append(rc)
        # 8: Spotify kept failing (a fault storm can exhaust the bounded retries); rerun as a user would.
        assert rc in (0, 8, -signal.SIGKILL), (rc, (tmp_path / "run.log").read_text()[-3000:])
    finishing = 0
    while True:
        finishing += 1
        rc = run_once(emu, killer, data, tmp_path, None, 0)
        if rc == 0:
            break
        assert rc == 8 and finishing < 4, (rc, (tmp_path / "run.log").read_text()[-3000:])
    check_end_state(emu, data, existing, before)
    return kills, killer.fired_at


def test_kill_9_in_fetch_and_write_then_rerun(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    emu = emulator_factory(playlist_sizes=(600, 600))
    # In the fetch, at a create, and after an applied add the journal never heard of, with the
    # three parts' adds in flight at once.
    points = [(PAGES, 9), (CREATE, 1), (ADDS, 4)]
    kills, _ = kill_and_rerun(emu, tmp_path, points)
    assert kills == 3


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_twenty_random_kills(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    emu = emulator_factory(playlist_sizes=(600, 600))
    kills, where = kill_and_rerun(emu, tmp_path, random_kills=20)
    assert kills == 20, f"{kills} {PHASES} {where}"
    assert PAGES in where and (ADDS in where or CREATE in where), (where, PHASES)


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_twenty_random_kills_in_a_fault_storm(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    emu = emulator_factory(playlist_sizes=(600, 600), fault_rate=0.10, rate_429=0.05, lost_response_rate=0.03)
    kills, where = kill_and_rerun(emu, tmp_path, random_kills=20)
    assert kills >= 15, f"{kills} {PHASES} {RCS} {where}"
    assert PAGES in where and (ADDS in where or CREATE in where), (where, PHASES)
