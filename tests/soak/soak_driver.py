"""The soak's machinery: random scenarios, a driver that kills and reruns `spotify-merger run`, the checks.

A scenario combines kill -9 points, spurious 429s, 5xx faults, lost POST responses, a token that
expires every few seconds, and one edit of a source playlist in the middle of its fetch. The
emulator lives in the test process (it outlives every killed client); the client is the real
`spotify-merger run --yes` process, configured through the environment as a user would.

About half the scenarios (all of the short soak's) cap playlists at a few hundred songs
(`part_cap`), so their master is written as several parts at once and every kill, fault and lost
answer can land while parts are in flight.

What counts as success (see `check_end_state`): the run ends verified with exactly the master a
clean run would write from the FINAL state of the sources, computed independently by a fresh
fetch and `SpotifyAnalyzer` in another data dir, and also exactly the plan the run froze in its
journal; the sources hold exactly what the scenario's own edit left; nothing else was created. A
non-zero exit that is not a kill must be a clean stop: a documented exit code, an "error:" line
and a "hint:" line, after which one rerun with the faults turned off must succeed.

Why the final state, not the journal alone: the journal only proves the run wrote what it
planned. Comparing with a plan computed from the sources as they finally are also proves the
plan was not built from a half-old, half-new read of an edited playlist.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spotify_merger.emulator import Emulator

if TYPE_CHECKING:
    from spotify_merger.emulator import Emulator
    from spotify_merger.emulator._routing import ApiError

from part_cap import cli

# Spurious 429s are injected only once the client has made this many requests in the last 30 s.
# Why: the client's pacer learns "window / calls accepted so far" from any 429, so one 429 on the
# 3rd request paces the rest of the run at ~30 s a call (reported to the fetch owner); a 429 after
# 60 calls costs at most ~0.5 s a call. SOAK_429_GATE=0 injects them anywhere, as the emulator would.
GATE_429 = os.environ.get("SOAK_429_GATE")
PAGE_ROUTES = ("/v1/playlists/{id}/items", "/v1/playlists/{id}/tracks")
DOCUMENTED_STOPS = set(range(2, 14))  # ExitCode USAGE..NOTHING_TO_DO; 1 would be an internal error
MAX_ATTEMPTS = 8
SUMMARY_PATH = Path(__file__).with_name("soak_summary.json")


# -- scenarios -----------------------------------------------------------------------------------


@dataclass
class Edit:
    playlist: int  # 0 or 1: which source
    at_page: int  # applied when the k-th page read of the scenario has been answered
    kind: str  # append | remove | replace (same length: only the snapshot tells)
    count: int


@dataclass
class Scenario:
    index: int
    seed: int
    profile: str
    sizes: tuple[int, int]
    rate_429: float
    fault_rate: float
    lost_response_rate: float
    token_ttl: float
    kills: list[int]  # each: kill when this many Web API requests of that attempt were answered
    edit: Edit
    gate_429: int = 60  # see GATE_429
    part_cap: int | None = None  # songs per master part (None: Spotify's 10,000, so one part)

    @property
    def page_limit(self) -> int:
        return 100 if self.profile == "extended" else 50

    def pages(self) -> int:
        return sum(math.ceil(n / self.page_limit) for n in self.sizes)

    def estimated_calls(self) -> int:
        """About how many Web API requests a clean run makes (fetch, write, verify)."""
        songs = sum(self.sizes) * 5 // 6
        return 4 + self.pages() + 3 + math.ceil(songs / 100) + math.ceil(songs / self.page_limit)


def make_scenario(base_seed: int, index: int, *, small: bool = False) -> Scenario:
    rng = random.Random(f"soak:{base_seed}:{index}")
    low, high = (300, 360) if small else (300, 800)
    sizes = (rng.randint(low, high), rng.randint(low, high))
    profile = "extended" if rng.random() < 0.2 and not small else "dev-2026"
    scenario = Scenario(
        index=index,
        seed=rng.randint(1, 10_000),
        profile=profile,
        sizes=sizes,
        rate_429=0.03 if small else rng.choice((0.02, 0.03, 0.05)),
        fault_rate=rng.choice((0.02, 0.05, 0.10)),
        lost_response_rate=rng.choice((0.03, 0.05, 0.10, 0.20)),
        token_ttl=float(rng.randint(2, 6)),
        kills=[],
        edit=Edit(0, 1, "append", 1),
        gate_429=int(GATE_429) if GATE_429 is not None else 30 if small else 60,
    )
    calls = scenario.estimated_calls()
    scenario.kills = sorted(rng.randint(2, calls) for _ in range(rng.randint(1, 1 if small else 3)))
    scenario.edit = Edit(
        playlist=rng.randint(0, 1),
        at_page=rng.randint(1, max(1, scenario.pages() - 2)),
        kind=rng.choice(("append", "remove", "replace")),
        count=rng.randint(1, 5),
    )
    scenario.part_cap = 200 if small else rng.choice((None, 200, 300))
    return scenario


# -- the emulator hooks ----------------------------------------------------------------------------


class KillSwitch:
    """Kills the process it is armed with once it has seen `kill_after` answered requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.kill_after: int | None = None
        self.answered = 0
        self.fired = False

    def arm(self, proc: subprocess.Popen[bytes] | None, kill_after: int | None) -> None:
        with self.lock:
            self.proc, self.kill_after, self.answered, self.fired = proc, kill_after, 0, False

    def _count_answer(self) -> None:
        """One more answered request (call with `lock` held); the kill when it is the armed one."""
        if self.proc is None or self.kill_after is None or self.fired:
            return
        self.answered += 1
        if self.answered >= self.kill_after:
            self.fired = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)


