"""Crashes at the worst moments of a write, in-process: the resumed run finishes exactly once.

A `Crash` (BaseException, like a kill) is raised right after the server applied a request and
before the journal could record its answer, or right before a request is sent. The subprocess
kill -9 tests (`test_kill_run.py`) do the same with real processes; these pin each case down.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from fixtures import SourcesOf, WriteCaseOf, new_playlists
from spotify_merger.emulator import Emulator
from spotify_merger.errors import LostResponseError
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.models import CreatedPlaylist
from spotify_merger.store.database import Database
from spotify_merger.write.execute import execute_plan
from spotify_merger.write.journal import Journal

ITEMS = "/v1/playlists/{id}/items"


class Crash(BaseException):
    """Stands in for kill -9: nothing after it runs, no handler catches it."""


class CrashingClient:
    """The real client, except that it dies at a chosen request."""

    def __init__(self, client: SpotifyClient, *, add: int | None = None, before_send: bool = False,
                 create: bool = False) -> None:  # fmt: skip
        self.client = client
        self.crash_at_add = add
        self.before_send = before_send
        self.crash_at_create = create
        self.adds = 0

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - every other call goes to the real client
        return getattr(self.client, name)

    def add_items(self, playlist_id: str, uris: list[str], position: int | None = None) -> str:
        self.adds += 1
        if self.adds == self.crash_at_add and self.before_send:
            raise Crash
        snapshot = self.client.add_items(playlist_id, uris, position)
        if self.adds == self.crash_at_add:
            raise Crash  # applied on the server, never recorded in the journal
        return snapshot

    def create_playlist(self, name: str, description: str, *, public: bool = False) -> CreatedPlaylist:
        created = self.client.create_playlist(name, description, public=public)
        if self.crash_at_create:
            raise Crash
        return created


@pytest.mark.parametrize(("add", "before_send"), [(1, False), (3, False), (3, True), (6, False)])
def test_crash_around_an_add_resumes_without_loss_or_duplicate(
    emulator: Emulator, write_case: WriteCaseOf, sources_of: SourcesOf, add: int, before_send: bool
) -> None:
    emu, env, plan, before, existing = write_case(emulator)
    n = len(plan.uris)
    assert math.ceil(n / 100) >= add
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        with pytest.raises(Crash):
            execute_plan(env, CrashingClient(client, add=add, before_send=before_send), db, plan, yes=True)
        run = Journal(db).latest_run()
        assert run is not None and run.status == "writing"
        pending = Journal(db).pending_batch(run.run_id, 1)
        assert pending is not None and pending.start_position == (add - 1) * 100
        outcome = execute_plan(env, client, db, plan, yes=True)
    [master] = new_playlists(emu, existing)
    assert outcome.run_id == run.run_id and outcome.verified
    assert emu.playlist_uris(master) == plan.uris
    # Exactly once: every batch was applied once; only the one never sent was sent again.
    assert emu.calls("POST", ITEMS, 201) == math.ceil(n / 100)
    assert emu.calls("POST", "/v1/me/playlists") == 1
    assert sources_of(emu) == before


def test_crash_after_create_finds_the_playlist_instead_of_creating_another(
    emulator: Emulator, write_case: WriteCaseOf
) -> None:
    emu, env, plan, _, existing = write_case(emulator)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        with pytest.raises(Crash):
            execute_plan(env, CrashingClient(client, create=True), db, plan, master_name="Once", yes=True)
        run = Journal(db).latest_run()
        assert run is not None and run.parts[0].state == "intended" and run.parts[0].playlist_id is None
        outcome = execute_plan(env, client, db, plan, master_name="Once", yes=True)
    assert emu.calls("POST", "/v1/me/playlists") == 1
    [master] = new_playlists(emu, existing)
    assert outcome.playlists[0].id == master
    assert emu.playlist_uris(master) == plan.uris


def test_a_part_created_elsewhere_with_the_same_name_but_no_marker_is_not_adopted(
    emulator: Emulator, write_case: WriteCaseOf
) -> None:
    emu, env, plan, _, _ = write_case(emulator)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        with pytest.raises(Crash):
            execute_plan(
                env, CrashingClient(client, add=1, before_send=True), db, plan, master_name="Twin", yes=True
            )
        decoy = client.create_playlist("Twin", "made by hand", public=False)
        run = Journal(db).latest_run()
        assert run is not None
        # Forget the create, as if the crash had come before its answer was recorded.
        db.execute(
            "UPDATE write_parts SET state = 'intended', playlist_id = NULL WHERE run_id = ?", [run.run_id]
        )
        outcome = execute_plan(env, client, db, plan, master_name="Twin", yes=True)
    assert outcome.playlists[0].id != decoy.id
    assert emu.playlist_uris(decoy.id) == []
    assert emu.playlist_uris(outcome.playlists[0].id) == plan.uris


class LosingClient(CrashingClient):
    """Applies the first create and the third add, then "loses" their answers (as a 502 would)."""

    def __init__(self, client: SpotifyClient) -> None:
        super().__init__(client)
        self.lost_create = False

    def create_playlist(self, name: str, description: str, *, public: bool = False) -> CreatedPlaylist:
        created = self.client.create_playlist(name, description, public=public)
        if not self.lost_create:
            self.lost_create = True
            raise LostResponseError(
                "POST /me/playlists got HTTP 502 after the request may have reached Spotify"
            )
        return created

    def add_items(self, playlist_id: str, uris: list[str], position: int | None = None) -> str:
        self.adds += 1
        snapshot = self.client.add_items(playlist_id, uris, position)
        if self.adds == 3:
            raise LostResponseError("POST /playlists/{id}/items got HTTP 502 after it may have been applied")
        return snapshot


def test_lost_answers_are_settled_by_reading_back_not_by_resending(
    emulator: Emulator, write_case: WriteCaseOf
) -> None:
    emu, env, plan, _, existing = write_case(emulator)
    n = len(plan.uris)
    with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
        emu.reset_counter()
        outcome = execute_plan(env, LosingClient(client), db, plan, yes=True)
    assert new_playlists(emu, existing) == [outcome.playlists[0].id]
    assert emu.playlist_uris(outcome.playlists[0].id) == plan.uris
    assert emu.calls("POST", "/v1/me/playlists") == 1  # found by its marker, not created again
    assert emu.calls("POST", ITEMS) == math.ceil(n / 100)  # the lost batch was not sent twice
    # One look for a playlist already named so before the create, one for the lost create.
    assert emu.calls("GET", "/v1/me/playlists") == 2
    assert outcome.stats is not None and outcome.stats.lost_responses == 2 and outcome.stats.reconciled == 100
