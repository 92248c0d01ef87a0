"""The token cache: one JSON file in the data dir, mode 0600 from its first byte, replaced atomically.

It is tied to one app (client id) and one accounts service, so a cache written against the emulator
is never offered to Spotify, and one written for another app is ignored. Its mode is checked on
every read: a cache others can read (copied, restored from a backup, edited) is set back to 0600
with one warning. A cache that is not the JSON we write is "corrupt", and said to be.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import threading
from pathlib import Path

from spotipy.cache_handler import CacheHandler

from spotify_merger.context import Environment
from spotify_merger.display import quote
from spotify_merger.errors import AuthError
from spotify_merger.spotify.models import JsonObject

_warned: set[tuple[str, str]] = set()  # (path, what): each warning once per process
_warned_lock = threading.Lock()


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
        self.env = env
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
        loaded = self._read()
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

    def _read(self) -> object:
        """The cache's JSON, or None when there is none; a corrupt one raises AuthError (or is
        set aside with a warning when SPOTIFY_REFRESH_TOKEN can stand in for it)."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unreadable(exc) from None
        if not stat.S_ISREG(info.st_mode):
            raise AuthError(
                f"the token cache {quote(self.path, 120)} is not a file",
                "move it aside, then run `spotify-merger auth` to sign in again",
            )
        if info.st_mode & 0o077:
            self._make_private(info.st_mode)
        try:
            text = self.path.read_text(encoding="utf-8")
            return json.loads(text)
        except OSError as exc:
            raise self._unreadable(exc) from None
        except ValueError:  # not UTF-8, or not JSON
            if self.seed_refresh:
                self._warn_once(
                    "corrupt",
                    f"the token cache {quote(self.path, 120)} is corrupt; signing in with "
                    "SPOTIFY_REFRESH_TOKEN instead (the cache is rewritten on the next refresh)",
                )
                return None
            raise AuthError(
                f"the token cache {quote(self.path, 120)} is corrupt (it is not the JSON spotify-merger writes)",
                f"delete {quote(self.path, 120)} and run `spotify-merger auth` to sign in again",
            ) from None

    def _unreadable(self, exc: OSError) -> AuthError:
        return AuthError(
            f"cannot read the token cache {quote(self.path, 120)} ({exc.strerror or exc})",
            "check its permissions, or delete it and run `spotify-merger auth` to sign in again",
        )

    def _make_private(self, mode: int) -> None:
        """Others could read the tokens: take that back (0600) and say so, once."""
        try:
            os.chmod(self.path, 0o600)
        except OSError as exc:
            self._warn_once(
                "mode",
                f"the token cache {quote(self.path, 120)} is readable by others (mode "
                f"{stat.S_IMODE(mode):04o}) and could not be made private ({exc.strerror or exc})",
            )
            return
        self._warn_once(
            "mode",
            f"the token cache {quote(self.path, 120)} was readable by others (mode {stat.S_IMODE(mode):04o}); "
            "it is now 0600, readable by you only",
        )

    def _warn_once(self, what: str, message: str) -> None:
        key = (str(self.path), what)
        with _warned_lock:
            if key in _warned:
                return
            _warned.add(key)
        self.env.warn(message)

    def save_token_to_cache(self, token_info: JsonObject) -> None:
        data = dict(token_info)
        data["client_id"] = self.client_id
        data["accounts_base"] = self.accounts_base
        if self.seed_refresh:
            data["seed"] = _fingerprint(self.seed_refresh)
        write_private_json(self.path, data)