class Hooks(KillSwitch):
    """Listens to the emulator's traffic: kills the armed process at a request count, applies the
    scenario's edit at its page read, injects the spurious 429s and reads the count of lost responses
    (applied POSTs answered 502)."""

    def __init__(self, emu: Emulator, edit: Edit, rate_429: float, gate_429: int, seed: int) -> None:
        super().__init__()
        self.emu = emu
        self.edit = edit
        self.rate_429 = rate_429
        self.gate_429 = gate_429
        self.rng = random.Random(f"429:{seed}")
        self.recent: deque[float] = deque()
        self.pages_read = 0
        self.writes_seen = 0
        self.edit_applied: dict[str, Any] | None = None
        # What the sources must hold at the end: as seeded, then as the scenario's own edit left them.
        self.expected_sources = self._sources()
        emu.traffic.listeners.append(self._on_answer)
        emu.traffic.extra_refusal = self._spurious_429
        quiet_resets(emu)

    @property
    def lost(self) -> int:
        """Applied changes whose answer the emulator dropped (answered 502)."""
        return self.emu.traffic.lost_responses

    def _spurious_429(self) -> ApiError | None:
        from spotify_merger.emulator._routing import ApiError

        now = time.monotonic()
        with self.lock:
            self.recent.append(now)
            while self.recent and self.recent[0] < now - 30.0:
                self.recent.popleft()
            if not self.rate_429 or len(self.recent) < self.gate_429 or self.rng.random() >= self.rate_429:
                return None
        return ApiError(429, "API rate limit exceeded", headers={"Retry-After": "1"})

    def _sources(self) -> dict[str, Any]:
        return {
            pid: (self.emu.playlist_uris(pid), self.emu.playlist_snapshot(pid))
            for pid in self.emu.playlist_ids
        }

    def _on_answer(self, method: str, template: str, status: int) -> None:
        if not template.startswith("/v1/"):
            return
        with self.lock:
            if method in ("POST", "PUT", "DELETE"):
                self.writes_seen += 1
            if method == "GET" and template in PAGE_ROUTES and status == 200 and not self.writes_seen:
                self.pages_read += 1
                if self.edit_applied is None and self.pages_read >= self.edit.at_page:
                    self.edit_applied = self._apply_edit()
            self._count_answer()

    def _apply_edit(self) -> dict[str, Any]:
        emu, edit = self.emu, self.edit
        rng = random.Random(f"edit:{edit.playlist}:{edit.at_page}:{edit.count}")
        pid = emu.playlist_ids[edit.playlist]
        other = emu.playlist_ids[1 - edit.playlist]
        pool = [u for u in emu.playlist_uris(other) if u and not u.startswith("spotify:local:")]
        size = len(emu.playlist_uris(pid))
        adds = rng.sample(pool, edit.count) if edit.kind in ("append", "replace") else []
        removes = rng.sample(range(size), edit.count) if edit.kind in ("remove", "replace") else []
        emu.edit_playlist(pid, add_uris=adds, remove_positions=removes)
        self.expected_sources = self._sources()
        return {"playlist": pid, "kind": edit.kind, "added": len(adds), "removed": len(removes),
                "at_page": self.pages_read}  # fmt: skip


