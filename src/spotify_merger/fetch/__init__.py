"""Reading the sources: which playlists (`sources`), their pages (`playlists`), and the audio
features and artist details the API still offers (`features`)."""

from spotify_merger.fetch.features import FeaturesResult, fetch_features
from spotify_merger.fetch.playlists import FetchResult, PlaylistResult, fetch_sources
from spotify_merger.fetch.sources import resolve_sources

__all__ = [
    "FeaturesResult",
    "FetchResult",
    "PlaylistResult",
    "fetch_features",
    "fetch_sources",
    "resolve_sources",
]
