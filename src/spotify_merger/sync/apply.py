"""Writing one frozen sync: removals, then appends, then a read-back of what was touched.

The parts at once (independent playlists, as `MasterWriter` writes a run's parts); within a
part, strictly in order: the restores an interrupted sync owed, the deletes (every occurrence of each
URI, naming the snapshot_id the plan was read at), the restores of copies that stay, then the
appends, which `MasterWriter` writes as it writes a `run` (same journal, same exactly-once
rules), counting positions after the entries the part already holds. Each removal step is
recorded as intended before its request and done after; a lost answer is settled by reading the
part's size (and, for a restore, the entries put back) before anything is sent again.

Anything that shows the part changed under us (a size that fits neither "applied" nor "not
applied", a read-back that differs, an add refused because the part is full) raises
`MasterChanged`: the engine then reads the part again and plans anew; it never writes blind.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from spotify_merger.display import quote
from spotify_merger.errors import ConflictError, ForbiddenError, LostResponseError
from spotify_merger.spotify.models import ItemsPage, JsonObject, PlaylistInfo, SpotifyUser, entry_uri
from spotify_merger.store.database import Database
from spotify_merger.store.pages import PlaylistRow, replace_entries
from spotify_merger.sync.delta import Delta
from spotify_merger.sync.record import SyncJournal
from spotify_merger.sync.steps import RemovalStep
from spotify_merger.write.journal import PartRecord, RunRecord
from spotify_merger.write.writer import MAX_PART_THREADS, MasterWriter, WriteClient, read_uris, scope_error

MAX_LOST_IN_A_ROW = 8


class MasterChanged(Exception):
    """The master changed while we were writing it: read it again and plan again."""

    def __init__(self, part: str, why: str) -> None:
        super().__init__(f"{part}: {why}")
        self.part = part
        self.why = why


class SyncClient(WriteClient, Protocol):
    """What sync needs on top of the writer's calls (`spotify.client.SpotifyClient` has it all)."""

    def remove_items(self, playlist_id: str, uris: list[str], snapshot_id: str | None) -> str: ...

    def items_page(
        self, playlist_id: str, offset: int, limit: int | None = None, fields: str | None = None
    ) -> ItemsPage: ...

    def me(self) -> SpotifyUser: ...

    def library_page(self, offset: int = 0) -> tuple[list[PlaylistInfo], int]: ...

    def in_library(self, playlist_ids: list[str]) -> list[bool]: ...


@dataclass
class ApplyStats:
    deleted_uris: int = 0
    restored: int = 0
    lost_responses: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, **increments: int) -> None:
        with self._lock:  # parts are changed at once
            for name, n in increments.items():
                setattr(self, name, getattr(self, name) + n)


T = TypeVar("T")
R = TypeVar("R")


