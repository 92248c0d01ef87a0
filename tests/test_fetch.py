"""fetch_sources against the emulator: exact entries, call counts, resume, changes, interruption."""

from __future__ import annotations

import io
import math

import pytest

from emulator_fixtures import EmulatorFactory
from fixtures import EnvFor, count
from spotify_merger.context import Environment
from spotify_merger.emulator import Emulator
from spotify_merger.errors import ConflictError, ExitCode, ForbiddenError, QuotaExceededError
from spotify_merger.fetch import fetch_features, fetch_sources
from spotify_merger.fetch.features import _run_batches
from spotify_merger.spotify.client import ApiProfile, SpotifyClient
from spotify_merger.spotify.models import ItemsPage
from spotify_merger.store.database import Database

META = "/v1/playlists/{id}"


def stored_uris(env: Environment, pid: str) -> list[str | None]:
    with Database(env.db_path) as db:
        rows = db.fetchall("SELECT position, uri FROM entries WHERE playlist_id = ? ORDER BY position", [pid])
    assert [r[0] for r in rows] == list(range(len(rows)))  # each position once, no gaps
    return [r[1] for r in rows]


def page_calls(emu: Emulator) -> int:
    return emu.calls("GET", "/v1/playlists/{id}/items") + emu.calls("GET", "/v1/playlists/{id}/tracks")


