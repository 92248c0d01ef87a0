"""Parts written at once: each in order, exactly once across crashes and lost answers, read back as
soon as it is done, under one pacer; and `--verify quick` with its fallback to a full read."""

from __future__ import annotations

import itertools
import json
import math
import threading

import pytest

from emulator_fixtures import EmulatorFactory
from fixtures import SourcesOf, WriteCase, WriteCaseOf
from spotify_merger.emulator import Emulator, TimedRequest
from spotify_merger.errors import ExitCode, LostResponseError, VerifyError
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.models import CreatedPlaylist, ItemsPage, PlaylistInfo
from spotify_merger.spotify.policy import CallPolicy
from spotify_merger.store.database import Database
from spotify_merger.write.execute import execute_plan
from spotify_merger.write.summary import WriteOutcome
from spotify_merger.write.verify import VerifyMode

ITEMS = "/v1/playlists/{id}/items"
PLAYLIST = "/v1/playlists/{id}"
CAP = 300  # ~1,000 songs: parts of 300, 300, 300 and the rest


class Wrapped:
    """The real client (a `WriteClient`); subclasses step in at chosen requests."""

    def __init__(self, client: SpotifyClient) -> None:
        self.client = client
        self.ids: dict[str, str] = {}  # part name -> playlist id
        self.adds: dict[str, int] = {}  # playlist id -> adds answered
        self.lock = threading.Lock()

    @property
    def page_limit(self) -> int:
        return self.client.page_limit

    @property
    def policy(self) -> CallPolicy:
        return self.client.policy

    def playlist_meta(self, playlist_id: str) -> PlaylistInfo:
        return self.client.playlist_meta(playlist_id)

    def user_playlists(self) -> list[PlaylistInfo]:
        return self.client.user_playlists()

    def unfollow_playlist(self, playlist_id: str) -> None:
        self.client.unfollow_playlist(playlist_id)

    def uri_page(self, playlist_id: str, offset: int, limit: int | None = None) -> ItemsPage:
        return self.client.uri_page(playlist_id, offset, limit)

    def create_playlist(self, name: str, description: str, *, public: bool = False) -> CreatedPlaylist:
        created = self.client.create_playlist(name, description, public=public)
        with self.lock:
            self.ids[name] = created.id
        return created

    def add_items(self, playlist_id: str, uris: list[str], position: int | None = None) -> str:
        snapshot = self.client.add_items(playlist_id, uris, position)
        with self.lock:
            self.adds[playlist_id] = self.adds.get(playlist_id, 0) + 1
            n = self.adds[playlist_id]
        self.after_add(playlist_id, n)
        return snapshot

    def after_add(self, playlist_id: str, n: int) -> None:
        pass


def write(case: WriteCase, client: SpotifyClient | Wrapped, verify: VerifyMode = "full") -> WriteOutcome:
    with Database(case.env.db_path) as db:
        return execute_plan(
            case.env, client, db, case.plan, master_name="M", yes=True, cap=CAP, verify=verify
        )


def exactly_written(case: WriteCase, outcome: WriteOutcome, parts: int = 4) -> None:
    """Verified, the parts joined are the plan, and each batch was sent once."""
    assert outcome.verified and len(outcome.playlists) == parts
    joined: list[str | None] = []
    for part in outcome.playlists:
        joined += case.emu.playlist_uris(part.id)
    assert joined == case.plan.uris
    assert case.emu.calls("POST", ITEMS) == sum(math.ceil(p.tracks / 100) for p in outcome.playlists)


def on(seen: list[TimedRequest], pid: str, method: str) -> list[TimedRequest]:
    path = f"/v1/playlists/{pid}/items"
    return sorted((s for s in seen if s.method == method and s.path == path), key=lambda s: s.arrived)


class HoldsPartOne(Wrapped):
    """Part 1's last add waits until part 2 has added and part 4 (the short one) is being read
    back: it can only go on if the parts are written at once and read back as each is done."""

    def __init__(self, client: SpotifyClient) -> None:
        super().__init__(client)
        self.part_two_added = threading.Event()
        self.part_four_read = threading.Event()

    def add_items(self, playlist_id: str, uris: list[str], position: int | None = None) -> str:
        if playlist_id == self.ids.get("M (1/4)") and self.adds.get(playlist_id) == CAP // 100 - 1:
            self.part_two_added.wait(30)
            self.part_four_read.wait(30)
        return super().add_items(playlist_id, uris, position)

    def after_add(self, playlist_id: str, n: int) -> None:
        if playlist_id == self.ids.get("M (2/4)"):
            self.part_two_added.set()

    def uri_page(self, playlist_id: str, offset: int, limit: int | None = None) -> ItemsPage:
        if playlist_id == self.ids.get("M (4/4)"):
            self.part_four_read.set()
        return super().uri_page(playlist_id, offset, limit)


def test_parts_are_written_at_once_each_in_order_and_read_back_when_done(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf, sources_of: SourcesOf
) -> None:
    case = write_case(emulator_factory(playlist_sizes=(600, 600), latency_ms=5))
    seen = case.emu.timings()
    with SpotifyClient.connect(case.env) as client:
        case.emu.reset_counter()
        held = HoldsPartOne(client)
        outcome = write(case, held)
    assert held.part_two_added.is_set() and held.part_four_read.is_set()
    exactly_written(case, outcome)
    assert case.emu.calls("GET", ITEMS) == sum(math.ceil(p.tracks / 50) for p in outcome.playlists)
    assert sources_of(case.emu) == case.before
    # Within a part, each add waits for the answer to the one before.
    for part in outcome.playlists:
        adds = on(seen, part.id, "POST")
        assert len(adds) == math.ceil(part.tracks / 100)
        assert all(b.arrived >= a.answered for a, b in itertools.pairwise(adds))


