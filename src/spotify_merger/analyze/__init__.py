"""Analysis of fetched playlists: weights, overlap, smart deduplication, musical DNA, the merge plan.

- `analyzer`: `SpotifyAnalyzer`, the API the report, the write step and the notebooks share.
- `model`: its inputs and the plan it hands the write (`MergeOptions`, `MergePlan`).
- `results`: its typed results and the `DryRunReport` built from them.
- `parts`: the master's name and its split into playlists under Spotify's 10,000-item cap.

The SQL behind them (`dedup`, `normalize`, `review`, and the `_`-prefixed modules) is internal.
`SpotifyAnalyzer` (and with it DuckDB) loads on first use, so the command line can read the merge
option choices from `analyze.model` without paying for the analysis at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spotify_merger.analyze.model import (
    KEEP_CHOICES,
    MATCH_CHOICES,
    ORDER_CHOICES,
    MergeOptions,
    MergePlan,
)
from spotify_merger.analyze.parts import default_master_name, split_into_parts, validate_master_name
from spotify_merger.analyze.results import DryRunReport, DryRunSummary

if TYPE_CHECKING:
    from spotify_merger.analyze.analyzer import SpotifyAnalyzer

__all__ = [
    "KEEP_CHOICES",
    "MATCH_CHOICES",
    "ORDER_CHOICES",
    "DryRunReport",
    "DryRunSummary",
    "MergeOptions",
    "MergePlan",
    "SpotifyAnalyzer",
    "default_master_name",
    "split_into_parts",
    "validate_master_name",
]


def __getattr__(name: str) -> type[SpotifyAnalyzer]:
    if name == "SpotifyAnalyzer":
        # Imported here: see the module docstring (DuckDB only once an analysis is asked for).
        from spotify_merger.analyze.analyzer import SpotifyAnalyzer

        return SpotifyAnalyzer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
