"""`fetch`: read the source playlists concurrently into DuckDB, resumably, within the rate limit.

Per playlist: one metadata call (name, owner, snapshot_id, total), then every missing page by
offset, all pages of all playlists sharing one thread pool and one call policy. Each page is
stored in its own transaction the moment it arrives, so memory stays flat and an interruption
loses at most the pages in flight. What happens on a re-run:

- unchanged snapshot and complete: nothing beyond the metadata call;
- unchanged snapshot, incomplete: only the missing pages;
- new snapshot: the stored entries are wiped and the playlist is read afresh (and we say so);
- `total` moves between pages (someone is editing it): restart that playlist, a bounded number
  of times, then ConflictError.

Liked Songs has no snapshot_id; its first page (newest likes, and the total) stands in for one.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from spotify_merger.client import SpotifyClient
from spotify_merger.context import Environment
from spotify_merger.errors import ConflictError
from spotify_merger.progress import TaskProgress
from spotify_merger.sources import LIKED, resolve_sources
from spotify_merger.storage import Database
from spotify_merger.store_pages import CallLog, begin_playlist, mark_complete, store_page, stored_entries

MAX_RESTARTS = 3
LIKED_PAGE = 50


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
    profile: str
    features: Any = None  # features.FeaturesResult when features ran

    @property
    def bytes_per_entry(self) -> float:
        fetched = sum(p.pages_fetched for p in self.playlists)
        entries = sum(min(p.total, p.pages_fetched * 100) for p in self.playlists)
        return self.bytes_received / entries if fetched and entries else 0.0


class _Changed(Exception):
    """A page showed the playlist changed since its metadata call."""

    def __init__(self, run: _Run, generation: int) -> None:
        super().__init__(run.id)
        self.run = run
        self.generation = generation


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
    finished: bool = False
    first_page: dict[str, Any] | None = None  # Liked Songs: page 0, read as its metadata


class _Fetcher:
    def __init__(
        self, env: Environment, client: SpotifyClient, db: Database, log: CallLog, bars: TaskProgress
    ):
        self.env = env
        self.client = client
        self.db = db
        self.log = log
        self.bars = bars
        self.lock = threading.Lock()

    # -- jobs (worker threads) ---------------------------------------------------------------------

    def meta_job(self, run: _Run) -> dict[str, Any]:
        if run.id == LIKED:
            page = self.client.liked_page(0, LIKED_PAGE)
            run.first_page = page
            items = page.get("items") or []
            head = items[0] if items else {}
            newest = (head.get("item") or {}).get("id") if isinstance(head, dict) else None
            total = int(page.get("total") or 0)
            return {
                "id": LIKED,
                "name": "Liked Songs",
                "owner_id": None,
                "owner_name": None,
                "snapshot_id": f"liked:{total}:{head.get('added_at') if head else ''}:{newest}",
                "total": total,
            }
        return self.client.playlist_meta(run.id)

    def page_job(self, run: _Run, generation: int, offset: int, page: dict[str, Any] | None = None) -> int:
        """Fetch and store one page; returns the generation it belongs to."""
        if page is None:
            if run.id == LIKED:
                page = self.client.liked_page(offset, run.page_size)
            else:
                page = self.client.items_page(run.id, offset, run.page_size)
        items = page.get("items") or []
        expected = min(run.page_size, run.total - offset)
        if int(page.get("total") or 0) != run.total or len(items) != expected:
            raise _Changed(run, generation)

        def still_wanted() -> bool:
            return run.generation == generation

        if store_page(self.db, run.id, offset, items, run.snapshot, log=self.log, still_wanted=still_wanted):
            self.bars.update(run.id, advance=len(items))
        return generation

    # -- orchestration (main thread) ---------------------------------------------------------------

    def plan(
        self, run: _Run, meta: dict[str, Any], pool: cf.ThreadPoolExecutor, pending: dict[Any, Any]
    ) -> None:
        run.name = meta.get("name")
        run.snapshot = meta.get("snapshot_id")
        run.total = int(meta.get("total") or 0)
        run.page_size = LIKED_PAGE if run.id == LIKED else self.client.page_limit
        resume = begin_playlist(self.db, meta, run.page_size, force_wipe=run.restarts > 0)
        label = run.name or run.id
        if resume.status == "changed" and run.restarts == 0:
            self.env.say(f"{label}: changed on Spotify since the last fetch; reading it again from the start")
        if run.restarts == 0:
            run.status = {"resume": "resumed", "changed": "refetched"}.get(resume.status, resume.status)
        run.expected = set(range(0, run.total, run.page_size))
        if resume.status == "unchanged":
            run.done = set(run.expected)
            run.reused = len(run.expected)
            run.finished = True
            return
        run.done = set(resume.stored_offsets) & run.expected
        run.reused = len(run.done)
        self.bars.add(run.id, label, run.total, completed=stored_entries(self.db, run.id))
        missing = sorted(run.expected - run.done)
        if run.first_page is not None and missing and missing[0] == 0:
            # Liked Songs: page 0 was read as the metadata call; store it rather than read it twice.
            page0, run.first_page = run.first_page, None
            pending[pool.submit(self.page_job, run, run.generation, 0, page0)] = ("page", run, 0)
            missing = missing[1:]
        for offset in missing:
            pending[pool.submit(self.page_job, run, run.generation, offset)] = ("page", run, offset)
        self.finish_if_done(run)

    def finish_if_done(self, run: _Run) -> None:
        if not run.finished and run.done >= run.expected:
            mark_complete(self.db, run.id)
            run.finished = True

    def restart(self, run: _Run, pool: cf.ThreadPoolExecutor, pending: dict[Any, Any]) -> None:
        run.restarts += 1
        label = run.name or run.id
        if run.restarts > MAX_RESTARTS:
            raise ConflictError(
                f"{label} kept changing while it was being read ({MAX_RESTARTS} restarts)",
                "wait until nobody is editing it, then re-run `spotify-merger fetch`",
            )
        with self.db.lock:  # no page of the old generation can be stored after this
            run.generation += 1
        for future, (_, other, _) in list(pending.items()):
            if other is run and future.cancel():
                del pending[future]
        self.env.say(f"{label}: changed while being read; starting it again ({run.restarts}/{MAX_RESTARTS})")
        run.done = set()
        run.first_page = None
        pending[pool.submit(self.meta_job, run)] = ("meta", run, None)


def _remember_profile(db: Database, client: SpotifyClient, env: Environment) -> None:
    key = f"api_profile:{env.api_base}"
    if client.profile_known:
        if db.get_meta(key) != client.profile:
            db.set_meta(key, client.profile)
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
    concurrency: int = 4,
) -> FetchResult:
    """Fetch `sources` (or the .env defaults) into the database; see the module docstring."""
    ids = resolve_sources(env, sources)
    started = time.perf_counter()
    own_db = db is None
    if db is None:
        env.ensure_dirs()
        db = Database(env.db_path)
    log = CallLog("fetch")
    bars = TaskProgress(env)
    own_client = client is None
    try:
        if client is None:
            client = SpotifyClient.connect(env, on_wait=bars.on_wait, recorder=log.record)
        saved = (client.policy.on_wait, client.policy.recorder)
        client.policy.on_wait, client.policy.recorder = bars.on_wait, log.record
        calls_before = client.policy.counts.copy()
        bytes_before = client.bytes_received
        _remember_profile(db, client, env)
        runs = [_Run(pid) for pid in ids]
        try:
            with bars:
                _run_all(env, client, db, log, bars, runs, max(1, concurrency))
            _remember_profile(db, client, env)
            feature_result = None
            if features:
                from spotify_merger.features import fetch_features

                feature_result = fetch_features(env, client, db)
        finally:
            log.flush(db)
            client.policy.on_wait, client.policy.recorder = saved
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
        )
    finally:
        if own_client and client is not None:
            client.close()
        if own_db:
            db.close()


def _run_all(
    env: Environment,
    client: SpotifyClient,
    db: Database,
    log: CallLog,
    bars: TaskProgress,
    runs: list[_Run],
    concurrency: int,
) -> None:
    fetcher = _Fetcher(env, client, db, log, bars)
    pool = cf.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="fetch")
    pending: dict[cf.Future[Any], tuple[str, _Run, int | None]] = {}
    try:
        for run in runs:
            pending[pool.submit(fetcher.meta_job, run)] = ("meta", run, None)
        while pending:
            done, _ = cf.wait(list(pending), timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for future in done:
                kind, run, offset = pending.pop(future)
                try:
                    value = future.result()
                except _Changed as changed:
                    if changed.generation == run.generation:
                        fetcher.restart(run, pool, pending)
                    continue
                if kind == "meta":
                    fetcher.plan(run, value, pool, pending)
                elif offset is not None and value == run.generation:
                    run.done.add(offset)
                    fetcher.finish_if_done(run)
    except BaseException:
        client.policy.cancel()
        for future in pending:
            future.cancel()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        client.policy.cancelled.clear()
