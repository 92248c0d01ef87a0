"""`--verify full` while the write is still going: each page is read back as soon as it is final.

An add only appends, so once Spotify has confirmed the first `have` songs of a part, later adds of
this run can no longer change the pages below `have`: they can be read back right away, while the
part's next batches are still being sent (the pacer shares the request budget between the two).
When the part's last add is confirmed, what is left is read at once: the pages its last batches
completed, and the playlist's `snapshot_id` and size, which must be exactly those Spotify returned
for that last add. So a passing check proves that every position was read back after it was
written and matched the plan, and that nothing changed the playlist after the last add.

Anything short of a clean pass (a page that differs, a size or snapshot that is not the last
add's, a read that failed) is not reported from these reads: the whole part is read again after
its write, as `verify` does, and that read decides and names the first difference. A stale read
or an edit during the write therefore costs a second read, never a wrong verdict.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import contextvars
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from spotify_merger.display import quote
from spotify_merger.spotify.models import ItemsPage, PlaylistInfo
from spotify_merger.write.journal import Journal, PartRecord, RunRecord
from spotify_merger.write.verify import READ_CONCURRENCY, PartCheck, check_part, first_difference
from spotify_merger.write.writer import WriteClient

Phase = Callable[[str], AbstractContextManager[None]]
debug_log = logging.getLogger("spotify_merger.write")  # -vv: why a part is read again


@dataclass
class _PartReads:
    playlist_id: str
    expected: list[str]
    submitted: int = 0  # pages below this offset have been asked for
    pages: dict[int, cf.Future[ItemsPage]] = field(default_factory=dict)


class RollingReadBack:
    """Reads each part of `run` back while it is written; `finish` gives the part's verdict."""

    def __init__(
        self,
        client: WriteClient,
        journal: Journal,
        run: RunRecord,
        *,
        phase: Phase | None = None,
        concurrency: int = READ_CONCURRENCY,
    ) -> None:
        self.client = client
        self.journal = journal
        self.run = run
        self._phase = phase
        self._pool = cf.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="read-back")
        self._parts: dict[int, _PartReads | None] = {}
        self._lock = threading.Lock()
        self.fallbacks = 0  # parts read again in full after their write (for tests and -vv)

    def __enter__(self) -> RollingReadBack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop reads not yet started (a failed or interrupted write) and wait for those in flight."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- while the part is written (in the part's own thread) ---------------------------------------

    def advance(self, part: PartRecord, have: int) -> None:
        """The part's first `have` planned songs are confirmed on Spotify: read every page they complete."""
        reads = self._reads(part)
        if reads is None:
            return
        limit = self.client.page_limit
        while reads.submitted + limit <= min(have, len(reads.expected)):
            self._submit(reads, reads.submitted, limit)
            reads.submitted += limit

    def finish(self, part: PartRecord) -> PartCheck:
        """After the part's last add: read the rest and the snapshot; anything amiss, read it all again."""
        reads = self._reads(part)
        if reads is None:
            return check_part(self.client, self.journal, self.run, part)
        limit = self.client.page_limit
        while reads.submitted < len(reads.expected):
            self._submit(reads, reads.submitted, limit)
            reads.submitted += limit
        meta = self._in_phase(self.client.playlist_meta, reads.playlist_id)
        doubt = self._doubt(part, reads, meta)
        if doubt is None:
            return PartCheck(
                part.part_index, part.name, reads.playlist_id, len(reads.expected), len(reads.expected)
            )
        debug_log.debug("read-back: %s is read again, whole, after its write: %s", quote(part.name), doubt)
        with self._lock:
            self.fallbacks += 1
        return check_part(self.client, self.journal, self.run, part)

    # -- internals ----------------------------------------------------------------------------------

    def _reads(self, part: PartRecord) -> _PartReads | None:
        """The part's reads, started on first use; None for a part read back only at its end (one
        that held entries before this write, or has no playlist yet)."""
        with self._lock:
            if part.part_index not in self._parts:
                playable = part.playlist_id is not None and part.base_count == 0
                self._parts[part.part_index] = (
                    _PartReads(
                        str(part.playlist_id), self.journal.plan_uris(self.run.run_id, part.part_index)
                    )
                    if playable
                    else None
                )
            return self._parts[part.part_index]

    def _submit(self, reads: _PartReads, offset: int, limit: int) -> None:
        # Each read runs in a copy of a context set to the verify phase, so the call log files it there.
        context = self._context()
        reads.pages[offset] = self._pool.submit(
            context.run, self.client.uri_page, reads.playlist_id, offset, limit
        )

    def _context(self) -> contextvars.Context:
        with self._phase("verify") if self._phase else contextlib.nullcontext():
            return contextvars.copy_context()

    def _in_phase(self, read: Callable[[str], PlaylistInfo], playlist_id: str) -> PlaylistInfo | None:
        future = self._pool.submit(self._context().run, read, playlist_id)
        try:
            return future.result()
        except Exception:  # the full read that follows meets (and reports) the same trouble
            return None

    def _doubt(self, part: PartRecord, reads: _PartReads, meta: PlaylistInfo | None) -> str | None:
        """Why the reads made while the part was written do not prove it; None if they do."""
        if meta is None:
            return "its snapshot could not be read"
        if meta.total != len(reads.expected):
            return f"it holds {meta.total} songs"
        if meta.snapshot_id is None or meta.snapshot_id != self.journal.last_snapshot(
            self.run.run_id, part.part_index
        ):
            return "its snapshot is not the last add's"  # changed since, or the journal cannot vouch
        limit = self.client.page_limit
        for offset, future in sorted(reads.pages.items()):
            try:
                page = future.result()
            except Exception:  # the full read that follows meets (and reports) the same trouble
                return f"the page at {offset} could not be read"
            if first_difference(reads.expected[offset : offset + limit], page.uris, offset) is not None:
                return f"the page at {offset} differed when it was read"
        return None
