"""Analysis of fetched playlists: weights, overlap, smart deduplication, musical DNA, the merge plan."""

from spotify_merger.analyze.analyzer import SpotifyAnalyzer
from spotify_merger.analyze.model import (
    KEEP_CHOICES,
    MATCH_CHOICES,
    ORDER_CHOICES,
    MergeOptions,
    MergePlan,
)

__all__ = [
    "KEEP_CHOICES",
    "MATCH_CHOICES",
    "ORDER_CHOICES",
    "MergeOptions",
    "MergePlan",
    "SpotifyAnalyzer",
]
