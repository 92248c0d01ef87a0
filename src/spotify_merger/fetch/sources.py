"""Which playlists to read: the sources given on the command line, or PLAYLIST_1_ID / PLAYLIST_2_ID."""

from __future__ import annotations

from spotify_merger.context import Environment
from spotify_merger.display import quote
from spotify_merger.errors import UsageError
from spotify_merger.spotify.ids import parse_source


def resolve_sources(env: Environment, sources: list[str] | None) -> list[str]:
    """Parsed, de-duplicated sources; the .env defaults when none are given."""
    if any(not s.strip() for s in sources or []):
        raise UsageError(
            "an empty source was given",
            "give playlist ids, URIs or links (see `spotify-merger playlists`), or no source at all to use "
            "PLAYLIST_1_ID and PLAYLIST_2_ID",
        )
    given = list(sources or [])
    from_defaults = not given
    if from_defaults:
        given = list(env.default_sources)
    if not given:
        raise UsageError(
            "no playlists to read: none given and PLAYLIST_1_ID / PLAYLIST_2_ID are not set",
            "pass them as arguments (see `spotify-merger playlists` for ids) or set PLAYLIST_1_ID and "
            "PLAYLIST_2_ID in .env",
        )
    ids: list[str] = []
    for text in given:
        try:
            pid = parse_source(text)
        except UsageError as exc:
            if from_defaults:
                raise UsageError(
                    f"{exc.message} (from PLAYLIST_1_ID / PLAYLIST_2_ID in .env)", exc.hint
                ) from None
            raise
        if pid in ids:
            first = given[ids.index(pid)]
            raise UsageError(
                f"{quote(text)} and {quote(first)} are the same playlist ({pid})",
                "give each playlist once",
            )
        ids.append(pid)
    return ids
