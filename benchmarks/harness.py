"""The harness's plumbing: result rows, sizes for full and quick runs, the machine, the table, the JSON.

A scenario is a function `(Config) -> list[Row]`. Each row compares one figure of ours with the
baseline measured in the same process (or, where no baseline process exists, with the target),
so what lands in `results.json` is a ratio, never a bare time alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spotify_merger.context import Environment
    from spotify_merger.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
# Bytecode of child processes (and of the harness itself) is cached here, outside the source tree
# and git-ignored, so repeated runs start warm even where PYTHONDONTWRITEBYTECODE is set.
PYCACHE = Path(__file__).resolve().parent / "out" / "pycache"


@dataclass
class Row:
    """One measured figure: ours against the baseline (or the bound), and the target it must meet."""

    scenario: str
    metric: str
    ours: float | None
    baseline: float | None = None
    unit: str = ""
    ratio: float | None = None  # computed from ours/baseline unless given; see `better`
    target: str = ""
    ok: bool | None = None  # None: informative, no target
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def speedup(baseline: float, ours: float) -> float | None:
    """How many times faster (or smaller) ours is than the baseline."""
    return baseline / ours if ours > 0 else None


@dataclass(frozen=True)
class Workload:
    """A library for the whole-job rows: two seeded playlists, and how many distinct songs they hold."""

    label: str
    sizes: tuple[int, int]
    unique_songs: int | None = None  # None: the emulator's default (about 5/6 of the entries)
    # Times the pair (ours, then the seed's) is run, each on a fresh emulator; the rows show the
    # median run. A job of a few seconds varies by a tenth of that from one run to the next.
    repeats: int = 1


@dataclass
class Config:
    """Sizes and knobs for one harness run; `Config.full()` for the README figures, `quick()` for CI."""

    quick: bool
    calls_sizes: tuple[int, int]
    latency_sizes: tuple[int, int]
    latency_ms: float
    rate_sizes: tuple[int, int]
    rate_limit: int
    rate_window: float  # seconds; 30 is Spotify's (and the emulator's) rolling window
    resume_sizes: tuple[int, int]
    analysis_sizes: tuple[int, ...]
    analysis_playlists: int
    startup_runs: int
    emulator_requests: int
    job_workloads: tuple[Workload, Workload, Workload]
    job_latency_ms: float
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sm-bench-")))

    @classmethod
    def full(cls) -> Config:
        return cls(
            quick=False,
            calls_sizes=(9000, 9000),
            latency_sizes=(9000, 9000),
            latency_ms=100.0,
            rate_sizes=(9000, 9000),
            rate_limit=150,
            rate_window=30.0,
            resume_sizes=(9000, 9000),
            analysis_sizes=(18_000, 100_000, 1_000_000),
            analysis_playlists=100,
            startup_runs=7,
            emulator_requests=500,
            job_workloads=(
                Workload("demo library", (9000, 9000)),
                Workload("< 10,000 songs", (9000, 9000), unique_songs=9500),
                Workload("small library", (750, 750), repeats=5),
            ),
            job_latency_ms=100.0,
        )

    @classmethod
    def quick_run(cls) -> Config:
        # Small and time-compressed: the rate limiter's window shrinks to 2 s, so a
        # rate-limited fetch still shows its shape (a burst, one pause, then paced calls) in seconds.
        return cls(
            quick=True,
            calls_sizes=(400, 400),
            latency_sizes=(300, 300),
            latency_ms=20.0,
            rate_sizes=(300, 300),
            rate_limit=6,
            rate_window=2.0,
            resume_sizes=(500, 500),
            analysis_sizes=(18_000,),
            analysis_playlists=100,
            startup_runs=2,
            emulator_requests=100,
            job_workloads=(
                Workload("demo library", (300, 300)),
                Workload("< 10,000 songs", (300, 300), unique_songs=250),
                Workload("small library", (100, 100)),
            ),
            job_latency_ms=20.0,
        )

    def tempdir(self, name: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.workdir))
        return path


# -- environment helpers -----------------------------------------------------------------------------


def test_env(data_dir: Path, settings: dict[str, str], **overrides: object) -> Environment:
    """A quiet, non-interactive Environment wired to an emulator (its consoles write to a null device)."""
    from spotify_merger.context import Environment

    return Environment.for_tests(data_dir, settings, **overrides)


def child_env(settings: dict[str, str], pycache: Path | None = None) -> dict[str, str]:
    """The environment of a `spotify-merger` subprocess: ours, minus any real Spotify settings.

    Bytecode is cached under `pycache` (never in the tree): without it, a sandbox that sets
    PYTHONDONTWRITEBYTECODE recompiles every module on each start and start-up figures mean nothing.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "PLAYLIST_"))}
    env.update(settings)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


