"""The report's files: dry_run_report.json and merge_plan.csv, each written to a temp file then renamed."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spotify_merger.store import files
from spotify_merger.store.files import atomic_path, write_text_atomic

if TYPE_CHECKING:
    from spotify_merger.analyze import SpotifyAnalyzer

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


def jsonable(value: Any) -> Any:
    """Make pandas/numpy/datetime values JSON-friendly (NaN → null, timestamps → ISO strings)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "isoformat") and callable(value.isoformat):  # pandas Timestamp
        try:
            return value.isoformat()
        except ValueError:  # NaT
            return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return jsonable(value.item())
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def write_json(target: Path, doc: dict[str, Any]) -> None:
    files.write_json(target, jsonable(doc))


def write_plan_csv(target: Path, analyzer: SpotifyAnalyzer) -> None:
    """The planned master, one row per entry to add, straight from DuckDB (fast at any size)."""
    weight_cols = ", ".join(f"weight_p{i + 1}" for i in range(len(analyzer.sources)))
    sql = analyzer._dedup_sql()
    with atomic_path(target) as tmp, analyzer.db.lock:
        analyzer.db.conn.execute(
            f"COPY (SELECT position, uri, name, artist, {weight_cols}, reason FROM ({sql})) "
            f"TO '{_sql_path(tmp)}' (HEADER, DELIMITER ',')"
        )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