def test_the_pacer_bounds_the_rate_of_all_parts_together(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf
) -> None:
    case = write_case(emulator_factory(playlist_sizes=(400, 400)))
    seen = case.emu.timings()
    with SpotifyClient.connect(case.env) as client:
        client.policy.pacer.interval = 0.05  # as if a limit of 20 calls a second had been learned
        outcome = write(case, client)
    assert outcome.verified and len(outcome.playlists) >= 2
    starts = sorted(s.arrived for s in seen if s.path.startswith("/v1/"))
    assert len(starts) > 20
    # Any 10 consecutive requests of all parts together span at least ~10 intervals (0.5 s; a
    # margin for network jitter): unpaced, 10 requests to a local emulator take a few ms each.
    assert min(b - a for a, b in zip(starts, starts[10:], strict=False)) > 0.35


class LosesOneAnswer(Wrapped):
    """Part 1's third add is applied by Spotify, but its answer is lost (as a 502 would)."""

    def after_add(self, playlist_id: str, n: int) -> None:
        if playlist_id == self.ids.get("M (1/4)") and n == 3:
            raise LostResponseError("POST /playlists/{id}/items got HTTP 502 after it may have been applied")


class Crash(BaseException):
    """Stands in for kill -9 (no handler catches it)."""


class DiesInPartTwo(Wrapped):
    """Dies right after Spotify applied part 2's second add, while the other parts are mid-way."""

    def after_add(self, playlist_id: str, n: int) -> None:
        if playlist_id == self.ids.get("M (2/4)") and n == 2:
            raise Crash


@pytest.mark.parametrize("trouble", ["lost answer", "crash"])
def test_trouble_on_one_part_while_the_others_progress_adds_nothing_twice(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf, trouble: str
) -> None:
    case = write_case(emulator_factory(playlist_sizes=(600, 600), latency_ms=5))
    with SpotifyClient.connect(case.env) as client:
        case.emu.reset_counter()
        if trouble == "crash":
            with pytest.raises(Crash):
                write(case, DiesInPartTwo(client))
            outcome = write(case, client)  # the rerun resumes every part where it stands
        else:
            outcome = write(case, LosesOneAnswer(client))
    exactly_written(case, outcome)
    assert case.emu.calls("POST", "/v1/me/playlists") == 4
    assert outcome.stats is not None
    if trouble == "lost answer":  # settled by reading part 1 back, never sent again
        assert (outcome.stats.lost_responses, outcome.stats.reconciled) == (1, 100)


class EditsPartTwoByHand(Wrapped):
    """Once part 2's adds are all in, someone deletes its 5th song in the Spotify app."""

    def __init__(self, client: SpotifyClient, emu: Emulator) -> None:
        super().__init__(client)
        self.emu = emu

    def after_add(self, playlist_id: str, n: int) -> None:
        if playlist_id == self.ids.get("M (2/4)") and n == CAP // 100:
            self.emu.edit_playlist(playlist_id, remove_positions=[4])


@pytest.mark.parametrize("mode", ["full", "quick"])
def test_a_part_edited_between_write_and_verify_is_named_with_its_first_difference(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf, mode: VerifyMode
) -> None:
    case = write_case(emulator_factory(playlist_sizes=(600, 600)))
    with SpotifyClient.connect(case.env) as client, pytest.raises(VerifyError) as failed:
        write(case, EditsPartTwoByHand(client, case.emu), verify=mode)
    assert failed.value.exit_code == ExitCode.VERIFY_FAILED  # exit 12
    message = failed.value.message
    assert message.startswith("1 of 4 master playlist(s) do not match the plan: 'M (2/4)': position 5: ")
    assert f"expected {case.plan.uris[CAP + 4]}, found {case.plan.uris[CAP + 5]}" in message


def test_quick_verify_reads_one_object_per_part(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf
) -> None:
    case = write_case(emulator_factory(playlist_sizes=(600, 600)))
    with SpotifyClient.connect(case.env) as client:
        case.emu.reset_counter()
        outcome = write(case, client, verify="quick")
    exactly_written(case, outcome)
    assert case.emu.calls("GET", ITEMS) == 0
    assert case.emu.calls("GET", PLAYLIST) == 2 + 4  # the sources' re-check, then one per part


def test_quick_verify_reads_everything_back_when_an_answer_was_in_doubt(
    emulator_factory: EmulatorFactory, write_case: WriteCaseOf
) -> None:
    case = write_case(emulator_factory(playlist_sizes=(600, 600)))
    with SpotifyClient.connect(case.env) as client:
        case.emu.reset_counter()
        outcome = write(case, LosesOneAnswer(client), verify="quick")
    exactly_written(case, outcome)
    reads = sum(math.ceil(p.tracks / 50) for p in outcome.playlists)
    # Every page, plus the read-back of the batch in doubt (songs 200..300, and song 199 as an anchor).
    assert case.emu.calls("GET", ITEMS) == reads + math.ceil(101 / 50)
    assert outcome.summary_path is not None  # and what the summary says it proved is a read-back
    assert json.loads(outcome.summary_path.read_text())["this_run"]["verified"] == "read-back"
