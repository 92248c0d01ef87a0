"""Scenarios that need no Spotify traffic of ours: analysis at scale, start-up, the emulator's page latency.

Analysis and emulator latency call their owners' benchmarks (`analysis_scale`, `emulator_latency`);
where no seed counterpart exists, the ratio is taken against the target instead.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import PYCACHE, Config, Row, child_env, speedup

STARTUP_TARGET_S = 0.5
EMULATOR_P50_TARGET_MS = 5.0


def analysis(cfg: Config) -> list[Row]:
    """`plan()` + the dry-run report on synthetic databases, each analysed in a fresh child process."""
    from benchmarks import analysis_scale

    rows: list[Row] = []
    for r in analysis_scale.run(sizes=cfg.analysis_sizes, playlists=cfg.analysis_playlists):
        entries = int(r["entries"])
        target = r.get("target_s")
        label = f"{entries:,} entries in {r['playlists']} playlists"
        rows.append(
            Row("analysis", f"plan + report, {label}", float(r["analysis_s"]), target, unit="s",
                ratio=float(r["analysis_s"]) / target if target else None,
                target=f"< {target:g} s" if target else "informative",
                ok=float(r["analysis_s"]) < target if target else None,
                note=f"{r['songs']:,} songs; ratio = share of the target used",
                detail={k: v for k, v in r.items() if k not in ("entries",)})
        )  # fmt: skip
        rows.append(
            Row("analysis", f"peak memory, {entries:,} entries", float(r["peak_mb"]),
                float(analysis_scale.MEMORY_TARGET_MB), unit="MB",
                ratio=float(r["peak_mb"]) / analysis_scale.MEMORY_TARGET_MB,
                target=f"< {analysis_scale.MEMORY_TARGET_MB:,} MB",
                ok=float(r["peak_mb"]) < analysis_scale.MEMORY_TARGET_MB,
                note="resident set of the analysing process")
        )  # fmt: skip
    return rows


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "spotify-merger"
    return [str(script)] if script.exists() else [sys.executable, "-m", "spotify_merger"]


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def startup(cfg: Config) -> list[Row]:
    """`spotify-merger --help` as a process, against the same CLI with spotipy, duckdb, pandas and
    matplotlib imported eagerly first (what lazy imports avoid). Median of several warm runs."""
    env = child_env({}, PYCACHE)
    ours_cmd = [*_cli(), "--help"]
    eager = "import spotipy, duckdb, pandas, matplotlib, matplotlib.pyplot\nfrom spotify_merger.cli import main\nmain()"
    base_cmd = [sys.executable, "-c", eager, "--help"]
    for cmd in (ours_cmd, base_cmd):  # warm-up: fill the bytecode cache, as any second run would find it
        _wall(cmd, env)
    ours, base = [], []
    for _ in range(cfg.startup_runs):
        ours.append(_wall(ours_cmd, env))
        base.append(_wall(base_cmd, env))
    o, b = statistics.median(ours), statistics.median(base)
    return [
        Row("startup", "`spotify-merger --help` wall time", o, b, unit="s", ratio=speedup(b, o),
            target=f"< {STARTUP_TARGET_S} s", ok=o < STARTUP_TARGET_S,
            note=f"median of {cfg.startup_runs}; baseline: eager imports",
            detail={"ours_s": ours, "baseline_s": base}),
    ]  # fmt: skip


def emulator(cfg: Config) -> list[Row]:
    """The emulator's page latency at the default size (2 x 9,000), from `emulator_latency.measure`."""
    from benchmarks.emulator_latency import measure

    full = measure("dev-2026", cfg.emulator_requests, None)
    rows = [
        Row("emulator", "page p50 (limit=50, full entries)", full["p50"], EMULATOR_P50_TARGET_MS, unit="ms",
            ratio=full["p50"] / EMULATOR_P50_TARGET_MS, target=f"< {EMULATOR_P50_TARGET_MS:g} ms",
            ok=full["p50"] < EMULATOR_P50_TARGET_MS,
            note=f"{cfg.emulator_requests} requests; ratio = share of the target", detail=full),
        Row("emulator", "page p95 (limit=50, full entries)", full["p95"], None, unit="ms",
            target="informative"),
    ]  # fmt: skip
    return rows
