"""Create the master playlist(s) and add the planned songs exactly once, whatever crashes in between.

The journal (`journal.py`) says what was planned, sent and confirmed; the server says what is
actually there. Before sending anything on a resumed part, and after every add whose answer was
lost, the writer reads the playlist back (its total, then just the stretch of items in doubt) and
continues from the truth: a batch the server applied is recorded as done, one it did not apply
is sent again, and anything that is not a prefix of the plan is a conflict we never paper over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from spotify_merger.context import Environment
from spotify_merger.display import quote
from spotify_merger.errors import (
    ConflictError,
    ForbiddenError,
    LostResponseError,
    MergerError,
    NotFoundError,
    ServerError,
)
from spotify_merger.spotify.models import CreatedPlaylist, ItemsPage, PlaylistInfo
from spotify_merger.spotify.policy import CallPolicy
from spotify_merger.write.journal import MAX_BATCH, Journal, PartRecord, PartState, RunRecord, RunStatus

debug_log = logging.getLogger("spotify_merger.write")  # -vv: every journalled batch
MAX_LOST_IN_A_ROW = 8  # consecutive lost answers tolerated for one part before giving up for now
NEW_MASTER_HINT = (
    "re-run with --new-master to leave that playlist as it is and create a new master "
    "(or `spotify-merger undo` to remove it first)"
)
WRITE_SCOPE = "playlist-modify-private"
SCOPE_HINT = (
    "run `spotify-merger auth` again and approve every permission it asks for "
    f"(or use a SPOTIFY_REFRESH_TOKEN issued with {WRITE_SCOPE})"
)


def scope_error(action: str, exc: ForbiddenError) -> ForbiddenError:
    """A 403 on a write: name the missing scope when Spotify says which one."""
    found = re.search(r"requires ([a-z-]+(?: or [a-z-]+)*)", exc.message)
    if found or "scope" in exc.message.lower():
        scope = found.group(1) if found else WRITE_SCOPE
        return ForbiddenError(f"Spotify refused to {action}: the sign-in lacks the {scope} scope", SCOPE_HINT)
    return ForbiddenError(f"Spotify refused to {action}: {exc.message}", SCOPE_HINT)


class WriteClient(Protocol):
    """Everything the write step (create, add, verify, undo) needs from `spotify.client.SpotifyClient`.

    `policy` is the client's call policy: the write observes its waits and calls per phase
    (`CallPolicy.observing`), reads its call counts for the run summary and its pacing for the
    time estimate.
    """

    @property
    def page_limit(self) -> int: ...

    @property
    def policy(self) -> CallPolicy: ...

    def playlist_meta(self, playlist_id: str) -> PlaylistInfo: ...

    def items_page(
        self, playlist_id: str, offset: int, limit: int | None = None, fields: str | None = None
    ) -> ItemsPage: ...

    def create_playlist(self, name: str, description: str, *, public: bool = False) -> CreatedPlaylist: ...

    def add_items(self, playlist_id: str, uris: list[str], position: int | None = None) -> str: ...

    def user_playlists(self) -> list[PlaylistInfo]: ...

    def unfollow_playlist(self, playlist_id: str) -> None: ...


ProgressCallback = Callable[[PartRecord, int], None]  # (part, songs on the server so far)


def read_uris(client: WriteClient, playlist_id: str, start: int, end: int) -> list[str | None]:
    """The URIs at positions [start, end) of a playlist, in as few page calls as the limit allows."""
    out: list[str | None] = []
    offset = start
    while offset < end:
        limit = min(client.page_limit, end - offset)
        page = client.items_page(playlist_id, offset, limit=limit)
        if not page.items:
            break
        out.extend(page.uris)
        offset += len(page.items)
    return out[: end - start]


def find_created(client: WriteClient, run: RunRecord, part: PartRecord) -> PlaylistInfo | None:
    """The user's playlist with this part's exact name and this run's marker, if Spotify has one.

    A create whose answer was lost (or a crash right after it) leaves no id in the journal; the
    marker in the description is how the playlist is found again, never by name alone.
    """
    for playlist in client.user_playlists():
        if playlist.name == part.name and run.marker in (playlist.description or ""):
            return playlist
    return None


def describe(sources: list[str], source_names: dict[str, str], marker: str) -> str:
    """The master's description: where it was merged from, plus the run marker used to find it again."""
    names = ", ".join(source_names.get(s, s) for s in sources)
    tail = f" ({marker})"
    text = f"Merged and deduplicated from: {names}"
    # Spotify keeps descriptions to 300 characters; the marker must survive any truncation.
    if len(text) + len(tail) > 300:
        text = text[: 300 - len(tail) - 1] + "…"
    return text + tail


