"""The write step over real HTTP against the emulator: exact masters, parts, call counts, safety."""

from __future__ import annotations

import json
import math

import pytest

from emulator_fixtures import EmulatorFactory
from fixtures import SourcesOf, WriteCaseOf, api_calls, new_playlists
from spotify_merger.analyze.model import MergePlan
from spotify_merger.context import Environment
from spotify_merger.emulator import Emulator
from spotify_merger.errors import ConflictError, NotConfirmedError, NothingToDoError, UsageError
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.store.database import Database
from spotify_merger.write.execute import execute_plan
from spotify_merger.write.journal import Journal, RunStatus
from spotify_merger.write.summary import WriteOutcome

ITEMS = "/v1/playlists/{id}/items"


def names_of(emu: Emulator) -> dict[str, str]:
    return {pid: emu.playlist(pid)["name"] for pid in emu.playlist_ids}


def written_but_unfinished(
    env: Environment, client: SpotifyClient, db: Database, plan: MergePlan
) -> WriteOutcome:
    """Write `plan`, then mark its run unfinished again, as if the write had stopped half-way."""
    first = execute_plan(env, client, db, plan, yes=True)
    assert first.run_id is not None
    Journal(db).set_status(first.run_id, RunStatus.WRITING)
    return first


def test_a_new_private_master_holds_exactly_the_plan(
    emulator: Emulator, write_case: WriteCaseOf, sources_of: SourcesOf
) -> None:
    emu, env, plan, before, existing = write_case(emulator)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        emu.reset_counter()
        outcome = execute_plan(
            env, client, db, plan, master_name="Weekly Master", yes=True, source_names=names_of(emu)
        )
    [master] = new_playlists(emu, existing)
    assert outcome.status == "written" and outcome.verified
    assert emu.playlist_uris(master) == plan.uris
    info = emu.playlist(master)
    assert info["name"] == "Weekly Master" and info["public"] is False and info["owner"] == emu.user_id
    for name in names_of(emu).values():
        assert name in info["description"]
    # Exactly: one create, ceil(n/100) adds, the verify pages and the master's snapshot, one
    # staleness check per source, and one look at the library for a playlist already named so
    # (never a silent duplicate).
    n = len(plan.uris)
    assert emu.calls("POST", "/v1/me/playlists") == 1
    assert emu.calls("POST", ITEMS) == math.ceil(n / 100)
    assert emu.calls("GET", ITEMS) == math.ceil(n / 50)
    assert emu.calls("GET", "/v1/playlists/{id}") == 2 + 1  # the sources re-checked, the master's snapshot
    assert emu.calls("GET", "/v1/me/playlists") == 1
    assert api_calls(emu) == 1 + math.ceil(n / 100) + math.ceil(n / 50) + 2 + 1 + 1
    assert sources_of(emu) == before
    summary = json.loads((env.exports_dir / "run_summary.json").read_text())
    assert summary["verified"] is True
    assert summary["playlists"] == [
        {
            "id": master,
            "name": "Weekly Master",
            "tracks": n,
            "url": f"https://open.spotify.com/playlist/{master}",
        }
    ]
    assert summary["api_calls"]["POST /playlists/{id}/items"] == math.ceil(n / 100)


def test_over_the_cap_the_master_is_split_into_ordered_parts(
    emulator: Emulator, write_case: WriteCaseOf
) -> None:
    emu, env, plan, _, existing = write_case(emulator)
    cap = 200
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        emu.reset_counter()
        outcome = execute_plan(env, client, db, plan, master_name="M", yes=True, cap=cap)
    k = math.ceil(len(plan.uris) / cap)
    assert k >= 2
    assert [p.name for p in outcome.playlists] == [f"M ({i}/{k})" for i in range(1, k + 1)]
    joined: list[str | None] = []
    for p in outcome.playlists:
        uris = emu.playlist_uris(p.id)
        assert len(uris) <= cap and len(uris) == p.tracks
        joined += uris
    assert joined == plan.uris
    assert sorted(new_playlists(emu, existing)) == sorted(p.id for p in outcome.playlists)
    assert emu.calls("POST", "/v1/me/playlists") == k
    assert emu.calls("POST", ITEMS) == sum(math.ceil(p.tracks / 100) for p in outcome.playlists)


def test_a_rerun_after_success_writes_nothing(emulator: Emulator, write_case: WriteCaseOf) -> None:
    emu, env, plan, _, _ = write_case(emulator)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        first = execute_plan(env, client, db, plan, yes=True)
        emu.reset_counter()
        again = execute_plan(env, client, db, plan, yes=True)
    assert again.status == "already-complete" and again.verified
    assert again.playlists == first.playlists
    # Nothing written; one snapshot check per part proves the master unchanged since verified.
    assert api_calls(emu) == emu.calls("GET", "/v1/playlists/{id}") == len(first.playlists)


