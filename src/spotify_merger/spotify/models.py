"""What the Spotify layer hands out: typed views of the few objects the rest of the tool reads.

Spotify's JSON stays raw only where it is stored as it came (playlist pages, audio features,
artists: `JsonObject`); everything the tool decides on (who signed in, a playlist's snapshot and
size, a created master, the URIs of a page) crosses the boundary as one of these dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A JSON object as Spotify sent it: read only by the code that stores or renders it verbatim.
JsonObject = dict[str, Any]

OPEN_PLAYLIST_URL = "https://open.spotify.com/playlist/"


def _object(value: object) -> JsonObject:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def entry_uri(entry: object) -> str | None:
    """The URI of a playlist entry's track or episode (None for an unavailable entry)."""
    item = _object(entry).get("item")
    return _str(item.get("uri")) if isinstance(item, dict) else None


@dataclass(frozen=True)
class SpotifyUser:
    """The signed-in user (`GET /me`)."""

    id: str
    display_name: str | None

    @property
    def name(self) -> str:
        return self.display_name or self.id

    @classmethod
    def from_api(cls, raw: JsonObject) -> SpotifyUser:
        return cls(id=str(raw["id"]), display_name=_str(raw.get("display_name")))


@dataclass(frozen=True)
class PlaylistInfo:
    """A playlist's identity, owner, version (snapshot_id) and size, without its items.

    `total` is None when Spotify withholds the items (Development Mode, a playlist of someone else).
    """

    id: str
    name: str | None
    owner_id: str | None = None
    owner_name: str | None = None
    snapshot_id: str | None = None
    total: int | None = None
    collaborative: bool = False
    public: bool | None = None
    description: str | None = None
    url: str | None = None

    def readable_by(self, user_id: str) -> bool:
        """Development Mode lets an app read the items of playlists the user owns or collaborates on."""
        return self.owner_id == user_id or self.collaborative

    @classmethod
    def from_api(cls, raw: JsonObject, *, counter: str = "items", fallback_id: str = "") -> PlaylistInfo:
        """From a playlist object; `counter` names the field whose `total` counts its entries
        ("items" today, "tracks" in the older API), the other one being used when it is missing."""
        other = "tracks" if counter == "items" else "items"
        total = _int(_object(raw.get(counter)).get("total"))
        if total is None:
            total = _int(_object(raw.get(other)).get("total"))
        owner = _object(raw.get("owner"))
        return cls(
            id=_str(raw.get("id")) or fallback_id,
            name=_str(raw.get("name")),
            owner_id=_str(owner.get("id")),
            owner_name=_str(owner.get("display_name")),
            snapshot_id=_str(raw.get("snapshot_id")),
            total=total,
            collaborative=bool(raw.get("collaborative")),
            public=raw.get("public") if isinstance(raw.get("public"), bool) else None,
            description=_str(raw.get("description")),
            url=_str(_object(raw.get("external_urls")).get("spotify")),
        )


@dataclass(frozen=True)
class CreatedPlaylist:
    """A playlist the tool just created."""

    id: str
    name: str
    url: str
    snapshot_id: str | None

    @classmethod
    def from_api(cls, raw: JsonObject, name: str) -> CreatedPlaylist:
        pid = str(raw["id"])
        return cls(
            id=pid,
            name=_str(raw.get("name")) or name,
            url=_str(_object(raw.get("external_urls")).get("spotify")) or OPEN_PLAYLIST_URL + pid,
            snapshot_id=_str(raw.get("snapshot_id")),
        )


@dataclass(frozen=True)
class ItemsPage:
    """One page of a playlist's (or Liked Songs') entries.

    `items` are the entries as Spotify sent them, stored verbatim by the fetch; each entry's track
    or episode is under "item" whatever the API profile.
    """

    items: list[JsonObject]
    total: int

    @property
    def uris(self) -> list[str | None]:
        return [entry_uri(e) for e in self.items]