@dataclass
class WriteStats:
    created: int = 0
    added: int = 0
    reconciled: int = 0  # songs found on the server that the journal had not confirmed
    lost_responses: int = 0
    resumed_parts: list[int] = field(default_factory=list)


class MasterWriter:
    """Writes one journalled run to Spotify."""

    def __init__(
        self,
        env: Environment,
        client: WriteClient,
        journal: Journal,
        *,
        source_names: dict[str, str] | None = None,
        on_progress: ProgressCallback | None = None,
        trust_existing: bool = False,
    ) -> None:
        self.env = env
        self.client = client
        self.journal = journal
        self.source_names = source_names or {}
        self.on_progress = on_progress
        # Sync reads every existing part (and checks the library) just before freezing its plan:
        # a part with no batch yet needs no read-back before its first add.
        self.trust_existing = trust_existing
        self.stats = WriteStats()

    # -- the whole run ----------------------------------------------------------------------------

    def write(self, run: RunRecord) -> RunRecord:
        for part in run.parts:
            self._write_part(run, part)
        self.journal.set_status(run.run_id, RunStatus.WRITTEN)
        refreshed = self.journal.get_run(run.run_id)
        assert refreshed is not None
        return refreshed

    def _write_part(self, run: RunRecord, part: PartRecord) -> None:
        playlist_id, how = self._ensure_playlist(run, part)
        part = self.journal.part(run.run_id, part.part_index)
        have = self._on_the_server(run, part, playlist_id, how)
        self._progress(part, have)
        lost_in_a_row = 0
        while have < part.planned_count:
            count = min(MAX_BATCH, part.planned_count - have)
            uris = self.journal.plan_uris(run.run_id, part.part_index, have, have + count)
            batch = self.journal.intend_batch(run.run_id, part.part_index, have, count)
            debug_log.debug(
                "write: %s batch %d adds positions %d-%d",
                quote(part.name),
                batch.batch_index,
                have + 1,
                have + count,
            )
            try:
                snapshot = self.client.add_items(playlist_id, uris)
            except ForbiddenError as exc:
                raise _refused(part, exc) from None
            except ServerError as exc:
                if not _is_lost(exc):
                    raise
                # The add may or may not have been applied: look before sending anything again.
                self.stats.lost_responses += 1
                lost_in_a_row += 1
                if lost_in_a_row > MAX_LOST_IN_A_ROW:
                    raise
                have = self._reconcile(run, self.journal.part(run.run_id, part.part_index), playlist_id)
                self._progress(part, have)
                continue
            lost_in_a_row = 0
            self.journal.complete_batch(run.run_id, part.part_index, batch.batch_index, snapshot)
            self.stats.added += count
            have += count
            self._progress(part, have)

    def _on_the_server(self, run: RunRecord, part: PartRecord, playlist_id: str, how: str) -> int:
        """How many of the part's planned songs are on Spotify before the next add."""
        fresh = (
            self.trust_existing and how == "journal" and not self.journal.batches(run.run_id, part.part_index)
        )
        if how == "created" or fresh:
            return 0  # just created (empty, clean journal), or just read by sync: nothing in doubt
        if how == "journal" and not self.trust_existing:  # one found in the library just now is in it
            self._check_in_library(part, playlist_id)
        have = self._reconcile(run, part, playlist_id)
        self.stats.resumed_parts.append(part.part_index)
        return have

    def _progress(self, part: PartRecord, have: int) -> None:
        if self.on_progress is not None:
            self.on_progress(part, have)

    # -- creating a part exactly once --------------------------------------------------------------

    def _ensure_playlist(self, run: RunRecord, part: PartRecord) -> tuple[str, str]:
        """The part's playlist id, and how we know it: "created" just now (hence empty), "found"
        in the library by the run's marker, or from the "journal"."""
        if part.state is PartState.CREATED and part.playlist_id:
            return part.playlist_id, "journal"
        if part.state is PartState.INTENDED:
            # We may have crashed after Spotify created it but before the journal recorded it.
            found = find_created(self.client, run, part)
            if found is not None:
                self._record_found(run, part, found)
                return found.id, "found"
        description = describe(run.sources, self.source_names, run.marker)
        for _attempt in range(3):
            self.journal.mark_part_intended(run.run_id, part.part_index)
            try:
                created = self.client.create_playlist(part.name, description, public=False)
            except ForbiddenError as exc:
                raise scope_error(f"create the playlist {quote(part.name)}", exc) from None
            except ServerError as exc:
                if not _is_lost(exc):
                    raise
                self.stats.lost_responses += 1
                found = find_created(self.client, run, part)
                if found is not None:
                    self._record_found(run, part, found)
                    return found.id, "found"
                continue
            self.journal.mark_part_created(
                run.run_id, part.part_index, created.id, created.url, created.snapshot_id
            )
            self.stats.created += 1
            return created.id, "created"
        raise ServerError(f"creating {quote(part.name)} kept failing without an answer from Spotify")

    def _record_found(self, run: RunRecord, part: PartRecord, found: PlaylistInfo) -> None:
        self.journal.mark_part_created(run.run_id, part.part_index, found.id, found.url, found.snapshot_id)
        # Its content is unknown to the journal: `_reconcile` reads it back from the server.
        self.journal.discard_batches(run.run_id, part.part_index)

    # -- reading back what is really there ---------------------------------------------------------

    def _check_in_library(self, part: PartRecord, playlist_id: str) -> None:
        """A master the user deleted is only unfollowed on Spotify (still readable): check the library."""
        if not any(p.id == playlist_id for p in self.client.user_playlists()):
            raise ConflictError(
                f"the master playlist {quote(part.name)} of an unfinished run was deleted from your library",
                NEW_MASTER_HINT,
            )

    def _reconcile(self, run: RunRecord, part: PartRecord, playlist_id: str) -> int:
        """How many leading planned songs the playlist really holds; records any the journal missed.

        Positions count after the part's `base_count` (the entries it held before this write: 0 for
        a new playlist, what a synced part held): the playlist must hold those, then a prefix of the plan.
        """
        try:
            meta = self.client.playlist_meta(playlist_id)
        except NotFoundError:
            raise ConflictError(
                f"the master playlist {quote(part.name)} of an unfinished run no longer exists on Spotify",
                NEW_MASTER_HINT,
            ) from None
        base = part.base_count
        total = (meta.total or 0) - base
        snapshot = meta.snapshot_id
        confirmed = self.journal.confirmed_count(run.run_id, part.part_index)
        if total > part.planned_count or total < confirmed:
            raise ConflictError(
                f"the master playlist {quote(part.name)} holds {total + base:,} songs where this tool had added "
                f"{confirmed:,} of {part.planned_count:,} after {base:,}: it was edited outside spotify-merger",
                NEW_MASTER_HINT,
            )
        if (
            total == confirmed
            and snapshot is not None
            and snapshot == self.journal.last_snapshot(run.run_id, part.part_index)
        ):
            return total  # untouched since our last confirmed add: nothing in doubt
        # Read the stretch in doubt, plus the last song we know of as an anchor: a deleted or
        # replaced tail shows up here; edits further up are caught by verify.
        lo = max(0, min(confirmed, total) - 1)
        actual = read_uris(self.client, playlist_id, base + lo, base + total)
        expected = self.journal.plan_uris(run.run_id, part.part_index, lo, total)
        if actual != expected:
            where = next(
                (lo + i for i, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e),
                lo + len(actual),
            )
            raise ConflictError(
                f"the master playlist {quote(part.name)} no longer matches the plan (first difference at "
                f"position {base + where + 1:,}): it was edited outside spotify-merger",
                NEW_MASTER_HINT,
            )
        if total > confirmed:
            self.journal.record_reconciled(
                run.run_id, part.part_index, confirmed, total - confirmed, snapshot
            )
            self.stats.reconciled += total - confirmed
        else:
            # Nothing beyond what the journal knew: whatever was in doubt was not applied.
            self.journal.record_reconciled(run.run_id, part.part_index, total, 0, snapshot)
        return total


def _refused(part: PartRecord, exc: ForbiddenError) -> MergerError:
    """An add refused with 403: the playlist is full (someone filled it meanwhile), or a scope is missing."""
    if "limit" in exc.message.lower():
        return ConflictError(f"the playlist {quote(part.name)} is full: {exc.message}", NEW_MASTER_HINT)
    return scope_error(f"add songs to {quote(part.name)}", exc)


def _is_lost(exc: ServerError) -> bool:
    """A non-idempotent request whose answer never came (the policy's LostResponseError)."""
    return isinstance(exc, LostResponseError)
