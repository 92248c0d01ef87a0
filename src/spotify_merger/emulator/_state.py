"""Mutable server state: apps, tokens, playlists, follows and Liked Songs, with optional JSON persistence.

The seeded part of the state is regenerated from the seed on every start; the state file records only what
changed (created or edited playlists, follows, tokens), so it stays small and a restarted emulator process
continues exactly where the previous one stopped.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spotify_merger.emulator.library import Library, SeededPlaylist, stable_id

ALL_SCOPES = frozenset(
    {
        "playlist-read-private",
        "playlist-read-collaborative",
        "playlist-modify-private",
        "playlist-modify-public",
        "user-library-read",
        "user-library-modify",
        "user-read-private",
        "user-read-email",
        "user-follow-read",
        "user-follow-modify",
        "user-top-read",
        "user-read-recently-played",
        "user-read-playback-state",
        "user-modify-playback-state",
        "user-read-currently-playing",
        "ugc-image-upload",
        "app-remote-control",
        "streaming",
        "user-read-playback-position",
        "user-personalized",
    }
)
MAX_PLAYLIST_ITEMS = 10_000
STATE_FORMAT = 1


@dataclass
class Playlist(SeededPlaylist):
    """A playlist as the server holds it: the seeded fields, plus its version (the snapshot) and
    whether it was seeded or created, and changed since."""

    version: int = 1
    seeded: bool = True
    modified: bool = False

    @property
    def snapshot_id(self) -> str:
        # Opaque like Spotify's; a new value for every version of the playlist.
        digest = hashlib.sha256(f"{self.id}:{self.version}".encode()).digest()[:20]
        return base64.b64encode(self.version.to_bytes(4, "big") + digest).decode()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "public": self.public,
            "collaborative": self.collaborative,
            "description": self.description,
            "entries": self.entries,
            "version": self.version,
            "seeded": self.seeded,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Playlist:
        return cls(
            d["id"],
            d["name"],
            d["owner"],
            d["public"],
            d["collaborative"],
            d["description"],
            d["entries"],
            d["version"],
            d["seeded"],
            True,
        )


@dataclass
class App:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)


@dataclass
class Grant:
    """What a token stands for: an app, maybe a user, a set of scopes."""

    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    expires_at: float = 0.0  # access tokens only
    pkce: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "user_id": self.user_id,
            "scopes": sorted(self.scopes),
            "expires_at": self.expires_at,
            "pkce": self.pkce,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Grant:
        return cls(d["client_id"], d["user_id"], frozenset(d["scopes"]), d["expires_at"], d["pkce"])


class State:
    """All mutable state behind one re-entrant lock. Writers call ``changed()`` to persist."""

    def __init__(
        self, library: Library, seed: int, sizes: tuple[int, ...], state_file: str | None = None
    ) -> None:
        self.lock = threading.RLock()
        self.library = library
        self.seed = seed
        self.sizes = sizes
        self.state_file = Path(state_file) if state_file else None
        self.user_id = library.user_id
        self.users: dict[str, str] = {
            library.user_id: library.user_name,
            library.other_user_id: "Late Night Curator",
            library.collab_user_id: "Road Trip Friend",
        }
        self.playlists: dict[str, Playlist] = {}
        for sp in library.playlists:
            self.playlists[sp.id] = Playlist(
                sp.id,
                sp.name,
                sp.owner,
                sp.public,
                sp.collaborative,
                sp.description,
                [list(e) for e in sp.entries],
            )
        self.follows: dict[str, list[str]] = {self.user_id: [p.id for p in library.playlists]}
        self.liked: list[tuple[str, str]] = list(library.liked)
        self.liked_modified = False
        # 32 hex digits, like Spotify's client ids and secrets.
        self.app = App(
            hashlib.sha256(f"{seed}:client".encode()).hexdigest()[:32],
            hashlib.sha256(f"{seed}:secret".encode()).hexdigest()[:32],
            ["http://127.0.0.1:8888/callback", "http://[::1]:8888/callback"],
        )
        self.apps: dict[str, App] = {self.app.client_id: self.app}
        self.seed_refresh_token = "AQ" + stable_id(seed, "refresh") + stable_id(seed, "refresh2")
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {
            self.seed_refresh_token: Grant(self.app.client_id, self.user_id, ALL_SCOPES),
        }
        self.codes: dict[str, dict[str, Any]] = {}
        self.created = 0  # counter behind the ids of created playlists
        if self.state_file and self.state_file.exists():
            self._load()

    # --- playlists --------------------------------------------------------------------------------
    def seeded_ids(self) -> list[str]:
        return [p.id for p in self.library.playlists]

    def create_playlist(
        self, owner: str, name: str, public: bool, collaborative: bool, description: str
    ) -> Playlist:
        with self.lock:
            self.created += 1
            pid = stable_id(self.seed, "created", self.created)
            pl = Playlist(
                pid, name, owner, public, collaborative, description, [], 1, seeded=False, modified=True
            )
            self.playlists[pid] = pl
            self.follows.setdefault(owner, []).insert(0, pid)
            self.changed()
            return pl

    def touch(self, pl: Playlist) -> None:
        """Record a modification of ``pl``: new snapshot_id, persisted."""
        pl.version += 1
        pl.modified = True
        self.changed()

    # --- tokens -----------------------------------------------------------------------------------
    def issue_access(self, grant: Grant, ttl: float) -> str:
        token = "BQ" + secrets.token_urlsafe(48)
        with self.lock:
            # Drop long-expired tokens so that a long soak does not grow the state without bound.
            now = time.time()
            if len(self.access) > 2000:
                self.access = {k: g for k, g in self.access.items() if g.expires_at > now - 3600}
            self.access[token] = Grant(grant.client_id, grant.user_id, grant.scopes, now + ttl, grant.pkce)
            self.changed()
        return token

    def issue_refresh(self, grant: Grant) -> str:
        token = "AQ" + secrets.token_urlsafe(96)
        with self.lock:
            self.refresh[token] = grant
            self.changed()
        return token

    # --- persistence ------------------------------------------------------------------------------
    def changed(self) -> None:
        if self.state_file is None:
            return
        with self.lock:
            data = {
                "format": STATE_FORMAT,
                "seed": self.seed,
                "sizes": list(self.sizes),
                "created": self.created,
                "playlists": [p.to_json() for p in self.playlists.values() if p.modified],
                "deleted_seeded": [pid for pid in self.seeded_ids() if pid not in self.playlists],
                "follows": self.follows,
                "liked": self.liked if self.liked_modified else None,
                "redirect_uris": self.app.redirect_uris,
                "access": {k: g.to_json() for k, g in self.access.items()},
                "refresh": {k: g.to_json() for k, g in self.refresh.items()},
            }
            path = self.state_file
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write-then-rename, so a crash mid-write never leaves a torn state file behind.
            fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, separators=(",", ":"))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def _load(self) -> None:
        assert self.state_file is not None
        data = json.loads(self.state_file.read_text(encoding="utf-8"))
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"{self.state_file}: unknown state format {data.get('format')!r}")
        if data["seed"] != self.seed or tuple(data["sizes"]) != tuple(self.sizes):
            raise ValueError(
                f"{self.state_file} was written by an emulator with seed {data['seed']} and sizes "
                f"{tuple(data['sizes'])}; start with the same --seed/--sizes or use another --state file"
            )
        self.created = data["created"]
        for pid in data["deleted_seeded"]:
            self.playlists.pop(pid, None)
        for pd in data["playlists"]:
            self.playlists[pd["id"]] = Playlist.from_json(pd)
        self.follows = {k: list(v) for k, v in data["follows"].items()}
        if data.get("liked") is not None:
            self.liked = [(t, a) for t, a in data["liked"]]
            self.liked_modified = True
        for uri in data.get("redirect_uris", []):
            if uri not in self.app.redirect_uris:
                self.app.redirect_uris.append(uri)
        self.access = {k: Grant.from_json(g) for k, g in data["access"].items()}
        self.refresh.update({k: Grant.from_json(g) for k, g in data["refresh"].items()})
