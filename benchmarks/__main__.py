"""`uv run python -m benchmarks [--quick] [--only NAME ...] [--out FILE]`: run the scenarios, print one
table, write the results (with the machine they ran on) to `benchmarks/results.json` atomically.

Exits 1 if a scenario failed to run; a missed target is reported in the table and the JSON, not
as a failure, because the figures are measurements, not tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import PYCACHE

# Cache this process's bytecode too (see PYCACHE) before the heavy imports below happen.
sys.pycache_prefix = str(PYCACHE)
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # and the child processes' (analysis_scale starts some)
os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)

from benchmarks import scenarios_api, scenarios_local, scenarios_sync, whole_job  # noqa: E402
from benchmarks.harness import RESULTS, Config, Row, print_table, results_document, write_json_atomic  # noqa: E402

SCENARIOS: dict[str, Callable[[Config], list[Row]]] = {
    "job": whole_job.job,  # first: the whole `run --yes` leads the table
    "calls": scenarios_api.calls,  # also yields the "bytes" rows (the same run's fetch)
    "latency": scenarios_api.latency,
    "rate": scenarios_api.rate,
    "rerun": scenarios_api.rerun,
    "resume": scenarios_api.resume,
    "analysis": scenarios_local.analysis,
    "startup": scenarios_local.startup,
    "emulator": scenarios_local.emulator,
    "sync": scenarios_sync.sync,
}
ALIASES = {"bytes": "calls"}


def _selected(only: list[str] | None) -> list[str]:
    if not only:
        return list(SCENARIOS)
    names: list[str] = []
    for item in only:
        for name in item.split(","):
            name = ALIASES.get(name.strip(), name.strip())
            if name not in SCENARIOS:
                raise SystemExit(
                    f"unknown scenario {name!r}; choose from {', '.join([*SCENARIOS, *ALIASES])}"
                )
            if name not in names:
                names.append(name)
    return names


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and low latencies (CI, < 60 s)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these scenarios (repeat or comma-separate): {', '.join(SCENARIOS)}")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (databases, logs)")
    args = parser.parse_args(args_list)

    config = Config.quick_run() if args.quick else Config.full()
    rows: list[Row] = []
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    selected = _selected(args.only)
    try:
        if set(selected) & {"job", "calls", "latency", "rate", "rerun", "resume", "sync"}:
            print("warming up ...", file=sys.stderr, flush=True)
            scenarios_api.warm_up(config)
        for name in selected:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            try:
                rows += SCENARIOS[name](config)
            except Exception as exc:  # one broken scenario must not hide the others' figures
                traceback.print_exc(file=sys.stderr)
                errors[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            seconds[name] = time.perf_counter() - started
    finally:
        if not args.keep:
            shutil.rmtree(config.workdir, ignore_errors=True)
        else:
            print(f"scratch files kept in {config.workdir}", file=sys.stderr)

    document = results_document(config, rows, errors, seconds, args_list)
    write_json_atomic(args.out, document)
    title = "spotify-merger benchmarks" + (" (quick)" if args.quick else "")
    print_table(rows, errors, title)
    summary = document["summary"]
    print(f"targets met: {summary['met']} of {summary['targets']}; results written to {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
