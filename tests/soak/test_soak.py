"""The fault-injection soak: seeded random scenarios of kill -9, 429s, 5xx, lost responses, token
expiry and a source edited mid-fetch, each ending in the exact master or a clean, explained stop
that a rerun then completes. See `soak_driver.py` for the scenario, the driver and the checks.

    uv run pytest -m soak tests/soak            # the full soak (50 scenarios, about 10 minutes)
    SOAK_SCENARIOS=100 SOAK_SEED=7 uv run pytest -m soak tests/soak

The full run writes `tests/soak/soak_summary.json` and prints the summary at the end; the default
suite runs `test_soak_short` (3 small scenarios) only.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .soak_driver import SUMMARY_PATH, SoakSummary, drive, make_scenario

SCENARIOS = int(os.environ.get("SOAK_SCENARIOS", "50"))
SEED = int(os.environ.get("SOAK_SEED", "2026"))


@pytest.mark.soak
@pytest.mark.timeout(600)
@pytest.mark.parametrize("index", range(SCENARIOS))
def test_soak(index: int, tmp_path: Path, soak_pycache: Path, soak_summary: SoakSummary) -> None:
    scenario = make_scenario(SEED, index)
    outcome = drive(scenario, tmp_path, soak_pycache)
    soak_summary.add(outcome, SUMMARY_PATH)
    assert outcome.ok, f"scenario {index} ({scenario}): {outcome.failure}"


def test_soak_short(tmp_path: Path, soak_pycache: Path, soak_summary: SoakSummary) -> None:
    """Three small scenarios with every fault kind, in the default suite."""
    failures = []
    for index in range(3):
        scenario = make_scenario(SEED, index, small=True)
        outcome = drive(scenario, tmp_path / f"s{index}", soak_pycache)
        soak_summary.add(outcome, tmp_path / "soak_summary.json")
        # Every fault kind was really exercised, so the short soak cannot silently degrade to a no-op.
        assert outcome.edit is not None, f"scenario {index}: the source edit never happened"
        assert outcome.kills + len(outcome.attempts) >= 2 or outcome.stop, outcome
        if not outcome.ok:
            failures.append(f"scenario {index}: {outcome.failure}")
    assert not failures, failures
    totals = soak_summary.document()
    assert totals["masters_in_several_parts"] == 3, totals  # written as parts, at once
    assert totals["kills"] >= 1 and totals["responses_5xx"] >= 1 and totals["token_refreshes"] >= 2, totals
