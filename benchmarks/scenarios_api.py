"""Scenarios that talk to the emulator: calls and bytes, latency-bound, rate-bound, re-run, resume.

Ours is the library the commands call (`run_merge`, `fetch_sources`, `execute_plan`) or the
`spotify-merger` process itself; the baseline is `baseline.py`, the seed's strategy, run against the
same emulator in the same process.
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.baseline import seed_client, seed_fetch, seed_write
from benchmarks.harness import PYCACHE, ROOT, Config, KillSwitch, Row, child_env, speedup, test_env, timer

if TYPE_CHECKING:
    from spotify_merger.emulator import Emulator
    from spotify_merger.spotify.client import SpotifyClient

ITEMS = "/v1/playlists/{id}/items"
PAGE_SIZE = 50  # dev-2026 (Development Mode) pages


def _emulator(sizes: tuple[int, int], *, latency_ms: float = 0.0, rate_limit: int | None = None) -> Emulator:
    from spotify_merger.emulator import Emulator, EmulatorConfig

    config = EmulatorConfig(
        profile="dev-2026", seed=42, playlist_sizes=sizes, latency_ms=latency_ms, rate_limit=rate_limit
    )
    return Emulator(config)


def _api_calls(emu: Emulator) -> dict[str, int]:
    """Web API requests by "METHOD route" (the accounts service's token calls left out)."""
    return _by_route(emu.counter)


def _by_route(counter: Counter[tuple[str, str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (method, route, _status), n in counter.items():
        if route.startswith("/v1/"):
            key = f"{method} {route}"
            out[key] = out.get(key, 0) + n
    return dict(sorted(out.items()))


def _pages(sizes: tuple[int, ...], size: int = PAGE_SIZE) -> int:
    return sum(math.ceil(n / size) for n in sizes)


def _phase_calls(db_path: Path) -> dict[str, dict[str, Any]]:
    """The run's own call log (`api_calls`), by phase: calls per endpoint and bytes received."""
    from spotify_merger.store.database import Database

    phases: dict[str, dict[str, Any]] = {}
    with Database(db_path) as db:
        rows = db.fetchall(
            "SELECT phase, method, endpoint, count(*), coalesce(sum(bytes), 0) FROM api_calls "
            "GROUP BY ALL ORDER BY ALL"
        )
    for phase, method, endpoint, n, nbytes in rows:
        entry = phases.setdefault(str(phase), {"calls": {}, "bytes": 0})
        entry["calls"][f"{method} {endpoint}"] = int(n)
        entry["bytes"] += int(nbytes)
    return phases


def _plan_parts(db_path: Path, run_id: str) -> list[tuple[str, list[str]]]:
    from spotify_merger.store.database import Database
    from spotify_merger.write.journal import Journal

    with Database(db_path) as db:
        journal = Journal(db)
        run = journal.get_run(run_id)
        assert run is not None
        return [(p.name, journal.plan_uris(run_id, p.part_index)) for p in run.parts]


def _baseline_write(emu: Emulator, parts: list[tuple[str, list[str]]], workdir: Path) -> tuple[int, float]:
    """The seed's write of the same parts (the seed itself would stop at Spotify's 10,000-item cap)."""
    sp = seed_client(emu.env())
    calls, seconds = 0, 0.0
    for name, uris in parts:
        result = seed_write(sp, f"baseline {name}", uris, workdir)
        calls += result.calls
        seconds += result.seconds
    return calls, seconds


def warm_up(cfg: Config) -> None:
    """One tiny untimed `run` and seed fetch, so no timed region pays for first imports (bytecode
    compiles included, where the environment keeps no cache) or other first-use costs."""
    from spotify_merger.pipeline import RunOptions, run_merge

    with _emulator((120, 120)) as emu:
        run_merge(test_env(cfg.tempdir("warm-up"), emu.env()), RunOptions(yes=True, name="Warm-up"))
        seed_fetch(seed_client(emu.env()), emu.playlist_ids[0], cfg.tempdir("warm-up-seed"))


# -- calls and bytes ---------------------------------------------------------------------------------


def calls(cfg: Config) -> list[Row]:
    """A full `run` (fetch, analysis, report, create, add, verify): calls per endpoint vs the lower bound."""
    from spotify_merger.pipeline import RunOptions, run_merge

    n1, n2 = cfg.calls_sizes
    rows: list[Row] = []
    with _emulator((n1, n2)) as emu:
        data = cfg.tempdir("calls")
        env = test_env(data, emu.env())
        emu.reset_counter()
        with timer() as t_ours:
            outcome = run_merge(env, RunOptions(yes=True, name="Benchmark Master"))
        ours = _api_calls(emu)
        assert outcome.verified and outcome.run_id is not None, "the benchmark run did not verify"
        phases = _phase_calls(env.db_path)
        parts = _plan_parts(env.db_path, outcome.run_id)
        songs = sum(len(uris) for _, uris in parts)

        emu.reset_counter()
        sp = seed_client(emu.env())
        with timer() as t_base_fetch:
            for pid in emu.playlist_ids:
                seed_fetch(sp, pid, cfg.tempdir("seed-fetch"))
        base_fetch_calls = sum(_api_calls(emu).values())
        base_bytes = emu.bytes_sent
        base_write_calls, base_write_s = _baseline_write(emu, parts, cfg.tempdir("seed-write"))
        baseline = _api_calls(emu)

    pages = _pages((n1, n2))
    adds_bound = math.ceil(songs / 100)
    # Each page once, and each part's snapshot once its last add is answered.
    verify_bound = sum(math.ceil(len(uris) / PAGE_SIZE) + 1 for _, uris in parts)
    fetch = phases.get("fetch", {"calls": {}, "bytes": 0})
    fetch_pages = fetch["calls"].get("GET /playlists/{id}/items", 0)
    fetch_total = sum(fetch["calls"].values())
    write_calls = phases.get("write", {"calls": {}})["calls"]
    verify_calls = sum(phases.get("verify", {"calls": {}})["calls"].values())
    adds = ours.get(f"POST {ITEMS}", 0)
    creates = ours.get("POST /v1/me/playlists", 0)
    bound = pages + adds_bound + len(parts)
    total = sum(ours.values())
    # The one /me/playlists scan that keeps a new master from silently taking a name in use.
    name_scan = ours.get("GET /v1/me/playlists", 0)
    # Everything outside the fetch, the adds, the creates and the verify reads (from the emulator's
    # count: the run's own log does not record the sign-in check or the pre-write source re-check).
    other = total - fetch_total - adds - creates - verify_calls
    sizes = f"{n1:,} + {n2:,} entries, {songs:,} songs in {len(parts)} part(s)"
    rows += [
        Row("calls", "fetch: page reads", fetch_pages, pages, ratio=fetch_pages / pages,
            target="= ceil(N1/50) + ceil(N2/50)", ok=fetch_pages == pages, note=sizes),
        Row("calls", "fetch: all calls", fetch_total, pages, ratio=fetch_total / pages,
            target="<= pages + 3", ok=fetch_total <= pages + 3,
            detail={"by_endpoint": fetch["calls"]}),
        Row("calls", "write: adds", adds, adds_bound, ratio=adds / adds_bound, target="= ceil(U/100)",
            ok=adds == adds_bound),
        Row("calls", "write: creates", creates, len(parts), ratio=creates / len(parts), target="= parts",
            ok=creates == len(parts)),
        Row("calls", "write: verify reads", verify_calls, verify_bound, ratio=verify_calls / verify_bound,
            target="= ceil(part/50) + 1 per part", ok=verify_calls == verify_bound),
        Row("calls", "other calls", other, 0, target="informative", ok=None,
            note="sign-in check (/me), and one library scan for the master's name that also re-checks "
                 "the sources' snapshots",
            detail={"write_phase_by_endpoint": write_calls}),
        Row("calls", "whole run vs lower bound", total, bound, ratio=total / bound,
            target="bound + verify reads + name scan + <= 5",
            ok=total <= bound + verify_bound + name_scan + 5 and name_scan <= 1,
            note="bound = ceil(N1/50)+ceil(N2/50)+ceil(U/100)+parts",
            detail={"ours_by_endpoint": ours, "verify_reads": verify_bound}),
        Row("calls", "whole run vs seed baseline", total, sum(baseline.values()),
            ratio=total / max(1, sum(baseline.values())), target="informative",
            note="seed: probe + pages + create + adds, no verify",
            detail={"baseline_by_endpoint": baseline, "baseline_fetch_calls": base_fetch_calls,
                    "baseline_write_calls": base_write_calls}),
        Row("calls", "wall time, whole run vs seed fetch+write", t_ours[0], t_base_fetch[0] + base_write_s,
            unit="s", ratio=speedup(t_base_fetch[0] + base_write_s, t_ours[0]), target="informative",
            note="0 ms latency; ours includes analysis, report and verify"),
        Row("bytes", "bytes per entry fetched", fetch["bytes"] / (n1 + n2), base_bytes / (n1 + n2),
            unit="B/entry", ratio=speedup(base_bytes / (n1 + n2), fetch["bytes"] / (n1 + n2)),
            target="< 1,024 B (fields filter)", ok=fetch["bytes"] / (n1 + n2) < 1024,
            note="ratio = how many times fewer bytes"),
    ]  # fmt: skip
    return rows


# -- latency-bound -----------------------------------------------------------------------------------


class _WriteClock:
    """The real client, noting when the first create starts and the last add ends (the write phase)."""

    def __init__(self, client: SpotifyClient) -> None:
        self._client = client
        self.last_add_end = 0.0

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - every other call goes to the real client
        return getattr(self._client, name)

    def add_items(self, playlist_id: str, uris: list[str], position: int | None = None) -> str:
        snapshot = self._client.add_items(playlist_id, uris, position)
        self.last_add_end = time.perf_counter()
        return str(snapshot)


def latency(cfg: Config) -> list[Row]:
    """Fetch and write at `latency_ms` per request: ours against the sequential seed."""
    from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
    from spotify_merger.fetch import fetch_sources
    from spotify_merger.spotify.client import SpotifyClient
    from spotify_merger.store.database import Database
    from spotify_merger.write.execute import execute_plan

    sizes = cfg.latency_sizes
    lat = f"{cfg.latency_ms:g} ms latency, {sizes[0]:,} + {sizes[1]:,} entries"
    with _emulator(sizes, latency_ms=cfg.latency_ms) as emu:
        sp = seed_client(emu.env())
        with timer() as t_base:
            for pid in emu.playlist_ids:
                seed_fetch(sp, pid, cfg.tempdir("seed-fetch"))

        fetched: dict[int, float] = {}
        ours_env = None
        for concurrency in (0, 4):  # 0: the default (at most 8 in flight, fewer on a fast link)
            env = test_env(cfg.tempdir(f"latency-c{concurrency}"), emu.env())
            with timer() as t:
                if concurrency:
                    fetch_sources(env, None, concurrency=concurrency)
                else:
                    fetch_sources(env, None)
            fetched[concurrency] = t[0]
            ours_env = ours_env or env
        assert ours_env is not None

        with Database(ours_env.db_path) as db, SpotifyClient.connect(ours_env) as client:
            with SpotifyAnalyzer(db, list(emu.playlist_ids), MergeOptions()) as analyzer:
                plan = analyzer.plan()
            clock = _WriteClock(client)
            started = time.perf_counter()
            outcome = execute_plan(ours_env, clock, db, plan, master_name="Latency Master", yes=True)
            ended = time.perf_counter()
        assert outcome.verified and outcome.run_id is not None
        ours_write = clock.last_add_end - started
        ours_verify = ended - clock.last_add_end
        parts = _plan_parts(ours_env.db_path, outcome.run_id)
        base_write_calls, base_write = _baseline_write(emu, parts, cfg.tempdir("seed-write"))

    songs = sum(len(u) for _, u in parts)
    return [
        Row("latency", "fetch wall time (defaults)", fetched[0], t_base[0], unit="s",
            ratio=speedup(t_base[0], fetched[0]), target=">= 5x faster than the seed",
            ok=(speedup(t_base[0], fetched[0]) or 0) >= 5, note=lat),
        Row("latency", "fetch wall time (--concurrency 4)", fetched[4], t_base[0], unit="s",
            ratio=speedup(t_base[0], fetched[4]), target="informative"),
        Row("latency", "write wall time (create + adds)", ours_write, base_write, unit="s",
            ratio=speedup(base_write, ours_write), target="faster: no fixed sleeps",
            ok=ours_write < base_write, note=f"{songs:,} songs; seed sleeps 0.1 s per batch",
            detail={"baseline_calls": base_write_calls}),
        Row("latency", "verify wall time (read back)", ours_verify, None, unit="s", target="informative",
            note="the seed has no verify"),
    ]  # fmt: skip


# -- rate-bound --------------------------------------------------------------------------------------


@contextlib.contextmanager
def rate_window(seconds: float) -> Iterator[None]:
    """Shrink the rolling rate-limit window of the emulator and of our pacer alike (quick runs only)."""
    from spotify_merger.emulator import _server as server
    from spotify_merger.spotify._pacer import Pacer

    saved = (server.WINDOW_S, Pacer.window)
    server.WINDOW_S, Pacer.window = seconds, seconds
    try:
        yield
    finally:
        server.WINDOW_S, Pacer.window = saved


def rate(cfg: Config) -> list[Row]:
    """Fetch under an emulated rate limit: wall time against calls / allowed rate, and 429s received."""
    from spotify_merger.fetch import fetch_sources

    sizes = cfg.rate_sizes
    note = f"{cfg.rate_limit} requests / {cfg.rate_window:g} s, {sizes[0]:,} + {sizes[1]:,} entries"
    if cfg.rate_window != 30:
        note += " (time-compressed window)"
    with rate_window(cfg.rate_window), _emulator(sizes, rate_limit=cfg.rate_limit) as emu:
        env = test_env(cfg.tempdir("rate"), emu.env())
        refusals: list[float] = []

        def note_429(method: str, template: str, status: int) -> None:
            if status == 429:
                refusals.append(time.perf_counter())

        emu.traffic.listeners.append(note_429)
        emu.reset_counter()
        started = time.perf_counter()
        with timer() as t:
            result = fetch_sources(env, None)
        counter = emu.counter
    accepted = sum(n for (_m, r, s), n in counter.items() if r.startswith("/v1/") and s != 429)
    refused = sum(n for (_m, r, s), n in counter.items() if r.startswith("/v1/") and s == 429)
    ideal = accepted / (cfg.rate_limit / cfg.rate_window)
    # The window starts empty, so `rate_limit` calls may go at once: the least time possible.
    floor = max(0.0, accepted - cfg.rate_limit) / (cfg.rate_limit / cfg.rate_window)
    return [
        Row("rate", "fetch wall time vs calls / rate", t[0], ideal, unit="s", ratio=t[0] / ideal,
            target="<= 1.2x", ok=t[0] / ideal <= 1.2, note=note,
            detail={"accepted_calls": accepted, "least_possible_s": floor,
                    "429_at_s": [round(x - started, 2) for x in refusals],
                    "entries": sum(p.entries for p in result.playlists)}),
        Row("rate", "429 responses received", refused, None, target="<= 3", ok=refused <= 3),
        *_rate_whole_run(cfg, note),
    ]  # fmt: skip


def _rate_whole_run(cfg: Config, note: str) -> list[Row]:
    """The whole `run --yes` (fetch, analysis, report, write, full verify) under the same limit."""
    from spotify_merger.pipeline import RunOptions, run_merge

    with rate_window(cfg.rate_window), _emulator(cfg.rate_sizes, rate_limit=cfg.rate_limit) as emu:
        env = test_env(cfg.tempdir("rate-run"), emu.env())
        emu.reset_counter()
        with timer() as t:
            outcome = run_merge(env, RunOptions(yes=True, name="Rate Master"))
        counter = emu.counter
    assert outcome.verified, "the rate-limited run did not verify"
    accepted = sum(n for (_m, r, s), n in counter.items() if r.startswith("/v1/") and s != 429)
    refused = sum(n for (_m, r, s), n in counter.items() if r.startswith("/v1/") and s == 429)
    ideal = accepted / (cfg.rate_limit / cfg.rate_window)
    return [
        Row("rate", "whole `run --yes` wall time vs calls / rate", t[0], ideal, unit="s", ratio=t[0] / ideal,
            target="<= 1.2x", ok=t[0] / ideal <= 1.2, note=note + "; verify reads counted",
            detail={"accepted_calls": accepted, "429_responses": refused, "by_endpoint": _by_route(counter)}),
    ]  # fmt: skip


# -- re-run and resume -------------------------------------------------------------------------------


def rerun(cfg: Config) -> list[Row]:
    """Calls of an unchanged re-run: `fetch` again, and `run` again after a verified write."""
    from spotify_merger.fetch import fetch_sources
    from spotify_merger.pipeline import RunOptions, run_merge

    sizes = cfg.resume_sizes
    with _emulator(sizes) as emu:
        env = test_env(cfg.tempdir("rerun"), emu.env())
        run_merge(env, RunOptions(yes=True, name="Rerun Master"))
        emu.reset_counter()
        fetch_sources(env, None)
        refetch = sum(_api_calls(emu).values())
        emu.reset_counter()
        outcome = run_merge(env, RunOptions(yes=True, name="Rerun Master"))
        rerun_calls = _api_calls(emu)
        assert outcome.status == "already-complete", outcome.status

        emu.reset_counter()
        sp = seed_client(emu.env())
        seed_dir = cfg.tempdir("seed-rerun")
        for pid in emu.playlist_ids:
            seed_fetch(sp, pid, seed_dir)
        emu.reset_counter()
        for pid in emu.playlist_ids:
            seed_fetch(sp, pid, seed_dir, resume=True)
        seed_refetch = sum(_api_calls(emu).values())
    return [
        Row("rerun", "unchanged `fetch` re-run: calls", refetch, seed_refetch, ratio=refetch / 2,
            target="<= 1 per playlist", ok=refetch <= 2,
            note="ratio = calls per playlist; seed: its limit=1 probe, blind to changes"),
        Row("rerun", "unchanged `run` re-run: calls", sum(rerun_calls.values()), None,
            ratio=sum(rerun_calls.values()) / 2, target="informative",
            note="sign-in check + one per playlist; nothing written", detail={"by_endpoint": rerun_calls}),
    ]  # fmt: skip


def _kill_at(
    emu: Emulator, cmd: list[str], env: dict[str, str], nth_page: int, cwd: Path, log_dir: Path | None = None
) -> int:
    """Start `cmd`, SIGKILL it when the emulator has served its `nth_page`-th page; returns pages served.

    Its output goes to `process.log` in `log_dir` (default `cwd`): a scratch dir, never the repository."""
    switch = KillSwitch(emu)
    emu.reset_counter()
    log_path = (log_dir or cwd) / "process.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        switch.arm(proc, lambda m, r, s: m == "GET" and r == ITEMS and s == 200, nth_page)
        rc = proc.wait(timeout=600)
        switch.disarm()
    if not switch.fired or rc != -9:
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{cmd[2:5]} was not killed as planned (exit {rc}): {tail}")
    return emu.calls("GET", ITEMS, 200)


def resume(cfg: Config) -> list[Row]:
    """kill -9 of a `spotify-merger fetch` process at 50% of its pages, then a rerun: calls vs missing pages."""
    from spotify_merger.fetch import fetch_sources
    from spotify_merger.store.database import Database

    sizes = cfg.resume_sizes
    pages = _pages(sizes)
    half = pages // 2
    pycache = PYCACHE
    rows: list[Row] = []
    with _emulator(sizes) as emu:
        data = cfg.tempdir("resume")
        cwd = cfg.tempdir("resume-cwd")
        cmd = [sys.executable, "-m", "spotify_merger", "--data-dir", str(data), "-q", "fetch"]
        served = _kill_at(emu, cmd, child_env(emu.env(), pycache), half, cwd)
        with Database(data / "spotify.duckdb") as db:
            stored = db.fetchall("SELECT count(*) FROM fetched_pages")[0][0]
        missing = pages - stored
        env = test_env(data, emu.env())
        emu.reset_counter()
        result = fetch_sources(env, None)
        resumed = _api_calls(emu)
        resumed_pages = resumed.get(f"GET {ITEMS}", 0)
        with Database(data / "spotify.duckdb") as db:
            entries, distinct = db.fetchall(
                "SELECT count(*), count(DISTINCT (playlist_id, position)) FROM entries"
            )[0]
        exact = entries == distinct == sum(sizes) and all(p.entries == p.total for p in result.playlists)

        # The seed, killed at the same page: it resumes from its last 500-entry checkpoint.
        seed_dir = cfg.tempdir("seed-resume")
        seed_cmd = [sys.executable, "-m", "benchmarks.baseline", "fetch", str(seed_dir), *emu.playlist_ids]
        seed_served = _kill_at(
            emu, seed_cmd, child_env(emu.env(), pycache), half, ROOT, log_dir=cfg.tempdir("seed-resume-log")
        )
        emu.reset_counter()
        sp = seed_client(emu.env())
        note = ""
        for pid in emu.playlist_ids:
            try:
                seed_fetch(sp, pid, seed_dir, resume=True)
            except ValueError:  # the kill truncated its in-place checkpoint: the seed cannot resume
                note = "a checkpoint was truncated by the kill: the seed crashes; read again from 0"
                (seed_dir / f"playlist_{pid}.json").unlink()
                seed_fetch(sp, pid, seed_dir)
        seed_pages = emu.calls("GET", ITEMS, 200) - len(emu.playlist_ids)  # minus its limit=1 probes
        # The killed seed had probed the first playlist, and the second too if it got that far.
        seed_killed_pages = seed_served - (1 if seed_served <= 1 + _pages(sizes[:1]) else 2)

    size_note = f"killed after {served} of {pages} pages; {stored} stored"
    rows += [
        Row("resume", "pages read by the rerun vs pages missing", resumed_pages, missing,
            ratio=resumed_pages / max(1, missing), target="= missing pages", ok=resumed_pages == missing,
            note=size_note, detail={"by_endpoint": resumed, "entries_exact_once": exact}),
        Row("resume", "all calls of the rerun", sum(resumed.values()), missing,
            ratio=sum(resumed.values()) / max(1, missing), target="<= missing + 1 per playlist",
            ok=sum(resumed.values()) <= missing + 2 and exact),
        Row("resume", "pages read twice (lost by the kill)", served + resumed_pages - pages,
            seed_killed_pages + seed_pages - pages, target="informative",
            note=note or "ours: pages in flight; seed: since its last 500-entry checkpoint",
            detail={"seed_pages_before_kill": seed_killed_pages, "seed_pages_after": seed_pages}),
    ]  # fmt: skip
    return rows
