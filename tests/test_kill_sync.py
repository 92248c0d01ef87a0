"""kill -9 of a real `spotify-merger sync --yes --prune` process at chosen points, then reruns until it
succeeds: the master must end exactly as the oracle says (each song once, hand copies kept, the
user's removals respected), however the kills fall between a request and its journal record.

Points: in the read of a changed source, right after a delete was applied (the copies that stay
are not back yet), after a restore or an add the journal never heard of, during the read-back.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from pathlib import Path

import pytest

from emulator_fixtures import EmulatorFactory
from sync_world import World
from test_kill_run import Killer

PAGES = ("GET", "/v1/playlists/{id}/items")
ADDS = ("POST", "/v1/playlists/{id}/items")
DELETES = ("DELETE", "/v1/playlists/{id}/items")
LISTING = ("GET", "/v1/me/playlists")
ANY = ("*", "*")


def sync_once(world: World, killer: Killer, target: tuple[str, str] | None, nth: int) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "PLAYLIST_"))}
    env.update(world.emu.env())
    args = [sys.executable, "-m", "spotify_merger", "--data-dir", str(world.env.data_dir), "-q", "sync", "--yes",
            "--prune"]  # fmt: skip
    return killer.run(args, cwd=world.root, env=env, log=world.root / "sync.log", target=target, nth=nth)


def prepare(world: World) -> None:
    """A delta with every kind of write: two add batches, deletes, a hand copy to put back, hand edits."""
    emu = world.emu
    p1, p2 = emu.playlist_ids
    master = world.uris(world.parts[0])
    only_p1 = [u for u in master if u in emu.playlist_uris(p1) and u not in emu.playlist_uris(p2)]
    leaving = only_p1[:6]
    world.hand_add(0, [leaving[0], leaving[1]], 4)  # hand copies of songs that leave: kept by the prune
    world.hand_remove(0, [20, 21])
    emu.edit_playlist(p1, remove_positions=[i for i, u in enumerate(emu.playlist_uris(p1)) if u in leaving])
    emu.edit_playlist(p1, add_uris=world.fresh_uris(150))
    world.expect(prune=True)


def kill_and_rerun(world: World, points: list[tuple[tuple[str, str], int]]) -> int:
    killer = Killer(world.emu)
    sources = {pid: world.emu.playlist_uris(pid) for pid in world.emu.playlist_ids}
    kills = 0
    for target, nth in points:
        rc = sync_once(world, killer, target, nth)
        kills += rc == -signal.SIGKILL
        assert rc in (0, -signal.SIGKILL), (rc, (world.root / "sync.log").read_text()[-3000:])
    for _ in range(3):
        rc = sync_once(world, killer, None, 0)
        if rc == 0:
            break
    assert rc == 0, (world.root / "sync.log").read_text()[-3000:]
    world.check()
    assert {pid: world.emu.playlist_uris(pid) for pid in world.emu.playlist_ids} == sources
    return kills


def test_kill_9_at_each_kind_of_write_then_rerun(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    emu = emulator_factory(playlist_sizes=(300, 300))
    world = World(emu, tmp_path)
    prepare(world)
    # In the source read; just after a delete (copies to put back are owed); after an add the
    # journal did not record (the rerun settles it by reading the part).
    points = [(PAGES, 3), (DELETES, 1), (ADDS, 2)]
    kills = kill_and_rerun(world, points)
    assert kills == 3


@pytest.mark.slow
@pytest.mark.timeout(1500)
@pytest.mark.parametrize("seed", range(3))
def test_random_kills_during_sync(emulator_factory: EmulatorFactory, tmp_path: Path, seed: int) -> None:
    emu = emulator_factory(playlist_sizes=(300, 300), lost_response_rate=0.05, fault_rate=0.03)
    world = World(emu, tmp_path)
    prepare(world)
    rng = random.Random(seed)
    points = [(rng.choice((ANY, ADDS, DELETES, PAGES)), rng.randint(1, 12)) for _ in range(6)]
    kill_and_rerun(world, points)
