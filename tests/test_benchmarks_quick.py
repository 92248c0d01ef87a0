"""CI smoke for the benchmark harness: `python -m benchmarks --quick` runs every scenario end to end.

It writes to a temporary file (never over the committed `benchmarks/results.json`). The checks are
on what must hold whatever the machine's speed: every scenario ran, call and byte counts meet
their bounds, times are positive numbers. No assertion compares times.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {
    "job",
    "calls",
    "bytes",
    "latency",
    "rate",
    "rerun",
    "resume",
    "analysis",
    "startup",
    "emulator",
    "sync",
}


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "targets met:" in proc.stdout
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def _rows(results: dict[str, Any], scenario: str) -> dict[str, dict[str, Any]]:
    return {row["metric"]: row for row in results["scenarios"][scenario]["rows"]}


def test_every_scenario_ran_and_the_machine_is_described(quick_results: dict[str, Any]) -> None:
    assert quick_results["quick"] is True
    assert set(quick_results["scenarios"]) == SCENARIOS
    assert quick_results["summary"]["errors"] == []
    for name, scenario in quick_results["scenarios"].items():
        assert scenario["rows"], name
        assert "error" not in scenario, name
    machine = quick_results["machine"]
    assert machine["cores"] >= 1 and machine["memory_gb"] > 0
    assert machine["python"].startswith("3.") and machine["platform"]
    assert quick_results["generated_at"] and "--quick" in quick_results["command"]


def test_call_counts_meet_their_bounds(quick_results: dict[str, Any]) -> None:
    calls = _rows(quick_results, "calls")
    for metric in ("fetch: page reads", "write: adds", "write: creates", "write: verify reads"):
        row = calls[metric]
        assert row["ours"] == row["baseline"] and row["ok"] is True, row
    assert calls["fetch: all calls"]["ours"] <= calls["fetch: all calls"]["baseline"] + 3
    rerun = _rows(quick_results, "rerun")["unchanged `fetch` re-run: calls"]
    assert rerun["ours"] <= 2 and rerun["ok"] is True
    resume = _rows(quick_results, "resume")["pages read by the rerun vs pages missing"]
    assert resume["ours"] == resume["baseline"] > 0, resume
    assert resume["detail"]["entries_exact_once"] is True


JOB_METRICS = {
    "`run --yes` wall time vs floor",
    "`run --yes` wall time vs seed whole job",
    "time to the confirmation prompt",
    "fetch time",
    "write time",
    "verify time",
    "API calls",
}


@pytest.mark.parametrize("workload", ["demo library", "< 10,000 songs", "small library"])
def test_whole_job_rows_describe_a_verified_run_and_the_seed(
    quick_results: dict[str, Any], workload: str
) -> None:
    rows = {
        metric.removeprefix(f"{workload}: "): row
        for metric, row in _rows(quick_results, "job").items()
        if metric.startswith(f"{workload}: ")
    }
    # The charts' CPU is measured once, on the demo library's report.
    charts = {"report.html charts, CPU"} if workload == "demo library" else set()
    assert set(rows) == JOB_METRICS | charts
    if charts:
        cpu = rows["report.html charts, CPU"]
        assert cpu["ours"] > 0 and cpu["detail"] == {}
    job = rows["`run --yes` wall time vs floor"]["detail"]
    parts = job["parts"]
    assert parts and sum(parts) == job["songs"] > 0
    # The calls the emulator counted are exactly what the plan needs, phase by phase.
    by_endpoint = job["calls_by_endpoint"]
    assert by_endpoint["POST /v1/me/playlists"] == len(parts)
    assert by_endpoint["POST /v1/playlists/{id}/items"] == sum(math.ceil(n / 100) for n in parts)
    assert job["calls_by_phase"]["verify"] == sum(math.ceil(n / 50) + 1 for n in parts)  # pages, snapshot
    assert job["calls"] == sum(by_endpoint.values()) == sum(job["calls_by_phase"].values())
    # The order of events, whatever the speed: fetch, then the preview and the writes, then exit.
    # (The preview's time is when a thread read its line: on a busy machine, after the first write.)
    assert job["fetch_span_s"][1] <= job["prompt_s"] and job["fetch_span_s"][1] <= job["write_span_s"][0]
    assert job["write_span_s"][0] < job["verify_span_s"][1] <= job["wall_s"]
    assert (
        0 < job["floor"]["total"] == pytest.approx(sum(job["floor"][k] for k in ("fetch", "write", "verify")))
    )
    seed = job["seed"]
    assert seed["stopped"] is False and seed["added"] == job["songs"]  # quick sizes stay under the cap
    assert seed["calls"] == rows["API calls"]["baseline"] > 0
    for row in rows.values():
        assert row["ours"] is not None and row["ours"] > 0 and row["ratio"] is not None and row["ratio"] > 0


def test_bytes_per_entry_stay_under_a_kilobyte_and_under_the_seed(quick_results: dict[str, Any]) -> None:
    row = _rows(quick_results, "bytes")["bytes per entry fetched"]
    assert 0 < row["ours"] < 1024 and row["ours"] < row["baseline"], row


def test_timed_figures_are_sane_numbers(quick_results: dict[str, Any]) -> None:
    for name in ("latency", "rate", "startup", "analysis", "emulator"):
        for row in quick_results["scenarios"][name]["rows"]:
            assert row["ours"] is not None and row["ours"] >= 0, (name, row)
            if row["baseline"]:
                assert row["ratio"] is not None and row["ratio"] > 0, (name, row)
    rate = _rows(quick_results, "rate")["fetch wall time vs calls / rate"]
    assert rate["detail"]["accepted_calls"] >= rate["detail"]["entries"] / 50


def test_sync_meets_its_call_bounds(quick_results: dict[str, Any]) -> None:
    rows = list(_rows(quick_results, "sync").values())
    assert len(rows) == 3
    for row in rows:
        assert row["ok"] is True and row["ours"] <= row["baseline"] * 1.2, row
    assert rows[0]["ours"] <= rows[0]["baseline"]  # nothing changed: within 1 per source + 1 per part
