"""Spotify object shapes (track, episode, artist, user, playlist, paging) for both API profiles.

Catalogue objects are rendered once per (profile, base URL, relinking) and cached, because serving a page
is then just slicing and JSON-encoding; that is what keeps page latency in the low milliseconds.
"""

from __future__ import annotations

import json
import threading
from enum import StrEnum
from typing import Any
from urllib.parse import unquote_plus, urlencode

from spotify_merger.emulator.library import Library, all_markets


class Profile(StrEnum):
    """The API the emulator serves: today's Development Mode, or the older extended-quota one."""

    DEV = "dev-2026"
    EXTENDED = "extended"


DEV = Profile.DEV
EXTENDED = Profile.EXTENDED
OPEN = "https://open.spotify.com"


def _image(seed: str) -> list[dict[str, Any]]:
    """Spotify's three sizes, widest first (640, 300 and the 64 px thumbnail)."""
    return [
        {"url": f"https://i.scdn.co/image/ab67616d0000b273{seed[:24].lower()}", "height": 640, "width": 640},
        {"url": f"https://i.scdn.co/image/ab67616d00001e02{seed[:24].lower()}", "height": 300, "width": 300},
        {"url": f"https://i.scdn.co/image/ab67616d00004851{seed[:24].lower()}", "height": 64, "width": 64},
    ]


