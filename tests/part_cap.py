"""The real `spotify-merger` command line, with a smaller songs-per-playlist cap than Spotify's.

Test libraries of a few hundred songs then write their master as several parts, at once, so the
kill and soak suites exercise concurrent parts in real processes without 20,000-entry playlists.
Only the cap changes (the module constant the write step reads at call time); the process is the
ordinary CLI in every other respect.
"""

from __future__ import annotations

import sys

_WITH_CAP = (
    "import sys; import spotify_merger.analyze.parts as parts; "
    "parts.MAX_PLAYLIST_ITEMS = int(sys.argv.pop(1)); "
    "from spotify_merger.cli import main; main()"
)


def cli(cap: int | None = None) -> list[str]:
    """The argv prefix that runs the CLI (with `cap` songs per playlist part, if given)."""
    if cap is None:
        return [sys.executable, "-m", "spotify_merger"]
    return [sys.executable, "-c", _WITH_CAP, str(cap)]
