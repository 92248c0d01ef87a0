"""Folding (in SQL) and the keys rule 3 compares: title key, artist set, album version markers.

Folding is one DuckDB expression, run over every title, artist and album name of an analysis:
lowercase; accents folded in Latin-script text only (in kana, Hangul, Cyrillic or Arabic the
marks are letters: デ is not テ, й is not и); typographic quotes, dashes, ellipses, full-width
brackets and odd spaces made ASCII; "and" and "+" between words made "&".

The grammar (`titles`) then reads each *distinct* folded title, artist name and album name once,
in Python: a library has far fewer distinct names than entries. `build_keys` stores the results
as temporary tables the dedup query joins; `normalize_title` and friends give Python the very
same results for one value (same SQL, same grammar).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from spotify_merger.analyze import titles

if TYPE_CHECKING:
    import duckdb

SEP = chr(30)  # between the atoms of an artist set, inside one VARCHAR

# Accents are folded only for text written in Latin script (plus common punctuation, digits and
# emoji). In other scripts the "marks" are letters of their own.
_NON_LATIN_RE = r"[^\p{Latin}\p{Common}\p{Inherited}]"
# Typographic forms → ASCII, one character for one (translate() needs equal lengths).
_TYPO_FROM = "‘’‚‛′`´“”„‟″«»‐‑‒–—―−﹘﹣－（）［］｛｝＆＋，／：；！？\u00a0\u2007\u202f\u3000\t\n\r"
_TYPO_TO = "'''''''\"\"\"\"\"\"\"----------()[]{}&+,/:;!?       "
_DELETED = "\u200b\u2060\ufeff\u00ad"  # zero-width space, word joiner, BOM, soft hyphen
assert len(_TYPO_FROM) == len(_TYPO_TO)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def fold_sql(expr: str) -> str:
    """A DuckDB expression: `expr` folded (never NULL: '' for a missing value)."""
    value = f"coalesce({expr}, '')"
    lowered = f"lower(nfc_normalize({value}))"
    accents = f"(CASE WHEN regexp_matches({value}, '{_NON_LATIN_RE}') THEN {lowered} ELSE strip_accents({lowered}) END)"
    ascii_forms = f"translate(translate({accents}, {_literal(_TYPO_FROM)}, {_literal(_TYPO_TO)}), {_literal(_DELETED)}, '')"
    dots = f"replace({ascii_forms}, '…', '...')"
    amp = f"regexp_replace({dots}, ' +(and|\\+) +', ' & ', 'g')"
    return f"trim(regexp_replace({amp}, ' +', ' ', 'g'))"


def build_keys(
    conn: duckdb.DuckDBPyConnection, ns: str, titles_sql: str, artists_sql: str, albums_sql: str
) -> None:
    """Create {ns}tkeys (ftitle → tkey, credits, has_version), {ns}akeys (fname → atoms) and
    {ns}mkeys (falbum → marks) for the distinct folded values the three queries return."""
    titles_rows = conn.execute(f"SELECT DISTINCT f FROM ({titles_sql}) t(f)").fetchall()
    parsed = [(f, titles.parse_title(f)) for (f,) in titles_rows]
    _store(
        conn,
        f"{ns}tkeys",
        ["ftitle", "tkey", "credits", "has_version"],
        [(f, p.key, SEP.join(p.credits), bool(p.versions)) for f, p in parsed],
    )
    artist_rows = conn.execute(f"SELECT DISTINCT f FROM ({artists_sql}) t(f)").fetchall()
    _store(
        conn,
        f"{ns}akeys",
        ["fname", "atoms"],
        [(f, SEP.join(titles.artist_atoms(f))) for (f,) in artist_rows],
    )
    album_rows = conn.execute(f"SELECT DISTINCT f FROM ({albums_sql}) t(f)").fetchall()
    _store(
        conn,
        f"{ns}mkeys",
        ["falbum", "marks"],
        [(f, ",".join(titles.album_markers(f))) for (f,) in album_rows],
    )


def _store(
    conn: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[tuple[object, ...]]
) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns)
    for col in columns:
        if col != "has_version":
            frame[col] = frame[col].astype("string")
    if "has_version" in columns:
        frame["has_version"] = frame["has_version"].astype("boolean")
    view = f"{table}_frame"
    conn.register(view, frame)
    try:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {view}")
    finally:
        conn.unregister(view)


def key_table_names(ns: str) -> list[str]:
    return [f"{ns}tkeys", f"{ns}akeys", f"{ns}mkeys"]


# -- Python access: the same folding SQL and the same grammar, for one value --------------------------


class _Evaluator:
    """A private in-memory DuckDB used to evaluate the folding SQL from Python."""

    def __init__(self) -> None:
        import duckdb

        self._lock = threading.Lock()
        self._conn = duckdb.connect(":memory:")
        self._sql = f"SELECT {fold_sql('v')} FROM (SELECT CAST(? AS VARCHAR) AS v)"

    def fold(self, value: str | None) -> str:
        with self._lock:
            row = self._conn.execute(self._sql, [value]).fetchone()
        return "" if row is None or row[0] is None else str(row[0])


@lru_cache(maxsize=1)
def _evaluator() -> _Evaluator:
    return _Evaluator()


def fold(value: str | None) -> str:
    """Python access to `fold_sql`."""
    return _evaluator().fold(value)


def parse_title(title: str | None) -> titles.ParsedTitle:
    return titles.parse_title(fold(title))


def normalize_title(title: str | None) -> str:
    """The title key rule 3 compares ('' when nothing identifying is left)."""
    return parse_title(title).key


def normalize_artist(name: str | None) -> str:
    """One artist credit, folded and split into names ("Simon and Garfunkel" → "garfunkel & simon")."""
    return " & ".join(titles.artist_atoms(fold(name)))


def artist_set(artists: list[str], title: str | None = None) -> tuple[str, ...]:
    """The artist set rule 3 compares: every credited name plus the names credited in the title."""
    atoms: set[str] = set(parse_title(title).credits)
    for name in artists:
        atoms.update(titles.artist_atoms(fold(name)))
    atoms.discard("")
    return tuple(sorted(atoms))


def album_markers(album: str | None) -> tuple[str, ...]:
    return titles.album_markers(fold(album))
