"""`sync` end to end against the emulator, each case ending with exactly the master the oracle computes.

The oracle (`sync_oracle.MasterModel`) is driven by the same hand edits and an independent plan
of the final sources; song identity is the emulator's ground truth. Call counts are read off the
emulator's own request log.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from emulator_fixtures import EmulatorFactory
from sync_world import World

ITEMS = "/v1/playlists/{id}/items"


def v1(world: World, method: str | None = None, route: str | None = None) -> int:
    """The last sync's Web API requests (optionally of one method and route)."""
    return sum(n for (m, r, _s), n in world.calls.items() if method in (None, m) and route in (None, r))


@pytest.mark.parametrize("profile", ["dev-2026", pytest.param("extended", marks=pytest.mark.slow)])
def test_nothing_changed_costs_one_call_per_source_and_part_at_most(
    emulator_factory: EmulatorFactory, tmp_path: Path, profile: str
) -> None:
    emu = emulator_factory(profile=profile, playlist_sizes=(300, 300))
    world = World(emu, tmp_path, cap=200)
    assert len(world.parts) >= 2
    summary = world.sync()
    world.check()
    assert summary.status == "up-to-date" and summary.added == summary.pruned == 0
    bound = len(emu.playlist_ids) + len(world.parts)
    assert 1 <= v1(world) <= bound
    assert v1(world, "POST") == v1(world, "DELETE") == v1(world, "PUT") == 0
    assert summary.api_calls_total == v1(world)
    assert "is up to date" in summary.line()


