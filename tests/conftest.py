"""Shared fixtures, registered here and defined with their types in an area module each:
`emulator_fixtures.py` (emulator), `fixtures.py` (fetch, write and analysis) and
`analysis_data.py` (a database built row by row)."""

import re

import pytest

from analysis_data import data, db
from emulator_fixtures import emulator, emulator_factory
from fixtures import env_for, fetched_library, plan_from_emulator, sources_of, virtual_time, write_case

__all__ = [
    "data",
    "db",
    "emulator",
    "emulator_factory",
    "env_for",
    "fetched_library",
    "plan_from_emulator",
    "sources_of",
    "virtual_time",
    "write_case",
]


def pytest_configure(config: pytest.Config) -> None:
    """`-m soak` and `-m slow` run in this one process, whatever the worker count: the soak keeps one
    summary across its scenarios, and the kill suites time real processes that extra workers slow."""
    chosen = re.sub(r"not\s+(soak|slow)", "", config.option.markexpr or "")
    if re.search(r"\b(soak|slow)\b", chosen) and not hasattr(config, "workerinput"):
        config.option.numprocesses = 0
        config.option.dist = "no"
