"""The master playlist's name and its split into parts under Spotify's 10,000-item cap."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from spotify_merger.errors import UsageError

MAX_PLAYLIST_ITEMS = 10_000
# Spotify documents no limit for playlist names in the Web API reference; its apps stop at 100
# characters, so we keep to that. A part suffix " (10/10)" must still fit after the name.
MAX_NAME_LENGTH = 100
PART_SUFFIX_RESERVE = len(" (10/10)")
MAX_MASTER_NAME_LENGTH = MAX_NAME_LENGTH - PART_SUFFIX_RESERVE


@dataclass(frozen=True)
class PlannedPart:
    index: int  # 1-based
    count: int
    name: str
    uris: tuple[str, ...]


def split_into_parts(name: str, uris: list[str], cap: int = MAX_PLAYLIST_ITEMS) -> list[PlannedPart]:
    """Cut the planned URIs into playlists of at most `cap` items, keeping the planned order.

    One part keeps the plain name; several are "NAME (1/3)", "NAME (2/3)", ... Every part but the
    last is filled to the cap: with a cap that is a multiple of 100 (the add batch size) this keeps
    the number of add calls at its lower bound, ceil(songs / 100).
    """
    if cap < 1:
        raise ValueError("cap must be at least 1")
    if not uris:
        return []
    n_parts = math.ceil(len(uris) / cap)
    if n_parts == 1:
        return [PlannedPart(1, len(uris), name, tuple(uris))]
    parts: list[PlannedPart] = []
    for i in range(n_parts):
        chunk = tuple(uris[i * cap : (i + 1) * cap])
        parts.append(PlannedPart(i + 1, len(chunk), f"{name} ({i + 1}/{n_parts})", chunk))
    return parts


def default_master_name(today: datetime.date | None = None) -> str:
    return f"Master Library {(today or datetime.date.today()).isoformat()}"


def validate_master_name(name: str) -> str:
    """The name, trimmed; UsageError when it is empty or too long to carry a part suffix."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise UsageError(
            "the master playlist name is empty", "pass a name with --name, or leave it out for the default"
        )
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in cleaned):
        raise UsageError(
            "the master playlist name contains control characters (such as a newline or an escape)",
            "pass a single-line name of plain text with --name",
        )
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in cleaned):
        raise UsageError(
            "the master playlist name holds bytes that are not UTF-8 text",
            "pass the name as UTF-8 text with --name",
        )
    if len(cleaned) > MAX_MASTER_NAME_LENGTH:
        raise UsageError(
            f"the master playlist name is {len(cleaned)} characters long; "
            f"at most {MAX_MASTER_NAME_LENGTH} fit",
            f"shorten it: Spotify allows {MAX_NAME_LENGTH} characters "
            "and a part suffix like ' (1/2)' must fit",
        )
    return cleaned