# -- running the client ------------------------------------------------------------------------------


@dataclass
class Attempt:
    exit_code: int
    killed: bool
    seconds: float
    faults_on: bool
    error: str | None = None
    hint: str | None = None


@dataclass
class Outcome:
    index: int
    scenario: dict[str, Any]
    attempts: list[Attempt] = field(default_factory=list)
    kills: int = 0
    responses_429: int = 0
    responses_5xx: int = 0
    lost_responses: int = 0
    token_refreshes: int = 0
    reruns: int = 0
    edit: dict[str, Any] | None = None
    outcome: str = "FAILED"  # "a" completed | "b" clean stop, then completed | FAILED
    stop: str | None = None
    failure: str | None = None
    songs: int = 0
    parts: int = 0  # playlists the master was written as
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome in ("a", "b")


def run_client(emu: Emulator, hooks: Hooks, data: Path, workdir: Path, pycache: Path, kill_after: int | None,
               attempt: int, cap: int | None = None) -> tuple[int, bool, str]:  # fmt: skip
    args = ["--data-dir", str(data), "run", "--yes"]
    return run_armed(emu, hooks, args, workdir, pycache, kill_after, f"attempt{attempt}", cap)


def run_armed(emu: Emulator, hooks: KillSwitch, args: list[str], workdir: Path, pycache: Path, kill_after: int | None,
              name: str, cap: int | None = None) -> tuple[int, bool, str]:  # fmt: skip
    """Run `spotify-merger ARGS` as a user would (configured through the environment), with `hooks`
    armed to kill it after `kill_after` answered requests; (exit code, killed, stderr). `cap`: songs
    per master part (see `part_cap`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "PLAYLIST_"))}
    env.update(emu.env())
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # cache bytecode outside the tree: starts stay fast
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    out_path = workdir / f"{name}.out"
    err_path = workdir / f"{name}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [*cli(cap), *args],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
        )  # fmt: skip
        hooks.arm(proc, kill_after)
        try:
            rc = proc.wait(timeout=300)
        finally:
            killed = hooks.fired
            hooks.arm(None, None)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return rc, killed and rc == -signal.SIGKILL, err_path.read_text(errors="replace")


def quiet_resets(emu: Emulator) -> None:
    """A killed client resets its sockets: the emulator's server would print each traceback."""
    server = emu._server
    assert server is not None
    loud = server.handle_error

    def handle_error(request: object, address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            loud(request, address)

    server.handle_error = handle_error  # type: ignore[method-assign,assignment]


def _error_and_hint(stderr: str) -> tuple[str | None, str | None]:
    error = next((ln.strip() for ln in stderr.splitlines() if ln.startswith("error:")), None)
    hint = next((ln.strip() for ln in stderr.splitlines() if ln.startswith("hint:")), None)
    return error, hint


def faults_off(emu: Emulator, hooks: Hooks) -> None:
    emu.configure(rate_429=0.0, fault_rate=0.0, lost_response_rate=0.0, token_ttl=3600.0)
    hooks.rate_429 = 0.0


def drive(scenario: Scenario, workdir: Path, pycache: Path) -> Outcome:
    """Run one scenario to its end and check the end state; never raises for a scenario failure."""
    from spotify_merger.emulator import Emulator, EmulatorConfig

    started = time.perf_counter()
    result = Outcome(scenario.index, asdict(scenario))
    config = EmulatorConfig(
        profile=scenario.profile, seed=scenario.seed, playlist_sizes=scenario.sizes,
        rate_429=0.0, fault_rate=scenario.fault_rate,
        lost_response_rate=scenario.lost_response_rate, token_ttl=scenario.token_ttl,
    )  # fmt: skip
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    with Emulator(config) as emu:
        hooks = Hooks(emu, scenario.edit, scenario.rate_429, scenario.gate_429, scenario.seed)
        initial = set(emu.user_playlist_ids())
        kills = list(scenario.kills)
        faulty = True
        try:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                kill_after = kills.pop(0) if kills and faulty else None
                t0 = time.perf_counter()
                rc, killed, stderr = run_client(
                    emu, hooks, data, workdir, pycache, kill_after, attempt, scenario.part_cap
                )
                record = Attempt(rc, killed, round(time.perf_counter() - t0, 2), faulty)
                result.attempts.append(record)
                if killed:
                    result.kills += 1
                    continue
                if rc == 0:
                    break
                record.error, record.hint = _error_and_hint(stderr)
                if rc not in DOCUMENTED_STOPS or not record.error or not record.hint:
                    result.failure = f"attempt {attempt}: exit {rc} is not a clean stop: {stderr[-1500:]}"
                    return result
                if not faulty:
                    result.failure = (
                        f"attempt {attempt}: the rerun with faults off stopped again: {record.error}"
                    )
                    return result
                result.stop = f"exit {rc}: {record.error}"
                faulty = False
                faults_off(emu, hooks)
            else:
                result.failure = f"no success after {MAX_ATTEMPTS} attempts"
                return result
            result.reruns = len(result.attempts) - 1
            counter = emu.counter
            result.responses_429 = sum(
                n for (_m, r, s), n in counter.items() if r.startswith("/v1/") and s == 429
            )
            result.responses_5xx = sum(
                n for (_m, r, s), n in counter.items() if r.startswith("/v1/") and s >= 500
            )
            result.token_refreshes = sum(
                n for (m, r, s), n in counter.items() if r == "/api/token" and s == 200
            )
            result.lost_responses = hooks.lost
            result.edit = hooks.edit_applied
            faults_off(emu, hooks)
            problem = check_end_state(emu, data, workdir, initial, hooks, result)
            if problem:
                result.failure = problem
                return result
            result.outcome = "b" if result.stop else "a"
            return result
        finally:
            result.seconds = round(time.perf_counter() - started, 2)


# -- the end state -----------------------------------------------------------------------------------


def independent_plan(emu: Emulator, workdir: Path) -> list[str]:
    """The plan a clean run would make from the sources as they are now: a fresh fetch into its own
    data dir, then the analyzer with the `run` command's default options."""
    from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
    from spotify_merger.context import Environment
    from spotify_merger.fetch import fetch_sources
    from spotify_merger.store.database import Database

    env = Environment.for_tests(workdir / "independent", emu.env())
    env.ensure_dirs()
    with Database(env.db_path) as db:
        fetch_sources(env, list(emu.playlist_ids), db=db)
        with SpotifyAnalyzer(db, list(emu.playlist_ids), MergeOptions()) as analyzer:
            return list(analyzer.plan().uris)


def check_end_state(emu: Emulator, data: Path, workdir: Path, initial: set[str], hooks: Hooks,
                    result: Outcome) -> str | None:  # fmt: skip
    """None if the end state is exactly right, else what is wrong."""
    from spotify_merger.store.database import Database
    from spotify_merger.write.journal import Journal, RunStatus

    summary_path = data / "exports" / "run_summary.json"
    if not summary_path.exists():
        return "the run exited 0 without writing exports/run_summary.json"
    summary = json.loads(summary_path.read_text())
    if summary.get("verified") is not True:
        return f"run_summary.json says verified={summary.get('verified')!r}"
    created = [pid for pid in emu.user_playlist_ids() if pid not in initial]
    parts = [p["id"] for p in summary.get("playlists", [])]
    if sorted(created) != sorted(parts):
        names = [emu.playlist(pid)["name"] for pid in created]
        return f"playlists created {names} are not exactly the run's parts {parts}"
    with Database(data / "spotify.duckdb") as db:
        journal = Journal(db)
        run = journal.latest_run(statuses=(RunStatus.VERIFIED,))
        if run is None:
            return "the journal holds no verified run"
        frozen = {p.playlist_id: journal.plan_uris(run.run_id, p.part_index) for p in run.parts}
    written: list[str | None] = []
    for pid in parts:
        uris = emu.playlist_uris(pid)
        if uris != frozen.get(pid):
            return (
                f"master {pid} holds {len(uris)} entries, not its frozen plan of {len(frozen.get(pid) or [])}"
            )
        if emu.playlist(pid)["public"]:
            return f"master {pid} is public"
        written += uris
    result.songs = len(written)
    result.parts = len(parts)
    if len(set(written)) != len(written):
        return "a song appears twice in the master"
    for pid in emu.playlist_ids:
        now = (emu.playlist_uris(pid), emu.playlist_snapshot(pid))
        if now != hooks.expected_sources[pid]:
            return f"source {pid} was modified by the run"
    expected = independent_plan(emu, workdir)
    if written != expected:
        missing = len(set(expected) - set(written))
        extra = len(set(written) - set(expected))
        return (f"the master ({len(written)} songs) differs from the plan of the final sources "
                f"({len(expected)} songs): {missing} missing, {extra} extra")  # fmt: skip
    return None


# -- the summary -------------------------------------------------------------------------------------


class SoakSummary:
    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        self.path: Path | None = None

    def add(self, outcome: Outcome, path: Path) -> None:
        self.outcomes.append(outcome)
        self.path = path
        self.write()

    def document(self) -> dict[str, Any]:
        o = self.outcomes
        return {
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": "uv run pytest -m soak tests/soak",
            "scenarios": len(o),
            "completed_directly": sum(1 for x in o if x.outcome == "a"),
            "clean_stop_then_completed": sum(1 for x in o if x.outcome == "b"),
            "failed": sum(1 for x in o if not x.ok),
            "kills": sum(x.kills for x in o),
            "responses_429": sum(x.responses_429 for x in o),
            "responses_5xx": sum(x.responses_5xx for x in o),
            "lost_responses": sum(x.lost_responses for x in o),
            "token_refreshes": sum(x.token_refreshes for x in o),
            "reruns": sum(x.reruns for x in o),
            "source_edits": sum(1 for x in o if x.edit),
            "masters_in_several_parts": sum(1 for x in o if x.parts > 1),
            "stops": sorted({x.stop.split(":")[0] for x in o if x.stop}),
            "spurious_429_after_requests_in_window": sorted({x.scenario["gate_429"] for x in o}),
            "seconds": round(sum(x.seconds for x in o), 1),
            "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform},
            "per_scenario": [asdict(x) for x in o],
        }

    def write(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(self.document(), indent=2, default=str) + "\n")
        os.replace(tmp, self.path)

    def lines(self) -> list[str]:
        d = self.document()
        out = [
            f"soak: {d['scenarios']} scenarios: {d['completed_directly']} completed (a), "
            f"{d['clean_stop_then_completed']} clean stop then completed (b), {d['failed']} failed",
            f"      {d['kills']} kill -9, {d['responses_429']} x 429, {d['responses_5xx']} x 5xx, "
            f"{d['lost_responses']} lost responses, {d['token_refreshes']} token refreshes, "
            f"{d['source_edits']} source edits, {d['reruns']} reruns, "
            f"{d['masters_in_several_parts']} masters in several parts, {d['seconds']:.0f} s",
            f"  {'#':>3} {'profile':8} {'sizes':>9} {'kills':>5} {'429':>4} {'5xx':>4} {'lost':>4} "
            f"{'refr':>4} {'edit':8} {'runs':>4} {'songs':>5} {'parts':>5}  outcome",
        ]
        for x in self.outcomes:
            s = x.scenario
            edit = (x.edit or {}).get("kind", "-")
            verdict = {"a": "a: exact master", "b": f"b: {x.stop}"}.get(x.outcome, f"FAILED: {x.failure}")
            out.append(
                f"  {x.index:>3} {s['profile']:8} {s['sizes'][0]:>4}+{s['sizes'][1]:<4} {x.kills:>5} "
                f"{x.responses_429:>4} {x.responses_5xx:>4} {x.lost_responses:>4} {x.token_refreshes:>4} "
                f"{edit:8} {len(x.attempts):>4} {x.songs:>5} {x.parts:>5}  {verdict[:110]}"
            )
        if self.path is not None:
            out.append(f"summary written to {self.path}")
        return out
