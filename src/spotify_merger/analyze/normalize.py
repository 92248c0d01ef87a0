"""Folding and the keys rule 3 compares: title key, artist set, album version markers.

Folding: lowercase; accents folded in Latin-script text only (in kana, Hangul, Cyrillic or Arabic
the marks are letters: デ is not テ, й is not и); typographic quotes, dashes, ellipses, full-width
forms and odd spaces made ASCII; zero-width characters removed; "and" and "+" between words made
"&"; runs of spaces collapsed.

Everything here is Python, run once per *distinct* title, artist name and album name of an
analysis (a library has far fewer distinct names than entries): `build_keys` stores the results
as temporary tables the dedup query joins, and `normalize_title` and friends give the very same
results for one value, so the analysis and its explanations cannot drift apart.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import TYPE_CHECKING

from spotify_merger.analyze import titles

if TYPE_CHECKING:
    import duckdb

SEP = chr(30)  # between the atoms of an artist set, inside one VARCHAR

# Full-width ASCII (U+FF01..U+FF5E: "（Ｌｉｖｅ）") is the ASCII character it stands for.
_FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
_TYPO_FROM = "‘’‚‛′`´“”„‟″«»‐‑‒–—―−﹘﹣\u00a0\u2007\u202f\u3000\t\n\r" + _FULLWIDTH
_TYPO_TO = "'''''''\"\"\"\"\"\"\"---------       " + "".join(chr(ord(c) - 0xFEE0) for c in _FULLWIDTH)
_DELETED = "\u200b\u2060\ufeff\u00ad"  # zero-width space, word joiner, BOM, soft hyphen
_TABLE = {**str.maketrans(_TYPO_FROM, _TYPO_TO), **{ord(c): None for c in _DELETED}, ord("…"): "..."}
_AND = re.compile(r" +(?:and|\+) +")
_SPACES = re.compile(r" {2,}")


def _latin_only(text: str) -> bool:
    """No letter of another script: accents may be folded (an emoji or a digit is no letter)."""
    for ch in text:
        other_letter = ord(ch) > 0x24F and unicodedata.category(ch).startswith("L")
        if other_letter and not unicodedata.name(ch, "").startswith("LATIN"):
            return False
    return True


def fold(value: str | None) -> str:
    """The folded form of a title, artist or album name ('' for a missing value)."""
    if not value:
        return ""
    text = value.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).translate(_TABLE)
        if not text.isascii() and _latin_only(text):
            decomposed = unicodedata.normalize("NFD", text)
            text = unicodedata.normalize(
                "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
            )
    if " and " in text or "+" in text:
        text = _AND.sub(" & ", text)
    return _SPACES.sub(" ", text).strip()


def build_keys(
    conn: duckdb.DuckDBPyConnection, ns: str, titles_sql: str, artists_sql: str, albums_sql: str
) -> None:
    """Create {ns}tkeys (name → tkey, credits, has_version), {ns}akeys (name → atoms) and
    {ns}mkeys (album → marks) for the distinct raw values the three queries return."""
    names = _distinct(conn, titles_sql)
    parsed = [titles.parse_title(fold(n)) for n in names]
    _store(
        conn,
        f"{ns}tkeys",
        {"name": "VARCHAR", "tkey": "VARCHAR", "credits": "VARCHAR", "has_version": "BOOLEAN"},
        [(n, p.key, SEP.join(p.credits), bool(p.versions)) for n, p in zip(names, parsed, strict=True)],
    )
    artists = _distinct(conn, artists_sql)
    _store(
        conn,
        f"{ns}akeys",
        {"name": "VARCHAR", "atoms": "VARCHAR"},
        [(a, SEP.join(titles.artist_atoms(fold(a)))) for a in artists],
    )
    albums = _distinct(conn, albums_sql)
    _store(
        conn,
        f"{ns}mkeys",
        {"name": "VARCHAR", "marks": "VARCHAR"},
        [(a, ",".join(titles.album_markers(fold(a)))) for a in albums],
    )


def _distinct(conn: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [r[0] for r in conn.execute(f"SELECT DISTINCT v FROM ({sql}) t(v) WHERE v IS NOT NULL").fetchall()]


_VIEW_NUMBERS = itertools.count()


def preload() -> None:
    """Import NumPy now (in a thread while a fetch waits on the network), not when the keys are stored."""
    import numpy  # noqa: F401  (function level: only an analysis needs it, see `_store`)


def _store(
    conn: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[tuple[object, ...]]
) -> None:
    """Store the keys DuckDB joins on. A library of a million entries has some 500,000 distinct
    names: DuckDB scans NumPy column arrays about three times faster than it binds Python lists."""
    typed = ", ".join(f"{n} {t}" for n, t in columns.items())
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({typed})")
    if not rows:
        return
    # Imported here: NumPy adds ~0.1 s to every start, and only an analysis needs it.
    import numpy as np

    arrays = {
        name: np.array(values, dtype=bool if kind == "BOOLEAN" else object)
        for (name, kind), values in zip(columns.items(), zip(*rows, strict=True), strict=True)
    }
    view = f"{table}_rows{next(_VIEW_NUMBERS)}"
    conn.register(view, arrays)
    try:
        conn.execute(f"INSERT INTO {table} SELECT {', '.join(columns)} FROM {view}")
    finally:
        conn.unregister(view)


def key_table_names(ns: str) -> list[str]:
    return [f"{ns}tkeys", f"{ns}akeys", f"{ns}mkeys"]


# -- one value at a time: the same functions the analysis runs ------------------------------------


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
