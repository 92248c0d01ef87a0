"""Spotify references as people type them: ids, `spotify:` URIs, open.spotify.com links, `liked`.

One reader (`parse_ref`) serves playlists (`parse_source`) and tracks (`parse_track`).

Parsing is local and strict (a Spotify id is 22 base62 characters); whether the playlist exists
is for the server to say (NotFoundError from the fetch), not guessed here.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from spotify_merger.display import quote
from spotify_merger.errors import UsageError

LIKED = "liked"
_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_URI = re.compile(r"^spotify:(?:user:[^:]+:)?(?P<kind>[a-z]+):(?P<id>[0-9A-Za-z]{22})$")
_HOSTS = ("open.spotify.com", "play.spotify.com")
_ACCEPTED = (
    "a playlist id (22 letters and digits), a spotify:playlist:… URI, "
    "an https://open.spotify.com/playlist/… link, or `liked` for Liked Songs"
)
TRACK_ACCEPTED = (
    "a track id (22 letters and digits), a spotify:track:… URI or an https://open.spotify.com/track/… link"
)


def parse_ref(text: str, kind: str) -> str | None:
    """The id of the `kind` ('playlist', 'track'…) that `text` names: a bare id, a URI or a link; else None."""
    raw = text.strip()
    if _ID.match(raw):
        return raw
    match = _URI.match(raw)
    if match:
        return match.group("id") if match.group("kind") == kind else None
    candidate = raw if "://" in raw else f"https://{raw}" if raw.startswith(_HOSTS) else ""
    if candidate:
        parts = urlsplit(candidate)
        if (parts.hostname or "").lower() in _HOSTS:
            # Paths look like /playlist/ID, /intl-de/track/ID or /user/NAME/playlist/ID.
            segments = [unquote(s) for s in parts.path.split("/") if s]
            if kind in segments:
                index = segments.index(kind)
                if index + 1 < len(segments) and _ID.match(segments[index + 1]):
                    return segments[index + 1]
    return None


def parse_source(text: str) -> str:
    """The playlist id (or "liked") that `text` names; UsageError when it names none."""
    raw = text.strip()
    if raw.lower() in (LIKED, "liked-songs", "liked_songs", "spotify:collection:tracks"):
        return LIKED
    found = parse_ref(raw, "playlist")
    if found:
        return found
    if raw.startswith(_HOSTS) or "://" in raw:
        path = urlsplit(raw if "://" in raw else f"https://{raw}").path
        if [s for s in path.split("/") if s][-2:] == ["collection", "tracks"]:
            return LIKED
    raise UsageError(f"{quote(text)} is not a playlist I can read", f"give {_ACCEPTED}")


def parse_track(text: str) -> str:
    """The track id that `text` names; UsageError when it names none (an album, a playlist…)."""
    found = parse_ref(text, "track")
    if found is None:
        raise UsageError(f"{quote(text)} is not a track", f"give {TRACK_ACCEPTED}")
    return found
