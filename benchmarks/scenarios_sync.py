"""`sync` against its cost bounds, on the demo library (`calls_sizes`: 2 x 9,000 entries in full runs).

After a verified `run`, three syncs, each counted off the emulator's own request log:

- nothing changed: bound = 1 call per source + 1 per master part, and no writes;
- k new songs appended to one source: bound = the base reads (1 per source and part) + the pages
  of the changed source + ceil(k/100) adds per touched part + the read-back of the touched range
  (from the entry before the first new one to the end);
- 200 entries appended to a source (new songs and new entries of songs already there, as a user
  adds them in a week): measured against the same bound, target <= 1.2x.
"""

from __future__ import annotations

import math
import random
from typing import Any

from benchmarks.harness import Config, Row, test_env, timer
from benchmarks.scenarios_api import _api_calls, _emulator
from spotify_merger.emulator import Emulator

PAGE_SIZE = 50


def _new_songs(emu: Emulator, n: int) -> list[str]:
    """Catalogue tracks whose song is in no playlist yet (new songs for the master)."""
    taken = {u for pid in emu.all_playlist_ids() for u in emu.playlist_uris(pid) if u}
    keys = {emu.library.song_key(u) for u in taken}
    out = []
    for tid, t in sorted(emu.library.tracks.items()):
        if t["song_key"] in keys or t.get("relink_to"):
            continue
        keys.add(t["song_key"])
        out.append(f"spotify:track:{tid}")
        if len(out) == n:
            break
    return out


def _bound(sources: int, parts: int, changed_pages: int, touched: dict[int, tuple[int, int]]) -> int:
    """touched: part index -> (songs added, entries before the sync)."""
    adds = sum(math.ceil(k / 100) for k, _ in touched.values())
    verify = sum(math.ceil((before + k - max(0, before - 1)) / PAGE_SIZE) for k, before in touched.values())
    return sources + parts + changed_pages + adds + verify


def sync(cfg: Config) -> list[Row]:
    from spotify_merger.masters import sync_master
    from spotify_merger.pipeline import RunOptions, run_merge
    from spotify_merger.sync.engine import SyncOptions

    n1, n2 = cfg.calls_sizes
    rows: list[Row] = []
    with _emulator((n1, n2)) as emu:
        env = test_env(cfg.tempdir("sync"), emu.env())
        outcome = run_merge(env, RunOptions(yes=True, name="Sync Benchmark", features=False))
        assert outcome.verified
        parts = [p.id for p in outcome.playlists]
        p1 = emu.playlist_ids[0]

        def measure() -> tuple[Any, dict[str, int], float]:
            emu.reset_counter()
            with timer() as t:
                summary = sync_master(env, SyncOptions(yes=True))
            return summary, _api_calls(emu), t[0]

        # Nothing changed.
        summary, calls, seconds = measure()
        total = sum(calls.values())
        writes = sum(n for k, n in calls.items() if not k.startswith("GET"))
        bound = 2 + len(parts)
        rows.append(
            Row("sync", "sync, nothing changed: calls", total, bound, ratio=total / bound,
                target="<= 1 per source + 1 per part, no writes", ok=total <= bound and writes == 0,
                note=f"{len(parts)} parts; {seconds:.2f} s", detail={"by_endpoint": calls})
        )  # fmt: skip

        # k new songs, appended to one source.
        k = 150 if not cfg.quick else 60
        before = len(emu.playlist_uris(parts[-1]))
        emu.edit_playlist(p1, add_uris=_new_songs(emu, k))
        summary, calls, seconds = measure()
        total = sum(calls.values())
        k = summary.added
        pages = math.ceil(len(emu.playlist_uris(p1)) / PAGE_SIZE)
        bound = _bound(2, len(parts), pages, {len(parts): (k, before)})
        adds = calls.get("POST /v1/playlists/{id}/items", 0)
        rows.append(
            Row("sync", f"sync, {k} new songs: calls", total, bound, ratio=total / bound,
                target="<= bound (reads + pages of changed source + adds + touched range)",
                ok=total <= bound and adds == math.ceil(k / 100),
                note=f"adds {adds} = ceil({k}/100); {seconds:.2f} s", detail={"by_endpoint": calls})
        )  # fmt: skip

        # The demo library after 200 appended entries: new songs and new entries of old songs.
        rng = random.Random(13)
        existing = [u for u in emu.playlist_uris(p1) if u and u.startswith("spotify:track:")]
        fresh = _new_songs(emu, 120)
        appended = fresh + [rng.choice(existing) for _ in range(200 - len(fresh))]
        rng.shuffle(appended)
        before = len(emu.playlist_uris(parts[-1]))
        emu.edit_playlist(p1, add_uris=appended)
        summary, calls, seconds = measure()
        total = sum(calls.values())
        k = summary.added
        pages = math.ceil(len(emu.playlist_uris(p1)) / PAGE_SIZE)
        bound = _bound(2, len(parts), pages, {len(parts): (k, before)})
        rows.append(
            Row("sync", "sync after 200 appended entries: calls vs bound", total, bound, ratio=total / bound,
                target="<= 1.2x bound", ok=total <= 1.2 * bound,
                note=f"{k} new songs of 200 entries; {seconds:.2f} s", detail={"by_endpoint": calls})
        )  # fmt: skip
    return rows
