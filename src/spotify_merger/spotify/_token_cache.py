"""The token cache: one JSON file in the data dir, mode 0600 from its first byte, replaced atomically.

It is tied to one app (client id) and one accounts service, so a cache written against the emulator
is never offered to Spotify, and one written for another app is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path

from spotipy.cache_handler import CacheHandler

from spotify_merger.context import Environment
from spotify_merger.spotify.models import JsonObject


def write_private_json(path: Path, data: JsonObject) -> None:
    """Write JSON readable by the owner only: a 0600 temp file, fsynced, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class TokenCache(CacheHandler):
    """The token cache in the data dir, tied to one app (client id) and one accounts service.

    With SPOTIFY_REFRESH_TOKEN set and no matching cache, it serves an already-expired token holding
    that refresh token, so spotipy refreshes it on first use (Spotify may rotate it; the rotated
    one is what the cache keeps afterwards).
    """

    def __init__(self, env: Environment, *, scope: str) -> None:
        self.path = env.token_cache_path
        self.client_id = env.client_id or ""
        self.accounts_base = env.accounts_base
        self.seed_refresh = env.refresh_token
        self.scope = scope

    def _ours(self, token: JsonObject) -> bool:
        if token.get("client_id") != self.client_id or token.get("accounts_base") != self.accounts_base:
            return False
        if self.seed_refresh and token.get("seed") != _fingerprint(self.seed_refresh):
            return False
        return "refresh_token" in token

    def get_cached_token(self) -> JsonObject | None:
        token: JsonObject | None = None
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and self._ours(loaded):
                token = loaded
        if token is None and self.seed_refresh:
            token = {
                "refresh_token": self.seed_refresh,
                "access_token": "",
                "expires_at": 0,
                "scope": self.scope,
            }
        return token

    def save_token_to_cache(self, token_info: JsonObject) -> None:
        data = dict(token_info)
        data["client_id"] = self.client_id
        data["accounts_base"] = self.accounts_base
        if self.seed_refresh:
            data["seed"] = _fingerprint(self.seed_refresh)
        write_private_json(self.path, data)
