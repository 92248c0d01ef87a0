"""Fixtures of the soak: the session's summary (printed at the end of the run) and bytecode cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from .soak_driver import SoakSummary

_SUMMARIES: list[SoakSummary] = []


@pytest.fixture(scope="session")
def soak_summary() -> SoakSummary:
    summary = SoakSummary()
    _SUMMARIES.append(summary)
    return summary


@pytest.fixture(scope="session")
def soak_pycache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("soak-pycache")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for summary in _SUMMARIES:
        if summary.outcomes:
            terminalreporter.section("soak summary")
            for line in summary.lines():
                terminalreporter.write_line(line)