def each_part(job: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`job` for each part at once (they are independent playlists), as `MasterWriter` writes them;
    the results in order. Every job runs to its end (its journal stays exact); then the first
    failure, in part order, is raised."""
    if len(items) <= 1:
        return [job(item) for item in items]
    with cf.ThreadPoolExecutor(
        max_workers=min(MAX_PART_THREADS, len(items)), thread_name_prefix="sync"
    ) as pool:
        futures = [pool.submit(job, item) for item in items]
        cf.wait(futures)
    return [f.result() for f in futures]


def remove(client: SyncClient, journal: SyncJournal, run: RunRecord, stats: ApplyStats) -> None:
    """Run every part's removal steps (owed restores first, as frozen); the parts at once."""
    jobs: list[tuple[PartRecord, list[RemovalStep]]] = []
    for part in run.parts:
        steps = [s for s in journal.steps(run.run_id, part.part_index) if s.state not in ("done", "skipped")]
        if part.playlist_id is not None and steps:
            jobs.append((part, steps))

    def one(job: tuple[PartRecord, list[RemovalStep]]) -> None:
        part, steps = job
        snapshot = part.created_snapshot
        for step in steps:  # within a part, strictly in order: each names the snapshot the last left
            snapshot = _step(client, journal, part, step, snapshot, stats)
        journal.set_part_snapshot(run.run_id, part.part_index, snapshot)

    each_part(one, jobs)


def _step(
    client: SyncClient,
    journal: SyncJournal,
    part: PartRecord,
    step: RemovalStep,
    snapshot: str | None,
    stats: ApplyStats,
) -> str | None:
    assert part.playlist_id is not None
    pid = part.playlist_id
    for _ in range(MAX_LOST_IN_A_ROW + 1):
        journal.mark_step(step, "intended")
        try:
            if step.op == "delete":
                new = client.remove_items(pid, step.uris, snapshot)
            else:
                new = client.add_items(pid, step.uris, position=step.position)
        except ForbiddenError as exc:
            raise scope_error(f"change {quote(part.name)}", exc) from None
        except LostResponseError:
            stats.count(lost_responses=1)
            applied, new_snapshot = _was_applied(client, part, step)
            if not applied:
                continue  # provably not applied: send it again
            new = new_snapshot or snapshot or ""
        journal.mark_step(step, "done", new)
        if step.op == "delete":
            stats.count(deleted_uris=len(step.uris))
        else:
            stats.count(restored=len(step.uris))
        return new
    raise LostResponseError(f"changing {quote(part.name)} kept losing Spotify's answers")


def _was_applied(client: SyncClient, part: PartRecord, step: RemovalStep) -> tuple[bool, str | None]:
    """Whether a step whose answer was lost went through, from the part's size (and the copies put back)."""
    assert part.playlist_id is not None
    meta = client.playlist_meta(part.playlist_id)
    total = meta.total or 0
    if step.op == "delete":
        after = step.expected_before - sum(step.occurrences.get(u, 0) for u in step.uris)
    else:
        after = step.expected_before + len(step.uris)
    if total == step.expected_before and after != total:
        return False, None
    if total != after:
        raise MasterChanged(
            part.name, f"it holds {total:,} entries, neither {step.expected_before:,} nor {after:,}"
        )
    if step.op == "restore" and step.position is not None:
        back = read_uris(client, part.playlist_id, step.position, step.position + len(step.uris))
        if back != step.uris:
            raise MasterChanged(
                part.name, f"the entries at position {step.position + 1:,} are not the ones put back"
            )
    return True, meta.snapshot_id


def append(writer: MasterWriter, run: RunRecord) -> RunRecord:
    """The appends and new parts, by the writer `run` uses; a part edited meanwhile is MasterChanged."""
    try:
        return writer.write(run)
    except ConflictError as exc:
        raise MasterChanged("the master", exc.message) from None


@dataclass
class Checked:
    part_index: int
    playlist_id: str
    name: str
    first: int  # first position read back
    reads: int  # page calls
    ok: bool
    problem: str | None = None


def verify_and_store(
    client: SyncClient,
    journal: SyncJournal,
    db: Database,
    run: RunRecord,
    delta: Delta,
    *,
    page_size: int,
) -> list[Checked]:
    """Read back each touched part from its first touched position; store it when it is exact.

    Expected: the part as planned after this sync. Entries before the first touched position were
    not touched and are not read. A part that matches is stored with the snapshot_id of our last
    write to it, so the next sync, finding that snapshot, reads nothing.
    """
    planned = {p.index: p for p in delta.parts}
    fresh = journal.get_run(run.run_id)
    assert fresh is not None

    def one(part: PartRecord) -> Checked:
        if part.playlist_id is None:
            raise MasterChanged(part.name, "it was never created")
        want = planned[part.part_index].after
        first = _first_touched(journal, run, part, planned[part.part_index].touched_from)
        lo = max(0, first - 1)  # one untouched entry as an anchor
        items, total, reads = _read_from(client, part.playlist_id, lo)
        got = [entry_uri(e) for e in items]
        if total != len(want) or got != want[lo:]:
            where = next(
                (lo + i for i, (a, b) in enumerate(zip(got, want[lo:], strict=False)) if a != b), None
            )
            why = f"{total:,} entries instead of {len(want):,}" if total != len(want) else f"position {where}"
            return Checked(part.part_index, part.playlist_id, part.name, lo, reads, False, why)
        snapshot = journal.last_snapshot(run.run_id, part.part_index)
        meta = PlaylistRow(part.playlist_id, part.name, None, None, snapshot, total, "master")
        replace_entries(db, meta, lo, items, page_size=page_size)
        return Checked(part.part_index, part.playlist_id, part.name, lo, reads, True)

    return each_part(one, fresh.parts)


def _first_touched(journal: SyncJournal, run: RunRecord, part: PartRecord, planned_first: int | None) -> int:
    owed = [
        s.position
        for s in journal.steps(run.run_id, part.part_index)
        if s.op == "restore" and s.position is not None
    ]
    firsts = [f for f in (planned_first, *owed) if f is not None]
    return min(firsts) if firsts else part.base_count


def _read_from(client: SyncClient, playlist_id: str, start: int) -> tuple[list[JsonObject], int, int]:
    """Every entry from `start` to the end (the first page tells where the end is)."""
    page = client.items_page(playlist_id, start)
    items = list(page.items)
    reads = 1
    while start + len(items) < page.total:
        more = client.items_page(playlist_id, start + len(items))
        reads += 1
        if not more.items:
            break
        items.extend(more.items)
    return items, page.total, reads