class KillSwitch:
    """SIGKILLs a subprocess the moment the emulator has answered the n-th request matching `when`.

    It listens to the emulator's request counter, so the kill lands at an exact request rather than
    after a polling delay.
    """

    def __init__(self, emu: Emulator) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._when: Callable[[str, str, int], bool] = lambda m, r, s: False
        self._nth = 0
        self.seen = 0
        self.fired = False
        emu.traffic.listeners.append(self._check)

    def arm(self, proc: subprocess.Popen[bytes], when: Callable[[str, str, int], bool], nth: int) -> None:
        with self._lock:
            self._proc, self._when, self._nth, self.seen, self.fired = proc, when, nth, 0, False

    def disarm(self) -> None:
        with self._lock:
            self._proc = None

    def _check(self, method: str, template: str, status: int) -> None:
        with self._lock:
            if self._proc is None or self.fired or not self._when(method, template, status):
                return
            self.seen += 1
            if self.seen >= self._nth:
                self.fired = True
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def timer() -> Iterator[list[float]]:
    """`with timer() as t: ...` then `t[0]` holds the elapsed seconds."""
    box = [0.0]
    started = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started


# -- machine and output ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    if memory_gb is None and hasattr(os, "sysconf"):
        with contextlib.suppress(ValueError, OSError):
            memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("spotify-merger", "spotipy", "duckdb", "pandas", "requests"):
        with contextlib.suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, default=str)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def results_document(
    config: Config, rows: list[Row], errors: dict[str, str], seconds: dict[str, float], argv: list[str]
) -> dict[str, Any]:
    scenarios: dict[str, Any] = {}
    for row in rows:
        scenarios.setdefault(row.scenario, {"rows": []})["rows"].append(asdict(row))
    for name, secs in seconds.items():
        scenarios.setdefault(name, {"rows": []})["seconds"] = round(secs, 2)
    for name, error in errors.items():
        scenarios.setdefault(name, {"rows": []})["error"] = error
    targets = [r for r in rows if r.ok is not None]
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "uv run python -m benchmarks " + " ".join(argv),
        "quick": config.quick,
        "machine": machine(),
        "versions": versions(),
        "summary": {
            "targets": len(targets),
            "met": sum(1 for r in targets if r.ok),
            "missed": [f"{r.scenario}: {r.metric}" for r in targets if not r.ok],
            "errors": sorted(errors),
        },
        "scenarios": scenarios,
    }


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit in ("B", "B/entry"):
        return f"{value:,.0f} {unit}"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit == "x":
        return f"{value:.2f}x"
    if float(value).is_integer():
        return f"{int(value):,}" + (f" {unit}" if unit else "")
    return f"{value:,.2f}" + (f" {unit}" if unit else "")


def print_table(rows: list[Row], errors: dict[str, str], title: str) -> None:
    from rich.console import Console, JustifyMethod
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    columns: list[tuple[str, JustifyMethod]] = [
        ("scenario", "left"), ("metric", "left"), ("ours", "right"), ("baseline / bound", "right"),
        ("ratio", "right"), ("target", "left"), ("", "center"),
    ]  # fmt: skip
    for name, justify in columns:
        table.add_column(name, justify=justify)
    last = None
    for row in rows:
        mark = "" if row.ok is None else ("[green]met[/green]" if row.ok else "[red]MISSED[/red]")
        table.add_row(
            row.scenario if row.scenario != last else "",
            row.metric + (f" [dim]({row.note})[/dim]" if row.note else ""),
            fmt(row.ours, row.unit),
            fmt(row.baseline, row.unit),
            fmt(row.ratio, "x"),
            row.target,
            mark,
        )
        last = row.scenario
    for name, error in errors.items():
        table.add_row(name, f"[red]failed: {error}[/red]", "", "", "", "", "[red]ERROR[/red]")
    Console(width=max(150, shutil.get_terminal_size().columns)).print(table)
