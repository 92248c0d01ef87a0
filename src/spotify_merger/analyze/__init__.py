"""Analysis of fetched playlists: weights, overlap, smart deduplication, musical DNA, the merge plan.

- `analyzer`: `SpotifyAnalyzer`, the API the report, the write step and the notebooks share.
- `model`: its inputs and the plan it hands the write (`MergeOptions`, `MergePlan`).
- `results`: its typed results and the `DryRunReport` built from them.
- `parts`: the master's name and its split into playlists under Spotify's 10,000-item cap.

The SQL behind them (`dedup`, `normalize`, `review`, and the `_`-prefixed modules) is internal.
"""

from spotify_merger.analyze.analyzer import SpotifyAnalyzer
from spotify_merger.analyze.model import (
    KEEP_CHOICES,
    MATCH_CHOICES,
    ORDER_CHOICES,
    MergeOptions,
    MergePlan,
)
from spotify_merger.analyze.parts import default_master_name, split_into_parts, validate_master_name
from spotify_merger.analyze.results import DryRunReport, DryRunSummary

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