def test_lost_responses_never_add_twice(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf, sources_of: SourcesOf
) -> None:
    emu, env, plan, before, existing = write_case(emulator_factory(playlist_sizes=(400, 400)))
    emu.configure(lost_response_rate=0.35)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        outcome = execute_plan(env, client, db, plan, master_name="Lossy", yes=True)
    emu.configure(lost_response_rate=0.0)
    [master] = new_playlists(emu, existing)
    assert emu.playlist_uris(master) == plan.uris
    assert outcome.stats is not None and outcome.stats.lost_responses > 0
    assert emu.calls("POST", ITEMS, 502) > 0
    assert sources_of(emu) == before


def test_without_a_terminal_and_without_yes_nothing_is_written(
    emulator: Emulator, write_case: WriteCaseOf
) -> None:
    emu, env, plan, _, _ = write_case(emulator)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        emu.reset_counter()
        with pytest.raises(NotConfirmedError) as info:
            execute_plan(env, client, db, plan)
        assert "--yes" in info.value.hint and "nothing was written" in info.value.message
        dry = execute_plan(env, client, db, plan, dry_run=True)
        assert dry.status == "dry-run"
        assert Journal(db).latest_run() is None
    assert api_calls(emu, "POST") == 0 and api_calls(emu, "DELETE") == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 200, "two\nlines"])
def test_a_bad_master_name_is_refused_before_anything_is_sent(
    emulator: Emulator, write_case: WriteCaseOf, name: str
) -> None:
    emu, env, plan, _, _ = write_case(emulator)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        emu.reset_counter()
        with pytest.raises(UsageError):
            execute_plan(env, client, db, plan, master_name=name, yes=True)
    assert api_calls(emu) == 0


def test_nothing_to_add_is_refused(emulator: Emulator, write_case: WriteCaseOf) -> None:
    emu, env, plan, _, _ = write_case(emulator, limit=0)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        emu.reset_counter()
        with pytest.raises(NothingToDoError):
            execute_plan(env, client, db, plan, yes=True)
    assert api_calls(emu) == 0


def test_a_source_changed_after_the_report_makes_the_plan_stale(
    emulator: Emulator, write_case: WriteCaseOf
) -> None:
    emu, env, plan, _, _ = write_case(emulator)
    p1, _ = emu.playlist_ids
    emu.edit_playlist(p1, remove_positions=[0])
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        emu.reset_counter()
        with pytest.raises(ConflictError) as info:
            execute_plan(env, client, db, plan, yes=True, source_names=names_of(emu))
    assert "changed since the report" in info.value.message and emu.playlist(p1)["name"] in info.value.message
    assert "spotify-merger report" in info.value.hint
    assert api_calls(emu, "POST") == 0


def test_a_master_edited_between_runs_is_a_conflict_until_new_master(
    emulator: Emulator, write_case: WriteCaseOf
) -> None:
    emu, env, plan, _, existing = write_case(emulator)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        # The write stopped half-way, then the user removed a song by hand.
        first = written_but_unfinished(env, client, db, plan)
        master = first.playlists[0].id
        emu.edit_playlist(master, remove_positions=[len(plan.uris) - 1])
        emu.reset_counter()
        with pytest.raises(ConflictError) as info:
            execute_plan(env, client, db, plan, yes=True)
        assert "edited outside" in info.value.message and "--new-master" in info.value.hint
        assert api_calls(emu, "POST") == 0
        fresh = execute_plan(env, client, db, plan, yes=True, new_master=True)
    assert fresh.run_id != first.run_id
    [_, second] = sorted(new_playlists(emu, existing), key=lambda pid: pid != master)
    assert emu.playlist_uris(second) == plan.uris


def test_a_master_deleted_between_runs_is_a_conflict(emulator: Emulator, write_case: WriteCaseOf) -> None:
    emu, env, plan, _, _ = write_case(emulator)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        first = written_but_unfinished(env, client, db, plan)
        emu.delete_playlist(first.playlists[0].id)
        with pytest.raises(ConflictError) as info:
            execute_plan(env, client, db, plan, yes=True)
    assert "deleted" in info.value.message


def test_a_fault_storm_still_writes_exactly_the_plan(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf, sources_of: SourcesOf
) -> None:
    emu, env, plan, before, existing = write_case(emulator_factory(playlist_sizes=(400, 400)))
    emu.configure(fault_rate=0.10, rate_429=0.05, lost_response_rate=0.10)
    # Waits (Retry-After, backoff, pacing) are the policy's business and are tested there; here
    # they are skipped so the storm costs no wall time: the writer's outcome is what is checked.
    with Database(env.db_path) as db, SpotifyClient.connect(env, sleep=lambda _s: None) as client:
        outcome = execute_plan(env, client, db, plan, master_name="Storm", yes=True, cap=300)
    storm = emu.counter
    emu.configure(fault_rate=0.0, rate_429=0.0, lost_response_rate=0.0)
    created = new_playlists(emu, existing)
    assert sorted(created) == sorted(p.id for p in outcome.playlists)
    assert [u for p in outcome.playlists for u in emu.playlist_uris(p.id)] == plan.uris
    assert sum(n for (_m, _r, status), n in storm.items() if status >= 500) > 0
    assert sum(n for (_m, _r, status), n in storm.items() if status == 429) > 0
    assert outcome.stats is not None and outcome.stats.lost_responses > 0
    assert sources_of(emu) == before
