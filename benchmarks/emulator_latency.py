"""Page latency of the emulator at the default library size.

Measures GET /playlists/{id}/items?limit=50 at random offsets over one keep-alive session, in both
profiles, and prints p50/p95/p99 plus the time to generate the default library. Target: p50 < 5 ms, so the
emulator never dominates the project's own measurements.

    uv run python benchmarks/emulator_latency.py [--requests 500] [--profile dev-2026|extended|both]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import requests

from spotify_merger.emulator import Emulator, EmulatorConfig, build_library


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(profile: str, n: int, fields: str | None) -> dict[str, float]:
    with Emulator(EmulatorConfig(profile=profile)) as emu:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {emu.issue_token()}"
        pid = emu.playlist_ids[0]
        total = len(emu.playlist_uris(pid))
        url = f"{emu.api_base}/playlists/{pid}/items"
        rng = random.Random(1)
        params: dict[str, str | int] = {"limit": 50}
        if fields:
            params["fields"] = fields
        for _ in range(20):  # warm-up: connection, caches
            s.get(url, params={**params, "offset": rng.randrange(0, total, 50)}).raise_for_status()
        emu.reset_counter()
        times = []
        for _ in range(n):
            params["offset"] = rng.randrange(0, total)
            t0 = time.perf_counter()
            r = s.get(url, params=params)
            r.raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
        return {
            "p50": statistics.median(times),
            "p95": pct(times, 95),
            "p99": pct(times, 99),
            "bytes_per_entry": emu.bytes_sent / (n * 50),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--profile", choices=["dev-2026", "extended", "both"], default="both")
    args = ap.parse_args()
    t0 = time.perf_counter()
    build_library(42)
    print(f"library generation (2 x 9,000 entries, seed 42): {(time.perf_counter() - t0) * 1000:.0f} ms")
    profiles = ["dev-2026", "extended"] if args.profile == "both" else [args.profile]
    slim = "items(added_at,is_local,item(id,uri,name,duration_ms,explicit,external_ids,artists(id,name)))"
    for profile in profiles:
        for label, fields in (("full entries", None), ("fields filter", slim)):
            m = measure(profile, args.requests, fields)
            print(
                f"{profile:9} {label:13} limit=50 x {args.requests}: p50 {m['p50']:.2f} ms, "
                f"p95 {m['p95']:.2f} ms, p99 {m['p99']:.2f} ms, {m['bytes_per_entry']:.0f} B/entry"
            )


if __name__ == "__main__":
    main()
