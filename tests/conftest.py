"""Shared fixtures, registered here and defined with their types in an area module each:
`emulator_fixtures.py` (emulator), `fixtures.py` (fetch, write and analysis) and
`analysis_data.py` (a database built row by row)."""

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
