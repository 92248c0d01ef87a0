"""The sync soak (see `sync_soak.py`): 50 seeded histories of source edits, hand edits and syncs
under kill -9 and faults, each round ending with exactly the oracle's master.

    uv run pytest -m soak tests/soak/test_sync_soak.py          # 50 scenarios
    SYNC_SOAK_SCENARIOS=100 SOAK_SEED=7 uv run pytest -m soak tests/soak/test_sync_soak.py

The full run writes `tests/soak/sync_soak_summary.json`; `-m slow` runs one small scenario.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from .sync_soak import SyncOutcome, drive_sync, make_sync_scenario

SCENARIOS = int(os.environ.get("SYNC_SOAK_SCENARIOS", "50"))
SEED = int(os.environ.get("SOAK_SEED", "2026"))
SUMMARY = Path(__file__).with_name("sync_soak_summary.json")
_OUTCOMES: list[SyncOutcome] = []


def _write_summary(path: Path) -> None:
    o = _OUTCOMES
    doc = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": "uv run pytest -m soak tests/soak/test_sync_soak.py",
        "scenarios": len(o),
        "passed": sum(1 for x in o if x.ok),
        "failed": sum(1 for x in o if not x.ok),
        "syncs": sum(len(x.rounds) for x in o),
        "kills": sum(x.kills for x in o),
        "attempts": sum(x.attempts for x in o),
        "clean_stops": sum(len(x.stops) for x in o),
        "lost_responses": sum(x.lost_responses for x in o),
        "responses_5xx": sum(x.responses_5xx for x in o),
        "responses_429": sum(x.responses_429 for x in o),
        "source_edits": sum(len(r["sources"]) + bool(r.get("mid_edit")) for x in o for r in x.rounds),
        "hand_edits": sum(len(r["hand"]) for x in o for r in x.rounds),
        "pruning_syncs": sum(1 for x in o for r in x.rounds if r["prune"]),
        "songs_added": sum(r["added"] for x in o for r in x.rounds),
        "songs_pruned": sum(r["pruned"] for x in o for r in x.rounds),
        "seconds": round(sum(x.seconds for x in o), 1),
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform},
        "per_scenario": [asdict(x) for x in o],
    }
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    os.replace(tmp, path)


@pytest.mark.soak
@pytest.mark.timeout(900)
@pytest.mark.parametrize("index", range(SCENARIOS))
def test_sync_soak(index: int, tmp_path: Path, soak_pycache: Path) -> None:
    scenario = make_sync_scenario(SEED, index)
    outcome = drive_sync(scenario, tmp_path, soak_pycache)
    _OUTCOMES.append(outcome)
    _write_summary(SUMMARY)
    assert outcome.ok, f"scenario {index} ({scenario}): {outcome.failure}"


@pytest.mark.slow
def test_sync_soak_short(tmp_path: Path, soak_pycache: Path) -> None:
    """One small scenario (`-m slow`), with a kill, faults and hand edits."""
    scenario = make_sync_scenario(SEED, 0, small=True)
    scenario.rounds[0].kills = scenario.rounds[0].kills or [12]
    outcome = drive_sync(scenario, tmp_path, soak_pycache)
    assert outcome.ok, outcome.failure
    assert outcome.kills >= 1 and outcome.rounds
