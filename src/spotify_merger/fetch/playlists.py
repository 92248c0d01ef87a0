"""`fetch`: read the source playlists concurrently into DuckDB, resumably, within the rate limit.

Per playlist: one metadata call (name, owner, snapshot_id, total), then every missing page by
offset, all pages of all playlists sharing one thread pool and one call policy. Pages are stored
as they arrive, a commit every quarter of a second at most (each page whole or not at all), so
memory stays flat and an interruption loses at most the pages of the last moment. What happens
on a re-run:

- unchanged snapshot and complete: nothing beyond the metadata call;
- unchanged snapshot, incomplete: only the missing pages;
- new snapshot: the stored entries are wiped and the playlist is read afresh (and we say so);
- `total` moves between pages (someone is editing it): restart that playlist, a bounded number
  of times, then ConflictError.

Liked Songs has no snapshot_id; its first page (newest likes, and the total) stands in for one.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import queue
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spotify_merger.context import Environment
from spotify_merger.display import quote
from spotify_merger.errors import CallCancelled, ConflictError
from spotify_merger.fetch.features import FeaturesResult, fetch_features
from spotify_merger.fetch.sources import resolve_sources
from spotify_merger.progress import TaskProgress
from spotify_merger.spotify.client import ApiProfile, SpotifyClient
from spotify_merger.spotify.ids import LIKED
from spotify_merger.spotify.models import ItemsPage, PlaylistInfo
from spotify_merger.store.calllog import CallLog
from spotify_merger.store.database import Database, shield_ctrl_c
from spotify_merger.store.lock import data_dir_lock
from spotify_merger.store.pages import (
    Page,
    PlaylistRow,
    begin_playlist,
    remember_source_order,
    store_pages,
    stored_entries,
)

MAX_RESTARTS = 3
# Pages that arrive within this long share one commit: each commit costs a few ms on top of its
# rows, and the main thread that pays it also hands the workers their next pages.
GROUP_COMMIT_S = 0.25
debug_log = logging.getLogger("spotify_merger.fetch")  # -vv: what each fetch reads or reuses
LIKED_PAGE = 50
Asked = Mapping[str, "cf.Future[PlaylistInfo]"]  # playlist id -> its metadata call, already sent


@dataclass
class PlaylistResult:
    id: str
    name: str | None
    total: int
    entries: int  # stored in DuckDB now
    pages_fetched: int
    pages_reused: int
    status: str  # "unchanged" | "new" | "resumed" | "refetched"
    restarts: int = 0


@dataclass
class FetchResult:
    playlists: list[PlaylistResult]
    calls: dict[str, int]
    total_calls: int
    bytes_received: int
    seconds: float
    profile: ApiProfile
    features: FeaturesResult | None = None  # when features ran

    entries_fetched: int = 0
    page_bytes: int = 0  # bytes of playlist metadata and pages (features excluded)

    @property
    def bytes_per_entry(self) -> float:
        """Bytes downloaded per entry read in this run (0 when nothing was read)."""
        return self.page_bytes / self.entries_fetched if self.entries_fetched else 0.0


@dataclass(eq=False)
class _Run:
    id: str
    name: str | None = None
    snapshot: str | None = None
    total: int = 0
    page_size: int = 50
    generation: int = 0
    restarts: int = 0
    status: str = "new"
    expected: set[int] = field(default_factory=set)
    done: set[int] = field(default_factory=set)
    reused: int = 0
    fetched_entries: int = 0
    finished: bool = False
    first_page: ItemsPage | None = None  # Liked Songs: page 0, read as its metadata
    futures: list[cf.Future[None]] = field(default_factory=list)


# Events workers send to the main thread: (kind, run, generation, payload).
_Event = tuple[str, _Run, int, Any]


class _Fetcher:
    """Workers fetch; the main thread alone plans and writes (one writer, group commits)."""

    def __init__(
        self,
        env: Environment,
        client: SpotifyClient,
        db: Database,
        log: CallLog,
        bars: TaskProgress,
        role: str = "source",
        concurrency: int = 1,
    ) -> None:
        self.env = env
        self.role = role
        self.concurrency = concurrency  # pages asked for at once: the pool's size
        self.client = client
        self.db = db
        self.log = log
        self.bars = bars
        # Bounded: when the writer lags, workers wait instead of piling pages up in memory.
        self.events: queue.Queue[_Event] = queue.Queue(maxsize=64)
        self.outstanding = 0
        self.last_commit = 0.0
        self.pool: cf.ThreadPoolExecutor | None = None
        self.runs: list[_Run] = []

    # -- worker side -------------------------------------------------------------------------------

    def _submit_meta(self, run: _Run) -> None:
        self._submit(run, lambda generation: self.meta_task(run, generation))

    def _submit_answer(self, run: _Run, answer: cf.Future[PlaylistInfo]) -> None:
        self._submit(run, lambda generation: ("meta", run, generation, answer.result()))

    def _submit_page(self, run: _Run, offset: int, page: ItemsPage | None = None) -> None:
        self._submit(run, lambda generation: self.page_task(run, generation, offset, page))

    def _submit(self, run: _Run, work: Callable[[int], _Event]) -> None:
        """Run `work(generation)` on the pool; its event (or its exception) goes to the main thread."""
        assert self.pool is not None
        generation = run.generation

        def task() -> None:
            try:
                event = work(generation)
            except BaseException as exc:  # handed to the main thread, which decides
                event = ("error", run, generation, exc)
            self.events.put(event)

        self.outstanding += 1
        run.futures.append(self.pool.submit(task))

    def meta_task(self, run: _Run, generation: int) -> _Event:
        if run.id != LIKED:
            return ("meta", run, generation, self.client.playlist_meta(run.id))
        page = self.client.liked_page(0, LIKED_PAGE)
        head = page.items[0] if page.items else {}
        newest = (head.get("item") or {}).get("id")
        snapshot = f"liked:{page.total}:{head.get('added_at')}:{newest}"
        # The event queue hands this to the main thread, which reads it only after the event.
        run.first_page = page
        return (
            "meta",
            run,
            generation,
            PlaylistInfo(LIKED, "Liked Songs", snapshot_id=snapshot, total=page.total),
        )

    def page_task(self, run: _Run, generation: int, offset: int, page: ItemsPage | None = None) -> _Event:
        if page is None:
            if run.id == LIKED:
                page = self.client.liked_page(offset, run.page_size)
            else:
                page = self.client.items_page(run.id, offset, run.page_size)
        if page.total != run.total or len(page.items) != min(run.page_size, run.total - offset):
            return ("changed", run, generation, None)
        return ("page", run, generation, Page(run.id, offset, page.items, run.snapshot))

    # -- main thread -------------------------------------------------------------------------------

    def start(self, runs: list[_Run], known: Mapping[str, PlaylistInfo], asked: Asked) -> None:
        for run in runs:
            if run.id in known:
                self.plan(run, known[run.id])  # metadata the caller read already: no call here
            elif run.id in asked:
                self._submit_answer(run, asked[run.id])  # asked for already: its answer, when it comes
            else:
                self._submit_meta(run)

    def plan(self, run: _Run, meta: PlaylistInfo) -> None:
        run.name = meta.name
        run.snapshot = meta.snapshot_id
        run.total = meta.total or 0
        run.page_size = LIKED_PAGE if run.id == LIKED else self.client.page_limit
        with shield_ctrl_c():
            resume = begin_playlist(
                self.db,
                PlaylistRow(
                    meta.id,
                    meta.name,
                    meta.owner_id,
                    meta.owner_name,
                    meta.snapshot_id,
                    meta.total,
                    self.role,
                ),
                run.page_size,
                force_wipe=run.restarts > 0,
            )
        label = quote(run.name or run.id)
        if resume.status == "changed" and run.restarts == 0:
            self.env.say(f"{label}: changed on Spotify since the last fetch; reading it again from the start")
        if run.restarts == 0:
            run.status = {"resume": "resumed", "changed": "refetched"}.get(resume.status, resume.status)
        run.expected = set(range(0, run.total, run.page_size))
        run.done = set(resume.stored_offsets) & run.expected
        if resume.status == "unchanged":
            run.done = set(run.expected)
        run.reused = len(run.done) if run.restarts == 0 else 0
        debug_log.debug(
            "fetch plan for %s: snapshot %s, %d entries, %d pages of %d: %d to read, %d stored (%s)",
            label,
            run.snapshot,
            run.total,
            len(run.expected),
            run.page_size,
            len(run.expected - run.done),
            len(run.done),
            resume.status,
        )
        if resume.status == "unchanged":
            run.finished = True
            return
        self.bars.add(run.id, run.name or run.id, run.total, completed=stored_entries(self.db, run.id))
        missing = sorted(run.expected - run.done)
        first = run.first_page
        if first is not None and missing and missing[0] == 0:
            # Liked Songs: page 0 was read as the metadata call; store it rather than read it twice.
            self._submit_page(run, 0, first)
            missing = missing[1:]
        for offset in missing:
            self._submit_page(run, offset)
        if not missing and run.done >= run.expected and first is None:
            with shield_ctrl_c():
                store_pages(self.db, [], log=self.log, complete=[run.id])
            run.finished = True

    def restart(self, run: _Run) -> None:
        run.restarts += 1
        label = quote(run.name or run.id)
        if run.restarts > MAX_RESTARTS:
            raise ConflictError(
                f"{label} kept changing while it was being read ({MAX_RESTARTS} restarts)",
                "wait until nobody is editing it, then re-run `spotify-merger fetch`",
            )
        run.generation += 1  # events of the old generation are ignored from now on
        for future in run.futures:
            if future.cancel():
                self.outstanding -= 1
        run.futures = []
        self.env.say(f"{label}: changed while being read; starting it again ({run.restarts}/{MAX_RESTARTS})")
        run.done = set()
        self._submit_meta(run)

    def next_batch(self) -> list[_Event]:
        """Block for one event (waking up now and then, so Ctrl-C lands), then gather the pages
        that arrive until `GROUP_COMMIT_S` after the last commit; anything else is handled at once."""
        while True:
            try:
                batch = [self.events.get(timeout=0.5)]
                break
            except queue.Empty:
                continue
        # The last round of pages (all already asked for) is stored as it comes: what is still
        # unstored when the last page arrives is time the whole run waits for.
        while batch[-1][0] == "page" and self.outstanding - len(batch) > self.concurrency:
            wait = self.last_commit + GROUP_COMMIT_S - time.monotonic()
            try:
                batch.append(self.events.get(timeout=wait) if wait > 0 else self.events.get_nowait())
            except queue.Empty:
                break
        while True:
            try:
                batch.append(self.events.get_nowait())
            except queue.Empty:
                return batch

    def handle(self, batch: list[_Event]) -> None:
        pages: list[tuple[_Run, int, Page]] = []
        errors: list[BaseException] = []
        for kind, run, generation, payload in batch:
            self.outstanding -= 1
            if generation != run.generation:
                continue  # from before a restart
            if kind == "error":
                errors.append(payload)
            elif errors:
                if kind == "page":
                    pages.append((run, generation, payload))
            elif kind == "changed":
                self.restart(run)
            elif kind == "meta":
                self.plan(run, payload)
            else:
                pages.append((run, generation, payload))
        current = [(run, page) for run, generation, page in pages if generation == run.generation]
        if current:
            self._store(current)
        if errors:
            # Prefer the user's Ctrl-C, then a domain error, over cancellations it caused.
            errors.sort(key=lambda e: (not isinstance(e, KeyboardInterrupt), isinstance(e, CallCancelled)))
            raise errors[0]

    def _store(self, current: list[tuple[_Run, Page]]) -> None:
        done_now = []
        for run, page in current:
            run.done.add(page.offset)
            if not run.finished and run.done >= run.expected:
                run.finished = True
                done_now.append(run.id)
        with shield_ctrl_c():
            store_pages(self.db, [page for _, page in current], log=self.log, complete=done_now)
        self.last_commit = time.monotonic()
        for run, page in current:
            run.fetched_entries += len(page.items)
            self.bars.update(run.id, advance=len(page.items))

    def drain_after_failure(self) -> None:
        """Keep what was already fetched: store queued pages while the workers wind down."""
        assert self.pool is not None
        while self.outstanding > 0:
            try:
                kind, run, generation, payload = self.events.get(timeout=0.2)
            except queue.Empty:
                if all(f.done() for r in self.runs for f in r.futures):
                    return
                continue
            self.outstanding -= 1
            if kind == "page" and generation == run.generation:
                with contextlib.suppress(Exception), shield_ctrl_c():
                    store_pages(self.db, [payload], log=self.log)


def _remember_profile(db: Database, client: SpotifyClient, env: Environment) -> None:
    key = f"api_profile:{env.api_base}"
    if client.profile_known:
        if db.get_meta(key) != client.profile:
            db.set_meta(key, client.profile.value)
        return
    stored = db.get_meta(key)
    if stored:
        client.profile = stored


def fetch_sources(
    env: Environment,
    sources: list[str] | None = None,
    *,
    client: SpotifyClient | None = None,
    db: Database | None = None,
    features: bool = True,
    concurrency: int = 8,
    known: Mapping[str, PlaylistInfo] | None = None,
    asked: Asked | None = None,
    role: str = "source",
) -> FetchResult:
    """Fetch `sources` (or the .env defaults) into the database; see the module docstring.

    `known`: metadata the caller already read (say, from the user's library listing); those
    playlists cost no metadata call. `asked`: metadata calls the caller already sent (`run` sends
    them with its sign-in check, while this sets up), answered or not. `role`: "master" for the
    parts `sync` reads back, so the analysis never takes them for sources. Without `db`, the data
    dir's lock is held throughout (see `store.lock`).
    """
    how = _How(features, concurrency, dict(known or {}), dict(asked or {}), role)
    if db is not None:
        return _fetch(env, sources, client, db, how)
    env.ensure_dirs()
    with data_dir_lock(env.data_dir, "fetch"):
        return _fetch(env, sources, client, None, how)


@dataclass(frozen=True)
class _How:
    features: bool
    concurrency: int
    known: dict[str, PlaylistInfo]
    asked: dict[str, cf.Future[PlaylistInfo]]
    role: str


def _fetch(
    env: Environment, sources: list[str] | None, client: SpotifyClient | None, db: Database | None, how: _How
) -> FetchResult:
    features, concurrency = how.features, how.concurrency
    ids = resolve_sources(env, sources)
    started = time.perf_counter()
    own_db = db is None
    if db is None:
        env.ensure_dirs()
        db = Database(env.db_path)
    # A damaged page must stop the fetch here, not pass as "unchanged" and fail the report later.
    db.check_readable()
    log = CallLog("fetch")
    bars = TaskProgress(env)
    own_client = client is None
    try:
        if client is None:
            client = SpotifyClient.connect(env)
        calls_before = client.policy.counts.copy()
        bytes_before = client.bytes_received
        _remember_profile(db, client, env)
        remember_source_order(db, ids)
        runs = [_Run(pid) for pid in ids]
        try:
            with client.policy.observing(on_wait=bars.on_wait, recorder=log.record):
                with bars:
                    _run_all(_Fetcher(env, client, db, log, bars, how.role, max(1, concurrency)), runs, how)
                _remember_profile(db, client, env)
                page_bytes = client.bytes_received - bytes_before
                feature_result = fetch_features(env, client, db) if features else None
        finally:
            log.flush(db)
        counts = client.policy.counts - calls_before
        results = [
            PlaylistResult(
                r.id,
                r.name,
                r.total,
                stored_entries(db, r.id),
                len(r.expected) - r.reused,
                r.reused,
                r.status,
                r.restarts,
            )
            for r in runs
        ]
        return FetchResult(
            playlists=results,
            calls=dict(counts),
            total_calls=sum(counts.values()),
            bytes_received=client.bytes_received - bytes_before,
            seconds=time.perf_counter() - started,
            profile=client.profile,
            features=feature_result,
            entries_fetched=sum(r.fetched_entries for r in runs),
            page_bytes=page_bytes,
        )
    finally:
        if own_client and client is not None:
            client.close()
        if own_db:
            db.close()


def _run_all(fetcher: _Fetcher, runs: list[_Run], how: _How) -> None:
    client = fetcher.client
    fetcher.runs = runs
    fetcher.pool = cf.ThreadPoolExecutor(max_workers=fetcher.concurrency, thread_name_prefix="fetch")
    try:
        fetcher.start(runs, how.known, how.asked)
        while fetcher.outstanding > 0:
            fetcher.handle(fetcher.next_batch())
    except BaseException:
        client.policy.cancel()
        for run in runs:
            for future in run.futures:
                if future.cancel():
                    fetcher.outstanding -= 1
        fetcher.drain_after_failure()
        raise
    finally:
        fetcher.pool.shutdown(wait=True, cancel_futures=True)
        client.policy.cancelled.clear()
