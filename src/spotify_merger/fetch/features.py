"""Audio features and artist details, where the API still offers them.

Extended-quota apps get `GET /audio-features?ids=` (100 per call) and `GET /artists?ids=` (50 per
call, with genres, popularity, followers). Development Mode apps get neither: we record that once
in `capabilities`, with the reason in words the report can show, tell the user, and never call
again. Everything fetched is cached for good: a track asked about once (even one Spotify has no
features for) is never asked about again.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from spotify_merger.context import Environment
from spotify_merger.display import styled
from spotify_merger.errors import ForbiddenError
from spotify_merger.spotify.client import ApiProfile, SpotifyClient
from spotify_merger.spotify.models import JsonObject
from spotify_merger.store.calllog import CallLog
from spotify_merger.store.database import Database, insert_rows, utc_now

AUDIO = "audio_features"
ARTISTS = "batch_artists"
_FEATURES = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
    "time_signature",
)
_FEATURE_TYPES: tuple[str, ...] = (
    "VARCHAR",
    "DOUBLE",
    "DOUBLE",
    "INTEGER",
    "DOUBLE",
    "INTEGER",
    "DOUBLE",
    "DOUBLE",
    "DOUBLE",
)
_FEATURE_TYPES += ("DOUBLE", "DOUBLE", "DOUBLE", "INTEGER", "INTEGER", "TIMESTAMP")
DEV_AUDIO_REASON = (
    "Spotify no longer serves audio features to Development Mode apps (or apps created after "
    "27 Nov 2024); the analysis uses metadata only"
)
DEV_ARTISTS_REASON = (
    "Development Mode apps cannot look artists up in batches, and artist objects carry no genres, "
    "popularity or followers there; genre analysis is skipped"
)


_Fetched = TypeVar("_Fetched")


@dataclass
class FeaturesResult:
    audio_features_fetched: int
    audio_features_available: bool
    audio_features_reason: str | None
    artists_fetched: int
    artists_available: bool
    artists_reason: str | None


def capability(db: Database, name: str) -> tuple[bool, str | None] | None:
    row = db.fetchone("SELECT available, reason FROM capabilities WHERE name = ?", [name])
    return None if row is None else (bool(row[0]), row[1])


def record_capability(db: Database, name: str, available: bool, reason: str | None) -> None:
    with db.transaction() as conn:
        conn.execute("DELETE FROM capabilities WHERE name = ?", [name])
        conn.execute("INSERT INTO capabilities VALUES (?, ?, ?, ?)", [name, available, reason, utc_now()])


def _batches(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _run_batches(
    batches: list[list[str]],
    fetch: Callable[[list[str]], _Fetched],
    store: Callable[[list[str], _Fetched], None],
    concurrency: int,
) -> tuple[int, ForbiddenError | None]:
    """Fetch batches concurrently, storing each as it arrives; stops at the first 403."""
    done = 0
    refused: ForbiddenError | None = None
    with cf.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="features") as pool:
        futures = {pool.submit(fetch, batch): batch for batch in batches}
        try:
            for future in cf.as_completed(futures):
                if future.cancelled():  # never sent: a 403 before it said the answer would be the same
                    continue
                try:
                    result = future.result()
                except ForbiddenError as exc:
                    refused = refused or exc
                    for other in futures:
                        other.cancel()
                    continue
                store(futures[future], result)
                done += len(futures[future])
        except BaseException:
            for other in futures:
                other.cancel()
            raise
    return done, refused


def _audio(
    env: Environment, client: SpotifyClient, db: Database, log: CallLog, concurrency: int
) -> tuple[int, bool, str | None]:
    known = capability(db, AUDIO)
    if known is not None and not known[0]:
        return 0, False, known[1]
    if known is None and client.profile == ApiProfile.DEV:
        record_capability(db, AUDIO, False, DEV_AUDIO_REASON)
        env.warn(f"no audio features: {DEV_AUDIO_REASON}")
        return 0, False, DEV_AUDIO_REASON
    rows = db.fetchall(
        "SELECT id FROM tracks t WHERE type = 'track' "
        "AND NOT EXISTS (SELECT 1 FROM audio_features f WHERE f.track_id = t.id) ORDER BY id"
    )
    ids = [r[0] for r in rows]

    def store(batch: list[str], features: list[JsonObject | None]) -> None:
        by_id = {f.get("id"): f for f in features if isinstance(f, dict)}
        fetched = utc_now()
        # A track Spotify has no features for gets an all-NULL row: asked once, never again.
        values = [(tid, *[(by_id.get(tid) or {}).get(k) for k in _FEATURES], fetched) for tid in batch]
        with db.transaction() as conn:
            insert_rows(conn, "INSERT OR IGNORE INTO audio_features", values, _FEATURE_TYPES)
            log.flush_into(conn)

    done, refused = _run_batches(_batches(ids, 100), client.audio_features, store, concurrency)
    return _settle(
        env,
        db,
        AUDIO,
        known,
        done,
        refused,
        what="audio features",
        warning="no audio features: {reason}; the analysis uses metadata only",
    )


def _artists(
    env: Environment, client: SpotifyClient, db: Database, log: CallLog, concurrency: int
) -> tuple[int, bool, str | None]:
    known = capability(db, ARTISTS)
    if known is not None and not known[0]:
        return 0, False, known[1]
    if known is None and client.profile == ApiProfile.DEV:
        record_capability(db, ARTISTS, False, DEV_ARTISTS_REASON)
        env.say(styled("[dim]no genres: {reason}[/dim]", reason=DEV_ARTISTS_REASON))
        return 0, False, DEV_ARTISTS_REASON
    ids = [r[0] for r in db.fetchall("SELECT id FROM artists WHERE genres IS NULL ORDER BY id")]

    def store(batch: list[str], artists: list[JsonObject]) -> None:
        fetched = utc_now()
        found = {a.get("id"): a for a in artists}
        with db.transaction() as conn:
            for aid in batch:
                a = found.get(aid) or {}
                conn.execute(
                    "UPDATE artists SET genres = ?, popularity = ?, followers = ?, fetched_at = ?, "
                    "name = coalesce(?, name) WHERE id = ?",
                    [
                        list(a.get("genres") or []),
                        a.get("popularity"),
                        (a.get("followers") or {}).get("total"),
                        fetched,
                        a.get("name"),
                        aid,
                    ],
                )
            log.flush_into(conn)

    done, refused = _run_batches(_batches(ids, 50), client.artists, store, concurrency)
    return _settle(
        env, db, ARTISTS, known, done, refused, what="batch artist lookups", warning="no genres: {reason}"
    )


def _settle(
    env: Environment,
    db: Database,
    kind: str,
    known: tuple[bool, str | None] | None,
    done: int,
    refused: ForbiddenError | None,
    *,
    what: str,
    warning: str,
) -> tuple[int, bool, str | None]:
    """Record what Spotify answered: a 403 turns the capability off for this data dir, with its
    reason, so later runs do not ask again; a first success turns it on."""
    if refused is not None:
        reason = f"Spotify refused {what} for this app (403: {refused.message})"
        record_capability(db, kind, False, reason)
        env.warn(warning.format(reason=reason))
        return done, False, reason
    if known is None:
        record_capability(db, kind, True, None)
    return done, True, None


def fetch_features(
    env: Environment, client: SpotifyClient, db: Database, *, concurrency: int = 8
) -> FeaturesResult:
    """Fill audio_features and artist details for stored tracks that lack them, where possible."""
    log = CallLog("features")
    try:
        # The two lookups are independent (both read the stored tracks): they go out together, so
        # the phase takes the longer of the two, not their sum; the pacer bounds the total rate.
        with (
            client.policy.observing(recorder=log.record),
            cf.ThreadPoolExecutor(max_workers=2, thread_name_prefix="lookups") as pool,
        ):
            artists_lookup = pool.submit(_artists, env, client, db, log, concurrency)
            try:
                audio = _audio(env, client, db, log, concurrency)
                artists = artists_lookup.result()
            except BaseException:
                # One failed (or Ctrl-C): stop the other's calls too, then clear for later phases.
                client.policy.cancel()
                with contextlib.suppress(BaseException):
                    artists_lookup.result()
                client.policy.cancelled.clear()
                raise
    finally:
        log.flush(db)
    return FeaturesResult(audio[0], audio[1], audio[2], artists[0], artists[1], artists[2])
