"""Title and artist normalization for rule 3 ("same title, same primary artist, duration within 2 s").

The normalization is deliberately narrow: it lowercases, folds accents and strips remaster
annotations, and nothing else. Every other annotation ("- Live", "(Acoustic)", "- Radio Edit",
"Remix", "Demo", "Instrumental") names a different recording, so it must survive.

The SQL expressions below are the single source of truth: the analysis runs them inside DuckDB,
and the Python helpers evaluate the very same expressions on an in-memory connection, so the two
can never drift apart.
"""

from __future__ import annotations

import threading
from functools import lru_cache

# Remaster annotations, matched on the lowercased title. A suffix after " - " or a bracketed group:
#   "- 2011 Remaster", "- Remastered", "- Remastered 2011", "- 2009 Digital Remaster",
#   "(Remastered 2009)", "[2015 Remaster]", "(Remastered Version)".
# Anchored at the end (dash form) so "Song - Remastered 2011 / Live" keeps its "/ live" part
# and stays distinct; a trailing qualifier we do not recognise means we do not merge.
_REMASTER_CORE = (
    r"([0-9]{4}\s+)?((digital|digitally)\s+)?(remaster|remastered)"
    r"(\s+(version|edition|mix))?(\s+[0-9]{4})?(\s+(version|edition))?"
)
REMASTER_DASH_RE = r"\s+[-–—]\s+" + _REMASTER_CORE + r"\s*$"
REMASTER_BRACKET_RE = r"\s*[\(\[]\s*" + _REMASTER_CORE + r"\s*[\)\]]"

# Accents are folded only for text written in Latin script (plus common punctuation, digits and
# emoji). In kana, Hangul, Cyrillic or Arabic the "marks" are letters of their own (デ vs テ,
# й vs и): folding them would merge different words.
_NON_LATIN_RE = r"[^\p{Latin}\p{Common}\p{Inherited}]"


def _fold_sql(expr: str) -> str:
    lowered = f"lower(nfc_normalize({expr}))"
    non_latin = f"regexp_matches({expr}, '{_NON_LATIN_RE}')"
    return f"(CASE WHEN {non_latin} THEN {lowered} ELSE strip_accents({lowered}) END)"


def _squash_sql(expr: str) -> str:
    """Collapse runs of whitespace and trim."""
    return f"trim(regexp_replace({expr}, '\\s+', ' ', 'g'))"


def title_sql(column: str) -> str:
    """A DuckDB expression giving the normalized title of `column` ('' when nothing is left)."""
    folded = _fold_sql(f"coalesce({column}, '')")
    no_bracket = f"regexp_replace({folded}, '{REMASTER_BRACKET_RE}', '', 'g')"
    no_dash = f"regexp_replace({no_bracket}, '{REMASTER_DASH_RE}', '')"
    return _squash_sql(no_dash)


def artist_sql(column: str) -> str:
    """A DuckDB expression giving the normalized artist name of `column` ('' when missing)."""
    return _squash_sql(_fold_sql(f"coalesce({column}, '')"))


class _Evaluator:
    """A private in-memory DuckDB used to evaluate the SQL expressions from Python."""

    def __init__(self) -> None:
        # Imported on first use: DuckDB loads only when Python code asks for a normalized string.
        import duckdb

        self._lock = threading.Lock()
        self._conn = duckdb.connect(":memory:")

    def scalar(self, sql: str, value: str | None) -> str:
        with self._lock:
            row = self._conn.execute(sql, [value]).fetchone()
        return "" if row is None or row[0] is None else str(row[0])


@lru_cache(maxsize=1)
def _evaluator() -> _Evaluator:
    return _Evaluator()


def normalize_title(title: str | None) -> str:
    """Python access to `title_sql`: the same result the dedup query computes."""
    return _evaluator().scalar(f"SELECT {title_sql('v')} FROM (SELECT CAST(? AS VARCHAR) AS v)", title)


def normalize_artist(name: str | None) -> str:
    """Python access to `artist_sql`."""
    return _evaluator().scalar(f"SELECT {artist_sql('v')} FROM (SELECT CAST(? AS VARCHAR) AS v)", name)