@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_entries_stored_exactly_once_and_rerun_costs_one_call(
    profile: str, emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(profile=profile, playlist_sizes=(730, 410))
    env = env_for(emu)
    result = fetch_sources(env, features=False)
    limit = 50 if profile == "dev-2026" else 100
    pages = math.ceil(730 / limit) + math.ceil(410 / limit)
    assert page_calls(emu) == pages
    assert emu.calls("GET", META) == 2
    assert emu.calls(status=200) == pages + 2 + 1  # + one token refresh, nothing else
    assert result.total_calls == pages + 2
    for pid in emu.playlist_ids:
        assert stored_uris(env, pid) == emu.served_uris(pid)
    assert [p.status for p in result.playlists] == ["new", "new"]
    assert 0 < result.bytes_per_entry < 1024
    with Database(env.db_path) as db:
        assert count(db, "SELECT count(*) FROM playlists WHERE complete") == 2
        logged = count(db, "SELECT count(*) FROM api_calls WHERE phase = 'fetch'")
        missing_track = count(
            db,
            "SELECT count(*) FROM entries e WHERE item_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM tracks t WHERE t.id = e.item_id)",
        )
    assert logged == pages + 2
    assert missing_track == 0

    emu.reset_counter()
    again = fetch_sources(env, features=False)
    assert emu.calls("GET", META) == 2 and page_calls(emu) == 0
    assert [p.status for p in again.playlists] == ["unchanged", "unchanged"]
    assert [p.pages_reused for p in again.playlists] == [p.pages_fetched for p in result.playlists]


def test_resume_after_interruption_fetches_only_missing_pages(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(playlist_sizes=(600, 450))
    env = env_for(emu)
    emu.configure(quota=9)
    with pytest.raises(QuotaExceededError):
        fetch_sources(env, features=False, concurrency=2)
    with Database(env.db_path) as db:
        stored_pages = count(db, "SELECT count(*) FROM fetched_pages")
        stored_entries = count(db, "SELECT count(*) FROM entries")
    assert 0 < stored_pages < 21
    assert stored_entries == stored_pages * 50  # every stored page is whole

    emu.configure(quota=None)
    emu.reset_counter()
    result = fetch_sources(env, features=False)
    assert page_calls(emu) == 21 - stored_pages
    assert sorted(p.status for p in result.playlists) in (["new", "resumed"], ["resumed", "resumed"])
    for pid in emu.playlist_ids:
        assert stored_uris(env, pid) == emu.playlist_uris(pid)


def test_snapshot_change_refetches_that_playlist_only(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(playlist_sizes=(300, 200))
    env = env_for(emu)
    fetch_sources(env, features=False)
    p1, p2 = emu.playlist_ids
    extra = [u for u in emu.playlist_uris(p2) if u and u.startswith("spotify:track:")][:3]
    emu.edit_playlist(p1, add_uris=extra, remove_positions=[0, 5])
    emu.reset_counter()
    result = fetch_sources(env, features=False)
    assert [p.status for p in result.playlists] == ["refetched", "unchanged"]
    assert page_calls(emu) == math.ceil(301 / 50)
    assert stored_uris(env, p1) == emu.playlist_uris(p1)
    assert stored_uris(env, p2) == emu.playlist_uris(p2)


class EditingClient(SpotifyClient):
    """Edits the playlist on the emulator (as a user in the app would) while pages are being read."""

    emu: Emulator  # set by `editing_client`
    edit_at: frozenset[int] = frozenset()
    seen = 0

    def items_page(
        self, playlist_id: str, offset: int, limit: int | None = None, fields: str | None = None
    ) -> ItemsPage:
        type(self).seen += 1
        if type(self).seen in self.edit_at or (self.edit_at == {-1}):
            uri = next(u for u in self.emu.playlist_uris(playlist_id) if u and u.startswith("spotify:track:"))
            self.emu.edit_playlist(playlist_id, add_uris=[uri])
        return super().items_page(playlist_id, offset, limit, fields)


def editing_client(env: Environment, emu: Emulator, edit_at: set[int]) -> SpotifyClient:
    client = SpotifyClient.connect(env)
    client.__class__ = type(
        "Editing", (EditingClient,), {"emu": emu, "edit_at": frozenset(edit_at), "seen": 0}
    )
    return client


def test_playlist_edited_mid_fetch_is_restarted(emulator_factory: EmulatorFactory, env_for: EnvFor) -> None:
    emu = emulator_factory(playlist_sizes=(400, 100))
    env = env_for(emu)
    p1 = emu.playlist_ids[0]
    with editing_client(env, emu, {3}) as client:
        result = fetch_sources(env, [p1], client=client, features=False, concurrency=1)
    assert result.playlists[0].restarts == 1
    assert stored_uris(env, p1) == emu.playlist_uris(p1)
    assert len(emu.playlist_uris(p1)) == 401


def test_playlist_that_keeps_changing_is_a_conflict(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(playlist_sizes=(200, 100))
    env = env_for(emu)
    p1 = emu.playlist_ids[0]
    with editing_client(env, emu, {-1}) as client, pytest.raises(ConflictError) as info:
        fetch_sources(env, [p1], client=client, features=False, concurrency=2)
    assert info.value.exit_code == ExitCode.CONFLICT
    assert "kept changing" in info.value.message


def test_ctrl_c_keeps_the_pages_already_stored(emulator_factory: EmulatorFactory, env_for: EnvFor) -> None:
    emu = emulator_factory(playlist_sizes=(500, 100))
    env = env_for(emu)
    p1 = emu.playlist_ids[0]

    class Interrupting(SpotifyClient):
        calls = 0

        def items_page(
            self, playlist_id: str, offset: int, limit: int | None = None, fields: str | None = None
        ) -> ItemsPage:
            type(self).calls += 1
            if type(self).calls == 6:
                raise KeyboardInterrupt
            return super().items_page(playlist_id, offset, limit, fields)

    client = SpotifyClient.connect(env)
    client.__class__ = Interrupting
    with client, pytest.raises(KeyboardInterrupt):
        fetch_sources(env, [p1], client=client, features=False, concurrency=1)
    with Database(env.db_path) as db:
        kept = count(db, "SELECT count(*) FROM fetched_pages")
    assert 5 <= kept <= 9  # pages already in flight when Ctrl-C landed may be kept too
    emu.reset_counter()
    fetch_sources(env, [p1], features=False)
    assert page_calls(emu) == 10 - kept
    assert stored_uris(env, p1) == emu.playlist_uris(p1)


def test_liked_songs_and_special_entries(emulator_factory: EmulatorFactory, env_for: EnvFor) -> None:
    emu = emulator_factory(playlist_sizes=(300, 300))
    env = env_for(emu)
    old = emu.old_playlist_id
    result = fetch_sources(env, ["liked", old], features=False)
    with Database(env.db_path) as db:
        liked = [
            r[0]
            for r in db.fetchall("SELECT item_id FROM entries WHERE playlist_id = 'liked' ORDER BY position")
        ]
        nulls = count(db, "SELECT count(*) FROM entries WHERE playlist_id = ? AND added_at IS NULL", [old])
    assert liked == [t for t, _ in emu.library.liked]
    assert nulls > 0
    assert stored_uris(env, old) == emu.playlist_uris(old)
    emu.reset_counter()
    again = fetch_sources(env, ["liked", old], features=False)
    assert emu.calls("GET", "/v1/me/tracks") == 1 and emu.calls("GET", META) == 1
    assert [p.status for p in again.playlists] == ["unchanged", "unchanged"]
    assert result.playlists[0].entries == len(emu.library.liked)


@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_features_are_fetched_once_or_recorded_unavailable(
    profile: str, emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(profile=profile, playlist_sizes=(300, 200))
    env = env_for(emu)
    first = fetch_sources(env)
    with Database(env.db_path) as db:
        caps = dict(db.fetchall("SELECT name, available FROM capabilities"))
        tracks = count(db, "SELECT count(*) FROM tracks WHERE type = 'track'")
        features = count(db, "SELECT count(*) FROM audio_features")
        genres = count(db, "SELECT count(*) FROM artists WHERE genres IS NOT NULL")
        artists = count(db, "SELECT count(*) FROM artists")
    if profile == "dev-2026":
        assert caps == {"audio_features": False, "batch_artists": False}
        assert emu.calls(route="/v1/audio-features") == 0 and emu.calls(route="/v1/artists") == 0
        assert first.features is not None
        assert features == 0 and genres == 0 and not first.features.audio_features_available
    else:
        assert caps == {"audio_features": True, "batch_artists": True}
        assert features == tracks and genres == artists
        assert emu.calls("GET", "/v1/audio-features") == math.ceil(tracks / 100)
        assert emu.calls("GET", "/v1/artists") == math.ceil(artists / 50)
    emu.reset_counter()
    fetch_sources(env)
    assert emu.calls(route="/v1/audio-features") == 0 and emu.calls(route="/v1/artists") == 0


def test_a_lookup_spotify_refuses_is_recorded_with_its_reason_and_never_asked_again(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    # A client that takes the app for an extended-quota one, against Development Mode answers:
    # both batch lookups come back 403, and the fetch goes on with metadata only.
    emu = emulator_factory(profile="dev-2026", playlist_sizes=(120, 80))
    env = env_for(emu)
    fetch_sources(env, features=False)
    warnings = io.StringIO()
    env.capture(None, warnings, width=400)
    client = SpotifyClient.connect(env)
    client.profile = ApiProfile.EXTENDED
    with Database(env.db_path) as db:
        result = fetch_features(env, client, db)
        caps = dict(db.fetchall("SELECT name, reason FROM capabilities WHERE NOT available"))
    assert not result.audio_features_available and not result.artists_available
    assert result.audio_features_reason == caps["audio_features"]
    assert result.artists_reason == caps["batch_artists"]
    assert "refused audio features for this app (403" in caps["audio_features"]
    assert "refused batch artist lookups for this app (403" in caps["batch_artists"]
    said = warnings.getvalue()
    assert said.count("warning: no audio features:") == 1 and said.count("warning: no genres:") == 1
    assert "the analysis uses metadata only" in said
    emu.reset_counter()
    with Database(env.db_path) as db:
        again = fetch_features(env, client, db)
    assert emu.calls(route="/v1/audio-features") == 0 and emu.calls(route="/v1/artists") == 0
    assert again.audio_features_reason == result.audio_features_reason


def test_a_refused_lookup_leaves_the_batches_not_yet_sent_unsent() -> None:
    # One worker, fifty batches: the first 403 cancels those still queued, and the loop that
    # collects the answers must pass over them (it once raised CancelledError instead).
    sent: list[list[str]] = []

    def refuse(batch: list[str]) -> list[str]:
        sent.append(batch)
        raise ForbiddenError("Spotify refused this lookup (403)")

    batches = [[f"id{i}"] for i in range(50)]
    done, refused = _run_batches(batches, refuse, lambda batch, got: None, concurrency=1)
    assert refused is not None and done == 0
    assert sent[0] == ["id0"] and len(sent) < len(batches)


def test_audio_features_and_artist_lookups_go_out_together(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(profile="extended", playlist_sizes=(300, 200), latency_ms=200)
    log = emu.timings()
    fetch_sources(env_for(emu))
    audio = [r for r in log if r.template.startswith("/v1/audio-features")]
    artists = [r for r in log if r.template.startswith("/v1/artists")]
    assert audio and artists
    # Independent lookups: some artist lookup is already out before the last audio answer is back.
    assert min(r.arrived for r in artists) < max(r.answered for r in audio)
    assert min(r.arrived for r in audio) < max(r.answered for r in artists)
