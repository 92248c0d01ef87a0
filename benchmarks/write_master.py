"""Writing the ~15,000-song master of the default library: API calls and time against the seed's writer.

Counts every Web API request the write step makes (creates, adds, verify reads, the one staleness
check per source) and compares them with the lower bound: ceil(songs / 100) adds, one create per
part, ceil(part / 50) verify reads per part. Time is reported as a ratio against the seed's
strategy (batches of 100 with a fixed 0.1 s sleep after each) writing the same parts in the same
process, never as a bare number.

    uv run python benchmarks/write_master.py [--sizes 9000,9000] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from benchmarks.baseline import seed_client, seed_write
from spotify_merger.analyze.model import MergePlan
from spotify_merger.analyze.parts import split_into_parts
from spotify_merger.context import Environment
from spotify_merger.emulator import Emulator, EmulatorConfig
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.store.database import Database
from spotify_merger.write.execute import execute_plan


def v1(emu: Emulator, method: str, route: str | None = None) -> int:
    return sum(
        n
        for (m, r, _s), n in emu.counter.items()
        if r.startswith("/v1/") and m == method and route in (None, r)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="9000,9000")
    ap.add_argument("--latency-ms", type=float, default=0.0)
    args = ap.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    with Emulator(EmulatorConfig(playlist_sizes=sizes, latency_ms=args.latency_ms)) as emu, \
            tempfile.TemporaryDirectory() as tmp:  # fmt: skip
        plan = MergePlan.of_uris(emu.unique_addable_uris(), list(emu.playlist_ids), emu.seeded_snapshots())
        parts = split_into_parts("Bench", plan.uris)
        env = Environment.for_tests(Path(tmp) / "ours", emu.env())
        with Database(env.db_path) as db, SpotifyClient.connect(env) as client:
            client.me()  # sign-in and profile detection are not part of the write
            emu.reset_counter()
            started = time.perf_counter()
            outcome = execute_plan(env, client, db, plan, master_name="Bench", yes=True)
            ours = time.perf_counter() - started
        creates = v1(emu, "POST", "/v1/me/playlists")
        adds = v1(emu, "POST", "/v1/playlists/{id}/items")
        reads = emu.calls("GET", "/v1/playlists/{id}/items")
        metas = emu.calls("GET", "/v1/playlists/{id}")
        bound_adds = sum(math.ceil(p.count / 100) for p in parts)
        bound_reads = sum(math.ceil(p.count / 50) for p in parts)
        print(
            f"songs: {len(plan.uris):,} in {len(parts)} part(s): {', '.join(f'{p.count:,}' for p in parts)}"
        )
        print(f"creates: {creates} (bound {len(parts)})")
        print(
            f"adds:    {adds} (bound ceil({len(plan.uris):,}/100) = {math.ceil(len(plan.uris) / 100)}, "
            f"per part {bound_adds})"
        )
        print(f"verify reads: {reads} (bound {bound_reads}); staleness checks: {metas} (one per source)")
        print(f"verified: {outcome.verified}")

        sp = seed_client(emu.env())
        started = time.perf_counter()
        for part in parts:
            seed_write(sp, part.name, list(part.uris), Path(tmp) / "seed")
        seed = time.perf_counter() - started
        print(
            f"time: ours (write + verify) {ours:.2f} s vs seed writer {seed:.2f} s "
            f"-> {seed / ours:.1f}x faster"
        )
        assert creates == len(parts) and adds == bound_adds and reads == bound_reads


if __name__ == "__main__":
    main()
