"""`--verify full` reads each page back as soon as the adds made it final, and the library scan
`run` sends while it analyses; both against the emulator, over real HTTP."""

from __future__ import annotations

import json
import math
import threading
from typing import Any

import pytest

from emulator_fixtures import EmulatorFactory
from fixtures import EnvFor, SourcesOf, WriteCase, WriteCaseOf, api_calls
from spotify_merger.errors import CallCancelled, ExitCode, MergerError, NotFoundError, VerifyError
from spotify_merger.fetch import fetch_sources
from spotify_merger.fetch.playlists import FetchResult
from spotify_merger.pipeline import RunOptions, run_merge
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.models import ItemsPage, SpotifyUser
from spotify_merger.store.database import Database
from spotify_merger.write.execute import execute_plan
from spotify_merger.write.summary import Verification, WriteOutcome

ITEMS = "/v1/playlists/{id}/items"
PLAYLIST = "/v1/playlists/{id}"


def write(case: WriteCase, client: SpotifyClient) -> WriteOutcome:
    with Database(case.env.db_path) as db:
        return execute_plan(case.env, client, db, case.plan, master_name="M", yes=True)


class Stale(SpotifyClient):
    """The first read of the master's first page answers as a lagging replica might: empty."""

    stale_once = True

    def uri_page(self, playlist_id: str, offset: int, limit: int | None = None) -> ItemsPage:
        page = super().uri_page(playlist_id, offset, limit)
        if offset == 0 and self.stale_once:
            self.stale_once = False
            return ItemsPage([], page.total)
        return page


def proof(outcome: WriteOutcome) -> str:
    """What the run summary says proved the master (`this_run.verified`)."""
    assert outcome.summary_path is not None
    return str(json.loads(outcome.summary_path.read_text())["this_run"]["verified"])


def test_pages_are_read_back_while_the_part_is_still_being_written(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf, sources_of: SourcesOf
) -> None:
    case = write_case(emulator_factory(playlist_sizes=(600, 600), latency_ms=20))
    seen = case.emu.timings()
    with SpotifyClient.connect(case.env) as client:
        case.emu.reset_counter()
        outcome = write(case, client)
    assert proof(outcome) == Verification.READ_BACK
    [part] = outcome.playlists
    assert case.emu.playlist_uris(part.id) == case.plan.uris
    reads = sorted(
        (s for s in seen if s.method == "GET" and s.path.endswith(f"{part.id}/items")),
        key=lambda s: s.arrived,
    )
    adds = sorted(
        (s for s in seen if s.method == "POST" and s.path.endswith(f"{part.id}/items")),
        key=lambda s: s.arrived,
    )
    pages = math.ceil(part.tracks / 50)
    # Every page once, plus one look at the snapshot; all pages but those of the last batch
    # were asked for before the last add was even sent.
    assert (
        len(reads) == pages and case.emu.calls("GET", PLAYLIST) == 2 + 1
    )  # the sources' re-check, then this
    early = [r for r in reads if r.arrived < adds[-1].arrived]
    assert len(early) >= pages - 3
    # Pages are asked for in order of their offsets, each once the add completing it was answered:
    # so the k-th read to arrive comes after the answer to the add that completes page k.
    for k, read in enumerate(reads):
        completing = adds[min(len(adds) - 1, (k * 50 + 49) // 100)]
        assert read.arrived >= completing.answered
    assert sources_of(case.emu) == case.before


def test_a_stale_read_during_the_write_costs_a_second_read_never_a_wrong_verdict(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf
) -> None:
    case = write_case(emulator_factory(playlist_sizes=(300, 300)))
    with Stale.connect(case.env) as client:
        case.emu.reset_counter()
        outcome = write(case, client)
    [part] = outcome.playlists
    assert proof(outcome) == Verification.READ_BACK
    assert case.emu.playlist_uris(part.id) == case.plan.uris
    assert case.emu.calls("GET", ITEMS) == 2 * math.ceil(
        part.tracks / 50
    )  # read again, whole, after the write


def test_an_edit_during_the_write_is_found_and_named(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf
) -> None:
    case = write_case(emulator_factory(playlist_sizes=(300, 300)))

    class EditsMidWrite(SpotifyClient):
        """After the master's second add, someone deletes its 5th song in the Spotify app."""

        adds = 0

        def add_items(self, playlist_id: str, uris: list[str], position: int | None = None) -> str:
            snapshot = super().add_items(playlist_id, uris, position)
            self.adds += 1
            if self.adds == 2:
                case.emu.edit_playlist(playlist_id, remove_positions=[4])
            return snapshot

    with EditsMidWrite.connect(case.env) as client, pytest.raises(VerifyError) as failed:
        write(case, client)
    assert failed.value.exit_code == ExitCode.VERIFY_FAILED
    assert f"'M': position 5: expected {case.plan.uris[4]}, found {case.plan.uris[5]}" in failed.value.message


def test_run_yes_scans_the_library_once_while_it_analyses(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(playlist_sizes=(200, 200))
    env = env_for(emu)
    emu.reset_counter()
    outcome = run_merge(env, RunOptions(yes=True))
    assert outcome.verified
    # One scan stands in for the name check and the sources' re-check: each source's metadata is
    # read once, by the fetch; the master's once, by the read-back.
    assert emu.calls("GET", "/v1/me/playlists") == 1
    assert emu.calls("GET", PLAYLIST) == 2 + 1


def test_a_source_changed_after_the_fetch_stops_run_yes_before_anything_is_written(
    emulator_factory: EmulatorFactory, env_for: EnvFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = emulator_factory(playlist_sizes=(200, 200))
    env = env_for(emu)
    first = emu.playlist_ids[0]

    def fetch_then_edit(*args: Any, **kwargs: Any) -> FetchResult:
        fetched = fetch_sources(*args, **kwargs)
        emu.edit_playlist(first, remove_positions=[0])  # someone edits a source right after it was read
        return fetched

    monkeypatch.setattr("spotify_merger.pipeline.fetch_sources", fetch_then_edit)
    emu.reset_counter()
    with pytest.raises(MergerError) as stopped:
        run_merge(env, RunOptions(yes=True))
    assert stopped.value.exit_code == ExitCode.CONFLICT
    assert "changed since the report was made" in stopped.value.message
    assert api_calls(emu, "POST") == 0


def test_a_failed_fetch_is_the_error_shown_not_the_sign_in_check_it_cancelled(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(playlist_sizes=(50, 50))
    env = env_for(emu)
    released = threading.Event()

    class SlowMe(SpotifyClient):
        def me(self) -> SpotifyUser:
            # Still waiting when the fetch gives up and cancels what is in flight.
            self.policy.cancelled.wait(30)
            released.set()
            raise CallCancelled()

    with SlowMe.connect(env) as client, pytest.raises(NotFoundError):
        run_merge(
            env, RunOptions(yes=True, sources=["spotify:playlist:0000000000000000000000"]), client=client
        )
    assert released.is_set()
