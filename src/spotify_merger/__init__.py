"""spotify-merger: merge large Spotify playlists into one deduplicated master playlist."""

__version__ = "0.1.0"
