"""Create the master playlist(s) and add the planned songs exactly once, whatever crashes in between.

The journal (`journal.py`) says what was planned, sent and confirmed; the server says what is
actually there. Before sending anything on a resumed part, and after every add whose answer was
lost, the writer reads the playlist back (its total, then just the stretch of items in doubt) and
continues from the truth: a batch the server applied is recorded as done, one it did not apply
is sent again, and anything that is not a prefix of the plan is a conflict we never paper over.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import re
import threading
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
from spotify_merger.write.journal import (
    MAX_BATCH,
    BatchRecord,
    Journal,
    PartRecord,
    PartState,
    RunRecord,
    RunStatus,
)

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

    def uri_page(self, playlist_id: str, offset: int, limit: int | None = None) -> ItemsPage: ...

    def create_playlist(self, name: str, description: str, *, public: bool = False) -> CreatedPlaylist: ...

    def add_items(self, playlist_id: str, uris: list[str], position: int | None = None) -> str: ...

    def user_playlists(self) -> list[PlaylistInfo]: ...

    def unfollow_playlist(self, playlist_id: str) -> None: ...


ProgressCallback = Callable[[PartRecord, int], None]  # (part, songs on the server so far)
PartDone = Callable[[PartRecord], None]  # called in the part's thread once its adds are all confirmed
MAX_PART_THREADS = 8


def read_uris(client: WriteClient, playlist_id: str, start: int, end: int) -> list[str | None]:
    """The URIs at positions [start, end) of a playlist, in as few page calls as the limit allows."""
    out: list[str | None] = []
    offset = start
    while offset < end:
        page = client.uri_page(playlist_id, offset, min(client.page_limit, end - offset))
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


class _Stopped(Exception):
    """Another part failed: this one stops before its next batch (its journal stays exact)."""


class MasterWriter:
    """Writes one journalled run to Spotify: the parts at once, each part's batches in order.

    Parts are independent playlists, so each gets its own thread; within a part every batch waits
    for the answer to the one before (the order of the adds is the order of the master). Each part
    has its own journal rows, so what a kill or a lost answer leaves in doubt is at most one batch
    per part, and the pacer shared by all threads bounds the total request rate.
    """

    def __init__(
        self,
        env: Environment,
        client: WriteClient,
        journal: Journal,
        *,
        source_names: dict[str, str] | None = None,
        on_progress: ProgressCallback | None = None,
        on_part_done: PartDone | None = None,
        trust_existing: bool = False,
    ) -> None:
        self.env = env
        self.client = client
        self.journal = journal
        self.source_names = source_names or {}
        self.on_progress = on_progress
        self.on_part_done = on_part_done
        # Sync reads every existing part (and checks the library) just before freezing its plan:
        # a part with no batch yet needs no read-back before its first add.
        self.trust_existing = trust_existing
        self.stats = WriteStats()
        self._stats_lock = threading.Lock()
        self._stop = threading.Event()

    # -- the whole run ----------------------------------------------------------------------------

    def write(self, run: RunRecord) -> RunRecord:
        self._stop.clear()
        if len(run.parts) == 1:
            self._part_job(run, run.parts[0])
        else:
            self._write_parts(run)
        self.journal.set_status(run.run_id, RunStatus.WRITTEN)
        refreshed = self.journal.get_run(run.run_id)
        assert refreshed is not None
        return refreshed

    def _write_parts(self, run: RunRecord) -> None:
        """One thread per part; the first failure stops the others after their current batch."""
        pool = cf.ThreadPoolExecutor(
            max_workers=min(MAX_PART_THREADS, len(run.parts)), thread_name_prefix="write"
        )
        futures = [pool.submit(self._part_job, run, part) for part in run.parts]
        try:
            cf.wait(futures, return_when=cf.FIRST_EXCEPTION)
            if any(f.done() and f.exception() is not None for f in futures):
                self._stop.set()
            cf.wait(futures)
        except BaseException:
            # Ctrl-C: no new batch starts and waits end at once; requests in flight finish and are journalled.
            self._stop.set()
            self.client.policy.cancel()
            raise
        finally:
            pool.shutdown(wait=True)
            self.client.policy.cancelled.clear()
        for future in futures:  # the first part's failure, in part order; a stopped part is no failure
            error = future.exception()
            if error is not None and not isinstance(error, _Stopped):
                raise error

    def _part_job(self, run: RunRecord, part: PartRecord) -> None:
        try:
            self._write_part(run, part)
        except BaseException:
            self._stop.set()
            raise
        if self.on_part_done is not None:
            self.on_part_done(self.journal.part(run.run_id, part.part_index))

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            for name, n in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + n)

    def _write_part(self, run: RunRecord, part: PartRecord) -> None:
        playlist_id, how = self._ensure_playlist(run, part)
        part = self.journal.part(run.run_id, part.part_index)
        planned = self.journal.plan_uris(run.run_id, part.part_index)  # read once, sliced per batch
        have = self._on_the_server(run, part, playlist_id, how, planned)
        self._progress(part, have)
        self._add_all(run, part, playlist_id, planned, have)

    def _add_all(
        self, run: RunRecord, part: PartRecord, playlist_id: str, planned: list[str], have: int
    ) -> None:
        """Send the part's remaining batches in order, each journalled before and after."""
        lost_in_a_row = 0
        batch: BatchRecord | None = None
        while have < part.planned_count:
            if self._stop.is_set():
                raise _Stopped
            count = min(MAX_BATCH, part.planned_count - have)
            if batch is None:
                batch = self.journal.intend_batch(run.run_id, part.part_index, have, count)
            debug_log.debug(
                "write: %s batch %d adds positions %d-%d",
                quote(part.name),
                batch.batch_index,
                have + 1,
                have + count,
            )
            try:
                snapshot = self.client.add_items(playlist_id, planned[have : have + count])
            except ForbiddenError as exc:
                raise _refused(part, exc) from None
            except LostResponseError:
                # The add may or may not have been applied: look before sending anything again.
                self._count(lost_responses=1)
                lost_in_a_row += 1
                if lost_in_a_row > MAX_LOST_IN_A_ROW:
                    raise
                part = self.journal.part(run.run_id, part.part_index)
                have, batch = self._reconcile(run, part, playlist_id, planned), None
                self._progress(part, have)
                continue
            lost_in_a_row = 0
            have += count
            following = min(MAX_BATCH, part.planned_count - have)
            batch = self.journal.complete_batch(
                run.run_id, part.part_index, batch.batch_index, snapshot,
                then=(have, following) if following > 0 and not self._stop.is_set() else None,
            )  # fmt: skip
            self._count(added=count)
            self._progress(part, have)

    def _on_the_server(
        self, run: RunRecord, part: PartRecord, playlist_id: str, how: str, planned: list[str]
    ) -> int:
        """How many of the part's planned songs are on Spotify before the next add."""
        fresh = (
            self.trust_existing and how == "journal" and not self.journal.batches(run.run_id, part.part_index)
        )
        if how == "created" or fresh:
            return 0  # just created (empty, clean journal), or just read by sync: nothing in doubt
        if how == "journal" and not self.trust_existing:  # one found in the library just now is in it
            self._check_in_library(part, playlist_id)
        have = self._reconcile(run, part, playlist_id, planned)
        with self._stats_lock:
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
                self._count(lost_responses=1)
                found = find_created(self.client, run, part)
                if found is not None:
                    self._record_found(run, part, found)
                    return found.id, "found"
                continue
            self.journal.mark_part_created(
                run.run_id, part.part_index, created.id, created.url, created.snapshot_id
            )
            self._count(created=1)
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

    def _reconcile(self, run: RunRecord, part: PartRecord, playlist_id: str, planned: list[str]) -> int:
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
        expected = planned[lo:total]
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
            self._count(reconciled=total - confirmed)
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
