"""The sync soak: seeded random histories of source edits, hand edits and syncs under faults.

A scenario starts from a verified `run`, then goes through 2-4 rounds. Each round:

- edits the sources (append new songs, new entries of songs already there, copies of a song
  under another id; remove entries; replace entries keeping the length);
- edits the master by hand (add a new song, a second copy of an entry, a song the sources then
  gain under another id; remove entries; move entries);
- runs the real `spotify-merger sync --yes [--prune]` process under lost responses, 5xx,
  spurious 429s and a short-lived token, killed with SIGKILL at 0-2 random request counts, with
  (sometimes) one more source edit while it reads (a stop with exit 11 is then expected);
- reruns until it exits 0, then compares the master, entry by entry and part by part, with the
  `MasterModel` oracle (`tests/sync_oracle.py`) fed the same hand edits and a plan computed
  independently from the final sources, and checks that no source was touched by sync.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from spotify_merger.emulator import Emulator
from sync_world import World

from .soak_driver import KillSwitch, _error_and_hint, quiet_resets, run_armed

DOCUMENTED_STOPS = set(range(2, 15))  # ExitCode USAGE..BUSY; 1 would be an internal error
MAX_ATTEMPTS = 8
PAGE_ROUTES = ("/v1/playlists/{id}/items", "/v1/playlists/{id}/tracks")


@dataclass
class SourceEdit:
    playlist: int
    kind: str  # append-new | append-existing | append-same-song | remove | replace
    count: int


@dataclass
class HandEdit:
    part: int  # index into the parts, modulo their number
    kind: str  # add-new | add-copy | add-then-source | remove | reorder
    a: int
    b: int


@dataclass
class Round:
    source_edits: list[SourceEdit]
    hand_edits: list[HandEdit]
    prune: bool
    kills: list[int]  # kill when this many Web API requests of that attempt were answered
    mid_edit: SourceEdit | None  # applied during the sync's reads, before any write
    mid_at: int  # ... once this many pages were read


@dataclass
class SyncScenario:
    index: int
    seed: int
    profile: str
    sizes: tuple[int, int]
    keep_weights: bool
    cap: int | None
    fault_rate: float
    lost_response_rate: float
    rate_429: float
    token_ttl: float
    rounds: list[Round] = field(default_factory=list)


def make_sync_scenario(base_seed: int, index: int, *, small: bool = False) -> SyncScenario:
    rng = random.Random(f"sync-soak:{base_seed}:{index}")
    low, high = (250, 300) if small else (300, 500)
    s = SyncScenario(
        index=index,
        seed=rng.randint(1, 10_000),
        profile="extended" if rng.random() < 0.25 and not small else "dev-2026",
        sizes=(rng.randint(low, high), rng.randint(low, high)),
        keep_weights=rng.random() < 0.3,
        cap=rng.choice((None, None, 150, 250)),
        fault_rate=rng.choice((0.02, 0.05, 0.08)),
        lost_response_rate=rng.choice((0.03, 0.08, 0.15)),
        rate_429=rng.choice((0.0, 0.02)),
        token_ttl=float(rng.randint(3, 8)),
    )
    for _ in range(rng.randint(1, 2) if small else rng.randint(2, 4)):
        sources = [
            SourceEdit(
                rng.randint(0, 1),
                rng.choice(
                    ("append-new", "append-new", "append-existing", "append-same-song", "remove", "replace")
                ),
                rng.randint(1, 60),
            )
            for _ in range(rng.randint(1, 3))
        ]
        hand = [
            HandEdit(
                rng.randint(0, 3),
                rng.choice(("add-new", "add-copy", "add-then-source", "remove", "reorder")),
                rng.randint(0, 10_000),
                rng.randint(0, 10_000),
            )
            for _ in range(rng.randint(0, 4))
        ]
        mid = SourceEdit(
            rng.randint(0, 1), rng.choice(("append-new", "remove", "replace")), rng.randint(1, 4)
        )
        s.rounds.append(
            Round(
                sources,
                hand,
                prune=rng.random() < 0.5,
                kills=sorted(rng.randint(2, 40) for _ in range(rng.randint(0, 2))),
                mid_edit=mid if rng.random() < 0.3 else None,
                mid_at=rng.randint(1, 4),
            )
        )
    return s


# -- edits -----------------------------------------------------------------------------------------


def apply_source_edit(world: World, edit: SourceEdit, rng: random.Random) -> dict[str, Any]:
    emu = world.emu
    pid = emu.playlist_ids[edit.playlist]
    entries = emu.playlist_uris(pid)
    playable = [u for u in entries if u and not u.startswith("spotify:local:")]
    if edit.kind == "append-new":
        adds = world.fresh_uris(edit.count)
    elif edit.kind == "append-existing":
        adds = [rng.choice(playable) for _ in range(edit.count)]
    elif edit.kind == "append-same-song":
        adds = []
        for uri in rng.sample(playable, min(len(playable), edit.count)):
            copies = world.fresh_uris(1, same_song_as=uri)
            adds += copies
    else:
        adds = []
    removes: list[int] = []
    if edit.kind in ("remove", "replace") and entries:
        removes = rng.sample(range(len(entries)), min(len(entries) - 1, edit.count))
    if edit.kind == "replace":
        adds = world.fresh_uris(len(removes)) or [rng.choice(playable) for _ in removes]
    emu.edit_playlist(pid, add_uris=adds, remove_positions=removes)
    return {"playlist": edit.playlist, "kind": edit.kind, "added": len(adds), "removed": len(removes)}


def apply_hand_edit(world: World, edit: HandEdit, rng: random.Random) -> dict[str, Any] | None:
    part = edit.part % len(world.parts)
    items = world.uris(world.parts[part])
    n = len(items)
    if edit.kind == "add-new":
        uris = world.fresh_uris(1)
        if not uris:
            return None
        world.hand_add(part, uris, edit.a % (n + 1))
    elif edit.kind == "add-copy" and n:
        uri = items[edit.b % n]
        if uri is None or uri.startswith("spotify:local:"):
            return None
        world.hand_add(part, [uri], edit.a % (n + 1))
    elif edit.kind == "add-then-source":
        # A song added by hand first, then gained by a source under another id: never added twice.
        uris = world.fresh_uris(1)
        if not uris:
            return None
        copy = world.fresh_uris(1, same_song_as=uris[0])
        world.hand_add(part, uris)
        world.emu.edit_playlist(world.emu.playlist_ids[edit.a % 2], add_uris=copy or uris)
    elif edit.kind == "remove" and n > 1:
        world.hand_remove(part, sorted(rng.sample(range(n), min(n - 1, 1 + edit.a % 3))))
    elif edit.kind == "reorder" and n > 1:
        world.hand_reorder(part, edit.a % n, edit.b % (n + 1))
    else:
        return None
    return {"part": part, "kind": edit.kind}


# -- running sync under faults ----------------------------------------------------------------------


class SyncHooks(KillSwitch):
    """Kills the armed process at a request count; applies a mid-sync source edit during the reads."""

    def __init__(self, emu: Emulator) -> None:
        super().__init__()
        self.emu = emu
        self.writes = 0  # writes of this round (any attempt): a mid edit only comes before the first
        self.pages = 0
        self.mid: Any = None  # callable applying the edit, armed for this round
        self.mid_at = 0
        self.mid_done: dict[str, Any] | None = None
        emu.traffic.listeners.append(self._on_answer)
        quiet_resets(emu)

    def _on_answer(self, method: str, template: str, status: int) -> None:
        if not template.startswith("/v1/"):
            return
        with self.lock:
            if self.proc is None:
                return
            if method in ("POST", "PUT", "DELETE"):
                self.writes += 1
            if method == "GET" and template in PAGE_ROUTES and status == 200:
                self.pages += 1
                if (
                    self.mid is not None
                    and self.mid_done is None
                    and not self.writes
                    and self.pages >= self.mid_at
                ):
                    self.mid_done = self.mid()
            self._count_answer()


def run_sync(world: World, hooks: SyncHooks, prune: bool, kill_after: int | None, attempt: int,
             pycache: Path) -> tuple[int, bool, str]:  # fmt: skip
    args = ["--data-dir", str(world.env.data_dir), "-q", "sync", "--yes", *(["--prune"] if prune else [])]
    return run_armed(world.emu, hooks, args, world.root, pycache, kill_after, f"sync{attempt}")


@dataclass
class SyncOutcome:
    index: int
    scenario: dict[str, Any]
    rounds: list[dict[str, Any]] = field(default_factory=list)
    kills: int = 0
    attempts: int = 0
    stops: list[str] = field(default_factory=list)
    lost_responses: int = 0
    responses_5xx: int = 0
    responses_429: int = 0
    ok: bool = False
    failure: str | None = None
    seconds: float = 0.0


def drive_sync(scenario: SyncScenario, workdir: Path, pycache: Path) -> SyncOutcome:
    """Run one scenario to its end; never raises for a scenario failure (it is in the outcome)."""
    from spotify_merger.emulator import Emulator, EmulatorConfig
    from sync_world import World

    started = time.perf_counter()
    out = SyncOutcome(scenario.index, asdict(scenario))
    config = EmulatorConfig(profile=scenario.profile, seed=scenario.seed, playlist_sizes=scenario.sizes)
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(scenario.seed)
    try:
        with Emulator(config) as emu:
            world = World(
                emu, workdir, keep_weights=scenario.keep_weights, cap=scenario.cap, name="Soak Master"
            )
            hooks = SyncHooks(emu)
            for number, rnd in enumerate(scenario.rounds, start=1):
                problem = _round(world, hooks, scenario, rnd, rng, out, pycache)
                if problem:
                    out.failure = f"round {number}: {problem}"
                    return out
            counter = emu.counter
            out.responses_5xx = sum(
                n for (_m, r, s), n in counter.items() if r.startswith("/v1/") and s >= 500
            )
            out.responses_429 = sum(
                n for (_m, r, s), n in counter.items() if r.startswith("/v1/") and s == 429
            )
            out.ok = True
            return out
    finally:
        out.seconds = round(time.perf_counter() - started, 2)


def _round(world: World, hooks: SyncHooks, scenario: SyncScenario, rnd: Round, rng: random.Random,
           out: SyncOutcome, pycache: Path) -> str | None:  # fmt: skip
    emu = world.emu
    made = set(emu.all_playlist_ids())
    report: dict[str, Any] = {
        "sources": [apply_source_edit(world, e, rng) for e in rnd.source_edits],
        "hand": [h for h in (apply_hand_edit(world, e, rng) for e in rnd.hand_edits) if h],
        "prune": rnd.prune,
    }
    hooks.writes, hooks.pages, hooks.mid_done, hooks.mid_at = 0, 0, None, rnd.mid_at
    hooks.mid = (lambda: apply_source_edit(world, rnd.mid_edit, rng)) if rnd.mid_edit else None
    emu.configure(fault_rate=scenario.fault_rate, lost_response_rate=scenario.lost_response_rate,
                  rate_429=scenario.rate_429, token_ttl=scenario.token_ttl)  # fmt: skip
    lost_before = emu.calls(status=502)
    kills = list(rnd.kills)
    faulty = True
    for attempt in range(1, MAX_ATTEMPTS + 1):
        out.attempts += 1
        rc, killed, stderr = run_sync(world, hooks, rnd.prune, kills.pop(0) if kills and faulty else None,
                                      out.attempts, pycache)  # fmt: skip
        if killed:
            out.kills += 1
            continue
        if rc == 0:
            break
        error, hint = _error_and_hint(stderr)
        if rc not in DOCUMENTED_STOPS or not error or not hint:
            return f"attempt {attempt}: exit {rc} is not a clean stop: {stderr[-1500:]}"
        out.stops.append(f"exit {rc}: {error}"[:160])
        if rc != 11:  # a source changed mid-sync is expected to stop it; anything else: faults off
            faulty = False
            emu.configure(fault_rate=0.0, lost_response_rate=0.0, rate_429=0.0, token_ttl=3600.0)
    else:
        return f"no success after {MAX_ATTEMPTS} attempts"
    emu.configure(fault_rate=0.0, lost_response_rate=0.0, rate_429=0.0, token_ttl=3600.0)
    hooks.mid = None
    out.lost_responses += emu.calls(status=502) - lost_before
    report["mid_edit"] = hooks.mid_done
    summary = json.loads((world.env.data_dir / "exports" / "sync_summary.json").read_text())
    world.parts = [str(p["id"]) for p in summary["parts"]]
    sources_now = {pid: emu.playlist_uris(pid) for pid in emu.playlist_ids}
    world.expect(prune=rnd.prune)
    try:
        world.check()
    except AssertionError as exc:
        return f"the master is not the oracle's: {exc}"
    if {pid: emu.playlist_uris(pid) for pid in emu.playlist_ids} != sources_now:
        return "a source changed during the check"
    extra = set(emu.all_playlist_ids()) - made - set(world.parts)
    if extra:
        return f"playlists created that are not master parts: {sorted(extra)}"
    if any(emu.playlist(p)["public"] for p in world.parts):
        return "a master part is public"
    report["parts"] = [len(world.uris(p)) for p in world.parts]
    report["added"], report["pruned"] = summary["added"], summary["pruned"]
    out.rounds.append(report)
    return None