@pytest.mark.parametrize("profile", ["dev-2026", pytest.param("extended", marks=pytest.mark.slow)])
def test_new_songs_are_appended_in_plan_order_within_the_cost_bound(
    emulator_factory: EmulatorFactory, tmp_path: Path, profile: str
) -> None:
    emu = emulator_factory(profile=profile, playlist_sizes=(300, 300))
    world = World(emu, tmp_path)
    p1, p2 = emu.playlist_ids
    fresh = world.fresh_uris(130)
    k = len(fresh)
    assert k > 100  # two add batches
    emu.edit_playlist(p1, add_uris=fresh[: k // 2])
    emu.edit_playlist(p2, add_uris=fresh[k // 2 :])
    summary = world.sync()
    world.check()
    assert summary.status == "synced" and summary.added == k and summary.verified
    limit = 100 if profile == "extended" else 50
    pages = sum(math.ceil(len(emu.playlist_uris(p)) / limit) for p in (p1, p2))
    part = len(world.uris(world.parts[-1]))
    bound = 2 + len(world.parts) + pages + math.ceil(k / 100) + math.ceil((k + 1) / limit)
    assert v1(world, "POST") == math.ceil(k / 100)
    assert v1(world) <= bound, (v1(world), bound, dict(world.calls), part)


def test_hand_edits_are_respected(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    emu = emulator_factory(playlist_sizes=(300, 300))
    world = World(emu, tmp_path)
    master = world.uris(world.parts[0])
    # Removed by hand: never added again. Added by hand: kept, never duplicated. Reordered: untouched.
    world.hand_remove(0, [3, 10, 11])
    hand = world.fresh_uris(2)
    world.hand_add(0, hand[:1], 5)
    world.hand_add(0, hand[1:])
    world.hand_reorder(0, 0, 20)
    # The sources now hold one of the hand-added songs and a new song.
    p1 = emu.playlist_ids[0]
    new = world.fresh_uris(1)
    emu.edit_playlist(p1, add_uris=[hand[1], *new])
    summary = world.sync()
    world.check()
    assert summary.added == 1  # only the new song
    assert summary.removed_by_hand == 3 and summary.added_by_hand == 2
    now = world.uris(world.parts[0])
    assert all(u not in now for u in (master[3], master[10], master[11]))
    assert now.count(hand[1]) == 1


@pytest.mark.parametrize("profile", ["dev-2026", pytest.param("extended", marks=pytest.mark.slow)])
def test_gone_from_the_sources_is_kept_then_pruned_and_hand_copies_survive(
    emulator_factory: EmulatorFactory, tmp_path: Path, profile: str
) -> None:
    emu = emulator_factory(profile=profile, playlist_sizes=(300, 300))
    world = World(emu, tmp_path)
    p1, p2 = emu.playlist_ids
    master = world.uris(world.parts[0])
    only_p1 = [u for u in master if u in emu.playlist_uris(p1) and u not in emu.playlist_uris(p2)]
    leaving = only_p1[:4]
    # A hand-added second copy of one leaving song: pruning must keep it (DELETE removes both).
    world.hand_add(0, [leaving[0]], 7)
    emu.edit_playlist(p1, remove_positions=[i for i, u in enumerate(emu.playlist_uris(p1)) if u in leaving])
    kept = world.sync()
    world.check()
    assert kept.gone_kept >= 4 and kept.pruned == 0
    pruned = world.sync(prune=True)
    world.check()
    assert pruned.pruned >= 4
    now = world.uris(world.parts[0])
    assert now.count(leaving[0]) == 1 and not any(u in now for u in leaving[1:])
    assert v1(world, "DELETE") >= 1


@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_weighted_master_follows_weights_and_prunes_repeats(
    emulator_factory: EmulatorFactory, tmp_path: Path, profile: str
) -> None:
    emu = emulator_factory(profile=profile, playlist_sizes=(300, 300))
    world = World(emu, tmp_path, keep_weights=True)
    p1 = emu.playlist_ids[0]
    entries = emu.playlist_uris(p1)
    heavy = max((u for u in set(entries) if u and u.startswith("spotify:track:")), key=entries.count)
    # Two more entries of a song: its weight grows by two (it is heaviest in p1).
    emu.edit_playlist(p1, add_uris=[heavy, heavy])
    grown = world.sync()
    world.check()
    assert grown.added >= 2
    # Now remove every entry of it but one: --prune removes the tool's repeats beyond weight 1.
    positions = [i for i, u in enumerate(emu.playlist_uris(p1)) if u == heavy][1:]
    emu.edit_playlist(p1, remove_positions=positions)
    other = emu.playlist_ids[1]
    if heavy in emu.playlist_uris(other):
        emu.edit_playlist(
            other, remove_positions=[i for i, u in enumerate(emu.playlist_uris(other)) if u == heavy][1:]
        )
    shrunk = world.sync(prune=True)
    world.check()
    assert shrunk.pruned >= 2


def test_a_full_last_part_starts_a_new_part_named_like_the_others(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emulator_factory(playlist_sizes=(300, 300))
    world = World(emu, tmp_path, cap=200, name="Cap")
    last = world.uris(world.parts[-1])
    room = 200 - len(last)
    emu.edit_playlist(emu.playlist_ids[0], add_uris=world.fresh_uris(room + 30))
    summary = world.sync()
    world.check()
    assert len(world.parts) == len(world.model.parts)  # type: ignore[union-attr]
    assert summary.new_parts and summary.new_parts[0].startswith("Cap (")
    assert len(world.uris(world.parts[-2])) == 200


def test_lost_add_and_remove_answers_never_duplicate_or_lose(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emulator_factory(playlist_sizes=(300, 300))
    world = World(emu, tmp_path)
    p1 = emu.playlist_ids[0]
    master = world.uris(world.parts[0])
    world.hand_add(0, [master[2]], 9)  # a hand copy: the prune must put it back
    emu.edit_playlist(p1, remove_positions=[i for i, u in enumerate(emu.playlist_uris(p1)) if u == master[2]])
    emu.edit_playlist(p1, add_uris=world.fresh_uris(250))
    emu.configure(lost_response_rate=0.5)
    try:
        summary = world.sync(prune=True)
    finally:
        emu.configure(lost_response_rate=0.0)
    world.check()
    assert summary.verified
    assert emu.calls("POST", ITEMS, 502) + emu.calls("DELETE", ITEMS, 502) >= 1


def test_dry_run_writes_nothing_and_reports_the_delta(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    import json

    emu = emulator_factory(playlist_sizes=(300, 300))
    world = World(emu, tmp_path)
    emu.edit_playlist(emu.playlist_ids[0], add_uris=world.fresh_uris(5))
    before = world.uris(world.parts[0])
    summary = world.sync(dry_run=True)
    assert summary.status == "dry-run" and summary.added == 5
    assert world.uris(world.parts[0]) == before
    assert v1(world, "POST") == v1(world, "DELETE") == 0
    report = json.loads((world.env.exports_dir / "sync_report.json").read_text())
    assert report["delta"]["added"] == 5 and len(report["delta"]["new_songs"]) == 5
    assert "would add 5" in summary.line() and "nothing written" in summary.line()
    world.sync()  # and the real one afterwards
    world.check()


@pytest.mark.parametrize("profile", ["dev-2026", pytest.param("extended", marks=pytest.mark.slow)])
def test_adopting_a_playlist_made_by_hand(
    emulator_factory: EmulatorFactory, tmp_path: Path, profile: str
) -> None:
    from emulator_fixtures import bearer_session
    from sync_oracle import MasterModel

    emu = emulator_factory(profile=profile, playlist_sizes=(300, 300))
    world = World(emu, tmp_path, run=False)
    s = bearer_session(emu)
    made = s.post(f"{emu.api_base}/me/playlists", json={"name": "By Hand", "public": False}).json()["id"]
    p1 = emu.playlist_ids[0]
    mine = [u for u in emu.playlist_uris(p1) if u and u.startswith("spotify:track:")][:40]
    emu.edit_playlist(made, add_uris=mine)
    world.parts = [made]
    world.model = MasterModel.adopted(world.uris(made), "By Hand")
    summary = world.sync(masters=[made])
    world.check()
    assert summary.adopted and summary.added_by_hand == 40 and summary.added > 0
    # From then on it is the master: a plain sync keeps it in step.
    emu.edit_playlist(p1, add_uris=world.fresh_uris(3))
    again = world.sync()
    world.check()
    assert again.added == 3 and again.master_id == summary.master_id


def test_verify_undo_and_report_know_a_synced_master(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    from spotify_merger.errors import VerifyError
    from spotify_merger.masters import undo_last, verify_last
    from spotify_merger.pipeline import report_only

    emu = emulator_factory(playlist_sizes=(300, 300))
    world = World(emu, tmp_path, cap=200)
    world.hand_remove(0, [5])  # the sync reads this part back and records what it holds
    last = world.uris(world.parts[-1])
    world.hand_add(len(world.parts) - 1, [last[0]] * (200 - len(last)))  # a full last part
    emu.edit_playlist(emu.playlist_ids[0], add_uris=world.fresh_uris(30))
    summary = world.sync()
    world.check()
    assert summary.new_parts, "the test wants a part made by sync"
    assert verify_last(world.env).ok  # compares with what the sync verified, not the run's plan
    # `report` with no sources analyses the sources only, never the master parts sync read back.
    report = report_only(world.env, None, html=False)
    assert {s["id"] for s in report.summary["sources"]} == set(emu.playlist_ids)
    emu.edit_playlist(world.parts[-1], remove_positions=[0])
    with pytest.raises(VerifyError):
        verify_last(world.env)
    undone = undo_last(world.env, yes=True)
    assert sorted(r["id"] for r in undone.removed) == sorted(world.parts)
    assert not set(world.parts) & set(emu.user_playlist_ids())