class Renderer:
    def __init__(self, library: Library, profile: Profile) -> None:
        self.lib = library
        self.profile = profile
        self.extended = profile == EXTENDED
        self._cache: dict[tuple[str, str, bool], dict[str, Any]] = {}
        self._json_cache: dict[tuple[str, str | None, bool], str] = {}
        self._lock = threading.Lock()

    # --- catalogue --------------------------------------------------------------------------------
    def simple_artist(self, base: str, aid: str) -> dict[str, Any]:
        a = self.lib.artists[aid]
        return {
            "external_urls": {"spotify": f"{OPEN}/artist/{aid}"},
            "href": f"{base}/artists/{aid}",
            "id": aid,
            "name": a["name"],
            "type": "artist",
            "uri": f"spotify:artist:{aid}",
        }

    def artist(self, base: str, aid: str) -> dict[str, Any]:
        a = self.lib.artists[aid]
        out = self.simple_artist(base, aid)
        out["images"] = _image(aid)
        if self.extended:
            out["followers"] = {"href": None, "total": a["followers"]}
            out["genres"] = list(a["genres"])
            out["popularity"] = a["popularity"]
        return out

    def album(self, base: str, alb_id: str) -> dict[str, Any]:
        a = self.lib.albums[alb_id]
        out: dict[str, Any] = {
            "album_type": a["album_type"],
            "total_tracks": a["total_tracks"],
            "external_urls": {"spotify": f"{OPEN}/album/{alb_id}"},
            "href": f"{base}/albums/{alb_id}",
            "id": alb_id,
            "images": _image(alb_id),
            "name": a["name"],
            "release_date": a["release_date"],
            "release_date_precision": a["release_date_precision"],
            "type": "album",
            "uri": f"spotify:album:{alb_id}",
            "artists": [self.simple_artist(base, x) for x in a["artists"]],
        }
        if self.extended:
            out["available_markets"] = all_markets()
        return out

    def track(self, base: str, tid: str, relink: bool = False) -> dict[str, Any]:
        """The full TrackObject; with ``relink`` (extended + market) a relinked id carries linked_from."""
        key = (base, tid, relink)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        t = self.lib.tracks[tid]
        served = t.get("relink_to") if relink and self.extended else None
        src = self.lib.tracks[served] if served else t
        sid = src["id"]
        out: dict[str, Any] = {
            "album": self.album(base, src["album"]),
            "artists": [self.simple_artist(base, a) for a in src["artists"]],
            "disc_number": src["disc_number"],
            "duration_ms": src["duration_ms"],
            "explicit": src["explicit"],
            "external_ids": {"isrc": src["isrc"]},
            "external_urls": {"spotify": f"{OPEN}/track/{sid}"},
            "href": f"{base}/tracks/{sid}",
            "id": sid,
            "is_local": False,
            "name": src["name"],
            "preview_url": None,
            "track_number": src["track_number"],
            "type": "track",
            "uri": f"spotify:track:{sid}",
        }
        if self.extended:
            out["available_markets"] = all_markets()
            out["popularity"] = src["popularity"]
            if relink:
                out["is_playable"] = True
            if served:
                out["linked_from"] = {
                    "external_urls": {"spotify": f"{OPEN}/track/{tid}"},
                    "href": f"{base}/tracks/{tid}",
                    "id": tid,
                    "type": "track",
                    "uri": f"spotify:track:{tid}",
                }
        with self._lock:
            self._cache[key] = out
        return out

    def show(self, base: str, sid: str) -> dict[str, Any]:
        s = self.lib.shows[sid]
        out: dict[str, Any] = {
            "copyrights": [],
            "description": f"A show called {s['name']}.",
            "html_description": f"<p>A show called {s['name']}.</p>",
            "explicit": False,
            "external_urls": {"spotify": f"{OPEN}/show/{sid}"},
            "href": f"{base}/shows/{sid}",
            "id": sid,
            "images": _image(sid),
            "is_externally_hosted": False,
            "languages": ["en"],
            "media_type": "audio",
            "name": s["name"],
            "total_episodes": s["total_episodes"],
            "type": "show",
            "uri": f"spotify:show:{sid}",
        }
        if self.extended:
            out["available_markets"] = all_markets()
            out["publisher"] = s["publisher"]
        return out

    def episode(self, base: str, eid: str) -> dict[str, Any]:
        key = (base, "episode:" + eid, False)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        e = self.lib.episodes[eid]
        out = {
            "audio_preview_url": None,
            "description": f"{e['name']}.",
            "html_description": f"<p>{e['name']}.</p>",
            "duration_ms": e["duration_ms"],
            "explicit": e["explicit"],
            "external_urls": {"spotify": f"{OPEN}/episode/{eid}"},
            "href": f"{base}/episodes/{eid}",
            "id": eid,
            "images": _image(eid),
            "is_externally_hosted": False,
            "is_playable": True,
            "languages": ["en"],
            "name": e["name"],
            "release_date": e["release_date"],
            "release_date_precision": "day",
            "type": "episode",
            "uri": f"spotify:episode:{eid}",
            "show": self.show(base, e["show"]),
        }
        with self._lock:
            self._cache[key] = out
        return out

    def local(self, uri: str) -> dict[str, Any]:
        # Local files come back as track objects with null ids and hrefs, the way Spotify sends them.
        _, _, artist, album, title, secs = uri.split(":", 5)
        out: dict[str, Any] = {
            "album": {
                "album_type": None,
                "artists": [],
                "external_urls": {},
                "href": None,
                "id": None,
                "images": [],
                "name": unquote_plus(album),
                "release_date": None,
                "release_date_precision": None,
                "type": "album",
                "uri": None,
            },
            "artists": [
                {
                    "external_urls": {},
                    "href": None,
                    "id": None,
                    "name": unquote_plus(artist),
                    "type": "artist",
                    "uri": None,
                }
            ],
            "disc_number": 0,
            "duration_ms": int(secs) * 1000 if secs.isdigit() else 0,
            "explicit": False,
            "external_ids": {},
            "external_urls": {},
            "href": None,
            "id": None,
            "is_local": True,
            "name": unquote_plus(title),
            "preview_url": None,
            "track_number": 0,
            "type": "track",
            "uri": uri,
        }
        if self.extended:
            out["available_markets"] = []
            out["popularity"] = 0
        return out

    def playlist_item(self, base: str, uri: str | None, relink: bool) -> dict[str, Any] | None:
        """The item as it appears inside a playlist entry: Spotify adds ``episode``/``track`` flags there."""
        item = self.item(base, uri, relink)
        if item is None:
            return None
        is_episode = item["type"] == "episode"
        return {**item, "episode": is_episode, "track": not is_episode}

    def item(self, base: str, uri: str | None, relink: bool = False) -> dict[str, Any] | None:
        if uri is None:
            return None
        if uri.startswith("spotify:track:"):
            tid = uri[14:]
            return self.track(base, tid, relink) if tid in self.lib.tracks else None
        if uri.startswith("spotify:episode:"):
            eid = uri[16:]
            return self.episode(base, eid) if eid in self.lib.episodes else None
        if uri.startswith("spotify:local:"):
            return self.local(uri)
        return None

    # --- users and playlists ----------------------------------------------------------------------
    def user_ref(
        self, base: str, uid: str, display_name: str | None = None, owner: bool = False
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "external_urls": {"spotify": f"{OPEN}/user/{uid}"},
            "href": f"{base}/users/{uid}",
            "id": uid,
            "type": "user",
            "uri": f"spotify:user:{uid}",
        }
        if owner:
            out["display_name"] = display_name
        return out

    def entry(self, base: str, e: list[Any], relink: bool) -> dict[str, Any]:
        uri, added_at, added_by = e
        item = self.playlist_item(base, uri, relink)
        out: dict[str, Any] = {
            "added_at": added_at,
            "added_by": self.user_ref(base, added_by) if added_by else None,
            "is_local": bool(uri and uri.startswith("spotify:local:")),
            "primary_color": None,
            "item": item,
        }
        if self.extended:
            out["track"] = item
            out["video_thumbnail"] = {"url": None}
        return out

    def entry_json(self, base: str, e: list[Any], relink: bool) -> str:
        """``entry()`` already JSON-encoded, splicing in cached item JSON: the page fast path."""
        uri, added_at, added_by = e
        key = (base, uri, relink)
        item = self._json_cache.get(key)
        if item is None:
            item = dumps(self.playlist_item(base, uri, relink))
            if uri is None or not uri.startswith("spotify:local:"):
                with self._lock:
                    self._json_cache[key] = item
        by = dumps(self.user_ref(base, added_by)) if added_by else "null"
        local = "true" if uri and uri.startswith("spotify:local:") else "false"
        head = f'{{"added_at":{dumps(added_at)},"added_by":{by},"is_local":{local},"primary_color":null,'
        if self.extended:
            return f'{head}"item":{item},"track":{item},"video_thumbnail":{{"url":null}}}}'
        return f'{head}"item":{item}}}'


def dumps(value: Any) -> str:
    """The one JSON encoding the server uses (compact, UTF-8 kept as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def paging(
    base_url: str, query: dict[str, str], items: list[Any], limit: int, offset: int, total: int
) -> dict[str, Any]:
    """A paging object whose next/previous keep the request's other parameters, as Spotify's do."""
    rest = {k: v for k, v in query.items() if k not in ("offset", "limit")}

    def url(off: int) -> str:
        return f"{base_url}?{urlencode({'offset': off, 'limit': limit, **rest})}"

    return {
        "href": url(offset),
        "items": items,
        "limit": limit,
        "next": url(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": url(max(0, offset - limit)) if offset > 0 else None,
        "total": total,
    }
