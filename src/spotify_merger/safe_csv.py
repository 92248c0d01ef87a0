"""CSV files that are safe to open in a spreadsheet. Every CSV the tool writes goes through here.

Track, artist and playlist names come from Spotify and from other people: they are data. A cell
that starts with `=`, `+`, `-` or `@` (or a tab, carriage return, line feed or NUL, or the
full-width `＝＋－＠` some spreadsheets also accept) is read as a formula by Excel, LibreOffice or
Google Sheets. Following OWASP's advice on CSV injection, such a text cell gets a leading single
quote (`'=1+1` shows as the text `=1+1`), and every text cell is double-quoted with embedded quotes
doubled (RFC 4180), so a separator inside a name cannot start a new cell. Numbers, booleans and
empty cells are written as they are (a negative loudness stays a number). Leading spaces do not
protect a cell (some programs trim them), so they are skipped when looking for the first character.

The one rule has two renderings, kept side by side: `safe_cell` for rows written from Python and
`safe_sql` for DuckDB's `COPY ... TO` (used for large files); a test checks they agree.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spotify_merger.store.files import atomic_path

if TYPE_CHECKING:
    import duckdb

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")


def safe_cell(value: object) -> object:
    """A text cell that cannot run as a formula; any other value unchanged."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_sql(expression: str) -> str:
    """`safe_cell` as a DuckDB SQL expression over a VARCHAR `expression` (NULL stays NULL)."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    return (
        f"CASE WHEN left(ltrim(({expression}), ' '), 1) IN ({starts}) "
        f"THEN '''' || ({expression}) ELSE ({expression}) END"
    )


def write_rows(target: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a CSV atomically (temp file, then rename); returns the number of data rows."""
    count = 0
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_plain(safe_cell(v)) for v in row])
            count += 1
    return count


def _plain(value: object) -> object:
    # As DuckDB's COPY writes them: booleans in lower case, NULL as an empty cell.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def copy_to_csv(
    conn: duckdb.DuckDBPyConnection,
    select: str,
    target: Path,
    text_columns: Sequence[str],
    params: Sequence[object] | None = None,
) -> None:
    """`COPY (select) TO target` as a CSV, atomically, with `text_columns` neutralised and quoted.

    `select` must name its columns; the ones in `text_columns` are wrapped in `safe_sql`."""
    quoted = ", ".join(_ident(c) for c in text_columns)
    wrapped = ", ".join(f"{safe_sql(_ident(c))} AS {_ident(c)}" for c in text_columns)
    outer = f"SELECT * REPLACE ({wrapped}) FROM ({select})" if text_columns else select
    options = f"HEADER, DELIMITER ','{f', FORCE_QUOTE ({quoted})' if text_columns else ''}"
    with atomic_path(target) as tmp:
        conn.execute(f"COPY ({outer}) TO '{_sql_string(tmp)}' ({options})", list(params or []))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")
