"""`sync` matches by `run`'s rules, the user's own included: `match_rules.txt` (same, never,
exclude) and the exclusions playlist the run was given, read again on every sync."""

from __future__ import annotations

from pathlib import Path

from emulator_fixtures import EmulatorFactory
from spotify_merger.analyze import rules
from sync_world import World


def add_rule(world: World, key: str, *uris: str) -> None:
    rules.add(world.env.data_dir, rules.rule(key, list(uris)))


def master_uris(world: World) -> list[str]:
    return [u for pid in world.parts for u in world.uris(pid) if u]


def test_new_songs_follow_the_users_rules_and_a_changed_rule_is_seen(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emulator_factory(playlist_sizes=(120, 120))
    world = World(emu, tmp_path)
    p1, _ = emu.playlist_ids
    held = master_uris(world)
    excluded, same_as_held, fresh = world.fresh_uris(3)
    add_rule(world, "exclude", excluded)
    add_rule(world, "same", same_as_held, held[5])  # the user says: this new track is a song already there
    emu.edit_playlist(p1, add_uris=[excluded, same_as_held, fresh])

    summary = world.sync(model=False)
    now = master_uris(world)
    assert summary.status == "synced" and summary.added == 1
    assert now == [*held, fresh]  # appended after the last entry; the other two are known by rule
    assert f"exclude {excluded}" in summary.options["rules"] and len(summary.options["rules"]) == 2

    # Sources unchanged, rules changed: the snapshots alone cannot say "up to date" any more.
    rules.forget(world.env.data_dir, (excluded.split(":")[2],))
    summary = world.sync(model=False)
    assert summary.status == "synced" and summary.added == 1
    assert master_uris(world) == [*held, fresh, excluded]

    # And now nothing moved: one call per source and part at most, no writes.
    summary = world.sync(model=False)
    assert summary.status == "up-to-date" and summary.added == 0
    assert summary.api_calls_total <= len(emu.playlist_ids) + len(world.parts)


def test_a_never_rule_keeps_a_new_copy_apart_from_the_song_in_the_master(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emulator_factory(playlist_sizes=(120, 120))
    world = World(emu, tmp_path)
    p1, _ = emu.playlist_ids
    held = master_uris(world)
    # Another copy of a song the master holds: matched (and not added) unless a rule says otherwise.
    copies = next(c for u in held if (c := world.fresh_uris(1, same_song_as=u)))
    emu.edit_playlist(p1, add_uris=copies)
    assert world.sync(model=False).added == 0
    original = next(u for u in held if world.key(u) == world.key(copies[0]))
    add_rule(world, "never", copies[0], original)
    summary = world.sync(model=False)
    assert summary.added == 1 and master_uris(world) == [*held, copies[0]]


def test_the_runs_exclusions_playlist_keeps_applying_and_its_edits_are_seen(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emulator_factory(playlist_sizes=(120, 120))
    p1, _ = emu.playlist_ids
    exclusions = emu.state.create_playlist(emu.user_id, "Exclusions", False, False, "").id
    world = World(emu, tmp_path, exclude_playlist=exclusions)
    held = master_uris(world)
    kept_out, fresh = world.fresh_uris(2)
    emu.edit_playlist(exclusions, add_uris=[kept_out])
    emu.edit_playlist(p1, add_uris=[kept_out, fresh])

    summary = world.sync(model=False)  # no --exclude-playlist: the run's own applies
    assert summary.added == 1 and master_uris(world) == [*held, fresh]
    assert summary.options["exclude_playlist"] == exclusions

    # Emptying the exclusions playlist is a change sync reads (the sources did not move).
    emu.edit_playlist(exclusions, remove_positions=[0])
    summary = world.sync(model=False)
    assert summary.added == 1 and master_uris(world) == [*held, fresh, kept_out]
