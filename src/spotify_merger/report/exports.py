"""The report's files: dry_run_report.json and merge_plan.csv, each written to a temp file then renamed."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path

from spotify_merger.analyze import SpotifyAnalyzer
from spotify_merger.store import files
from spotify_merger.store.files import write_text_atomic

__all__ = [
    "PLAN_CSV",
    "REPORT_HTML",
    "REPORT_JSON",
    "jsonable",
    "write_json",
    "write_plan_csv",
    "write_text_atomic",
]

REPORT_JSON = "dry_run_report.json"
PLAN_CSV = "merge_plan.csv"
REPORT_HTML = "report.html"

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def jsonable(value: object) -> JsonValue:
    """Strictly JSON: dates as ISO strings, NaN and infinities as null, tuples as lists."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def write_json(target: Path, doc: Mapping[str, object]) -> None:
    files.write_json(target, {str(k): jsonable(v) for k, v in doc.items()})


def write_plan_csv(target: Path, analyzer: SpotifyAnalyzer) -> None:
    """The planned master, one row per entry to add, straight from DuckDB (fast at any size).

    Names come from Spotify: the CSV's text cells are neutralised (`safe_csv`)."""
    analyzer.copy_plan_csv(target)
