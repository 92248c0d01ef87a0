"""Signing in to Spotify: PKCE, Authorization Code with a secret, or a headless refresh token.

`login()` runs the interactive flow once and writes the token cache; `auth_manager()` gives every
later command a spotipy auth manager that refreshes tokens from that cache (or from
SPOTIFY_REFRESH_TOKEN) without ever falling back to an interactive prompt. Both route through
`env.accounts_base`, so the emulator and Spotify share one code path.

The cache file is created with mode 0600 through `os.open` (never briefly world-readable) and
replaced atomically; tokens never reach logs or the console.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import os
import secrets
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from spotipy.cache_handler import CacheHandler
from spotipy.oauth2 import SpotifyOAuth, SpotifyPKCE

from spotify_merger.context import Environment
from spotify_merger.errors import AuthError, UsageError
from spotify_merger.policy import TokenServerError

# Only what the job needs: read the sources (private and collaborative), Liked Songs, and create,
# fill and unfollow the private master. Unfollowing goes through DELETE /me/library, which Spotify
# documents under playlist-modify-public, so both modify scopes are asked for.
SCOPES: tuple[str, ...] = (
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
    "user-library-read",
)
SCOPE = " ".join(SCOPES)

LOGIN_TIMEOUT = 300.0
_LOOPBACK_HOSTS = ("127.0.0.1", "::1")


# -- redirect URI ------------------------------------------------------------------------------------


def validate_redirect_uri(uri: str) -> None:
    """Refuse redirect URIs Spotify refuses: `localhost`, and plain http off a loopback IP literal."""
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    rule = (
        "Spotify accepts only https redirect URIs, or http on a loopback IP literal "
        "(http://127.0.0.1:PORT/... or http://[::1]:PORT/...)"
    )
    if parts.scheme == "https" and host:
        return
    if parts.scheme != "http" or not host:
        raise UsageError(
            f"the redirect URI {uri!r} is not a valid http(s) URL", f"{rule}; set SPOTIFY_REDIRECT_URI"
        )
    if host == "localhost":
        raise UsageError(
            f"the redirect URI {uri} uses `localhost`, which Spotify no longer accepts (since April 2025)",
            "use http://127.0.0.1:8888/callback instead, both in SPOTIFY_REDIRECT_URI "
            "and in your app's dashboard",
        )
    if host not in _LOOPBACK_HOSTS:
        raise UsageError(f"the redirect URI {uri} uses plain http on a host that is not a loopback IP", rule)


# -- token cache -------------------------------------------------------------------------------------


def write_private_json(path: Path, data: dict[str, Any]) -> None:
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

    def __init__(self, env: Environment) -> None:
        self.path = env.token_cache_path
        self.client_id = env.client_id or ""
        self.accounts_base = env.accounts_base
        self.seed_refresh = env.refresh_token

    def _ours(self, token: dict[str, Any]) -> bool:
        if token.get("client_id") != self.client_id or token.get("accounts_base") != self.accounts_base:
            return False
        if self.seed_refresh and token.get("seed") != _fingerprint(self.seed_refresh):
            return False
        return "refresh_token" in token

    def get_cached_token(self) -> dict[str, Any] | None:
        token: dict[str, Any] | None = None
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and self._ours(loaded):
                token = loaded
        if token is None and self.seed_refresh:
            token = {"refresh_token": self.seed_refresh, "access_token": "", "expires_at": 0, "scope": SCOPE}
        return token

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        data = dict(token_info)
        data["client_id"] = self.client_id
        data["accounts_base"] = self.accounts_base
        if self.seed_refresh:
            data["seed"] = _fingerprint(self.seed_refresh)
        write_private_json(self.path, data)


# -- auth managers -----------------------------------------------------------------------------------


class _Guarded:
    """Shared behaviour of our auth managers: thread-safe, never interactive, typed errors."""

    _lock: threading.RLock
    cache_handler: TokenCache

    def _setup(self, env: Environment) -> None:
        self._lock = threading.RLock()
        # spotipy reads these as class attributes; per-instance values route to env.accounts_base.
        self.OAUTH_AUTHORIZE_URL = f"{env.accounts_base}/authorize"
        self.OAUTH_TOKEN_URL = f"{env.accounts_base}/api/token"

    def get_access_token(self, *args: Any, **kwargs: Any) -> Any:
        # Threads share one token; without the lock two of them could refresh at once.
        with self._lock:
            return super().get_access_token(*args, **kwargs)  # type: ignore[misc]

    def force_refresh(self) -> None:
        """Mark the cached token expired, so the next call refreshes it (after a 401)."""
        with self._lock:
            token = self.cache_handler.get_cached_token()
            if token:
                token["expires_at"] = 0
                self.cache_handler.save_token_to_cache(token)

    def _no_interaction(self, *args: Any, **kwargs: Any) -> Any:
        raise AuthError("not signed in to Spotify yet (no saved sign-in)", "run `spotify-merger auth` first")

    def _handle_oauth_error(self, http_error: Any) -> None:
        response = http_error.response
        status = response.status_code
        if status >= 500 or status == 429:
            raise TokenServerError(f"Spotify's accounts service answered {status} to a token request")
        try:
            payload = response.json()
            error, description = payload.get("error"), payload.get("error_description")
        except ValueError:
            error, description = None, (response.text or "")[:120]
        detail = f"{error}: {description}" if description else str(error)
        if error == "invalid_grant":
            raise AuthError(
                f"Spotify no longer accepts the saved sign-in ({detail}); it was revoked or has expired",
                "re-run `spotify-merger auth` to sign in again (or set a fresh SPOTIFY_REFRESH_TOKEN)",
            )
        if error == "invalid_client":
            raise AuthError(
                f"Spotify rejected the app's credentials ({detail})",
                "check SPOTIFY_CLIENT_ID (and SPOTIFY_CLIENT_SECRET if set) against your app "
                "in the Spotify developer dashboard",
            )
        raise AuthError(f"Spotify refused the token request ({detail})")


class PKCEManager(_Guarded, SpotifyPKCE):
    def __init__(self, env: Environment, session: Any) -> None:
        SpotifyPKCE.__init__(
            self,
            client_id=env.client_id,
            redirect_uri=env.redirect_uri,
            scope=SCOPE,
            requests_session=session,
            requests_timeout=30,
            open_browser=False,
            cache_handler=TokenCache(env),
        )
        self._setup(env)

    _get_auth_response = _Guarded._no_interaction


class SecretManager(_Guarded, SpotifyOAuth):
    def __init__(self, env: Environment, session: Any) -> None:
        SpotifyOAuth.__init__(
            self,
            client_id=env.client_id,
            client_secret=env.client_secret,
            redirect_uri=env.redirect_uri,
            scope=SCOPE,
            requests_session=session,
            requests_timeout=30,
            open_browser=False,
            cache_handler=TokenCache(env),
        )
        self._setup(env)

    get_auth_response = _Guarded._no_interaction


def _require_client_id(env: Environment) -> None:
    if not env.client_id:
        raise AuthError(
            "SPOTIFY_CLIENT_ID is not set",
            "create an app in the Spotify developer dashboard, put its client id in .env "
            "(see .env.example), then run `spotify-merger auth`",
        )


def _build(env: Environment, session: Any) -> PKCEManager | SecretManager:
    return SecretManager(env, session) if env.client_secret else PKCEManager(env, session)


def auth_manager(env: Environment, *, session: Any = None) -> PKCEManager | SecretManager:
    """The auth manager API calls use: cached sign-in or SPOTIFY_REFRESH_TOKEN, refreshed as needed."""
    _require_client_id(env)
    manager = _build(env, session if session is not None else True)
    if manager.cache_handler.get_cached_token() is None:
        raise AuthError(
            "not signed in to Spotify yet: no saved sign-in and no SPOTIFY_REFRESH_TOKEN",
            "run `spotify-merger auth` (or set SPOTIFY_REFRESH_TOKEN for unattended runs)",
        )
    return manager


# -- headless check ----------------------------------------------------------------------------------


def check_headless(env: Environment) -> dict[str, Any]:
    """With SPOTIFY_REFRESH_TOKEN set there is no sign-in to do: prove the token works, say who it is."""
    from spotify_merger.client import SpotifyClient

    with SpotifyClient.connect(env) as client:
        me = client.me()
    return {
        "id": me.get("id"),
        "display_name": me.get("display_name"),
        "token_cache": str(env.token_cache_path),
        "mode": "headless SPOTIFY_REFRESH_TOKEN (no browser sign-in needed)",
        "profile": client.profile,
    }


# -- interactive login -------------------------------------------------------------------------------


class _CallbackServer(http.server.HTTPServer):
    allow_reuse_address = True

    def __init__(self, host: str, port: int, path: str) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.expected_path = path or "/"
        self.query: dict[str, str] | None = None
        self.arrived = threading.Event()
        self.stopped = False
        super().__init__((host, port), _CallbackHandler)


class _CallbackHandler(http.server.BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.server.expected_path:
            self.send_error(404)
            return
        self.server.query = dict(parse_qsl(parts.query))
        ok = "code" in self.server.query
        body = (
            "<html><body><h1>spotify-merger: signed in</h1><p>You can close this window.</p></body></html>"
            if ok
            else "<html><body><h1>spotify-merger: sign-in failed</h1><p>See the terminal.</p></body></html>"
        )
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.server.arrived.set()

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the auth code: never log it
        return


def _open_default(url: str) -> bool:
    try:
        return bool(webbrowser.open(url))
    except webbrowser.Error:
        return False


def login(
    env: Environment,
    *,
    open_url: Callable[[str], object] | None = None,
    timeout: float = LOGIN_TIMEOUT,
) -> dict[str, Any]:
    """Sign in interactively and write the token cache; returns who signed in (never tokens)."""
    _require_client_id(env)
    validate_redirect_uri(env.redirect_uri)
    parts = urlsplit(env.redirect_uri)
    host = parts.hostname or ""
    if host not in _LOOPBACK_HOSTS:
        raise UsageError(
            f"`spotify-merger auth` captures the sign-in on a loopback address, not {env.redirect_uri}",
            "set SPOTIFY_REDIRECT_URI to http://127.0.0.1:8888/callback "
            "and register it in your app's dashboard",
        )
    port = parts.port or 80
    env.ensure_dirs()

    from spotify_merger.policy import ObservedSession

    session = ObservedSession()
    try:
        manager = _build(env, session)
        state = secrets.token_urlsafe(24)
        url = manager.get_authorize_url(state=state)
        try:
            server = _CallbackServer(host, port, parts.path)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port} for the sign-in redirect ({exc.strerror or exc})",
                "close what uses that port, or pick another loopback port in SPOTIFY_REDIRECT_URI "
                "(and register it in your app's dashboard)",
            ) from None
        thread = threading.Thread(target=_serve_until_callback, args=(server, timeout), daemon=True)
        thread.start()
        try:
            opener = open_url or (_open_default if env.open_browser else None)
            opened = False
            if opener is not None:
                env.say("Opening your browser to sign in to Spotify…")
                result = opener(url)
                opened = result is not False
            if not opened:
                env.stderr.print("Open this URL in a browser to sign in to Spotify:", highlight=False)
                env.stderr.print(url, highlight=False, soft_wrap=True)
            if not server.arrived.wait(timeout):
                raise AuthError(
                    f"no sign-in arrived at {env.redirect_uri} within {timeout:g} s",
                    "run `spotify-merger auth` again; check that the redirect URI is registered for the app "
                    "and that the client id is right (Spotify shows an error page otherwise)",
                )
        finally:
            server.stopped = True
            thread.join()
            server.server_close()
        query = server.query or {}
        if query.get("state") != state:
            raise AuthError(
                "the sign-in answer carried the wrong `state`, so it was refused (it may be forged or stale)",
                "run `spotify-merger auth` again, and only follow the link it prints",
            )
        if "error" in query:
            raise AuthError(
                f"Spotify did not grant access ({query['error']})",
                "run `spotify-merger auth` again and accept the requested permissions",
            )
        code = query.get("code")
        if not code:
            raise AuthError(
                "the sign-in answer carried no authorization code", "run `spotify-merger auth` again"
            )
        if isinstance(manager, SecretManager):
            manager.get_access_token(code=code, as_dict=False, check_cache=False)
        else:
            manager.get_access_token(code=code, check_cache=False)
    finally:
        session.close()

    from spotify_merger.client import SpotifyClient

    with SpotifyClient.connect(env) as client:
        me = client.me()
    return {
        "id": me.get("id"),
        "display_name": me.get("display_name"),
        "token_cache": str(env.token_cache_path),
        "mode": "authorization code with client secret" if env.client_secret else "PKCE",
        "profile": client.profile,
    }


def _serve_until_callback(server: _CallbackServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    server.timeout = 0.2
    # Short polls so the login thread can stop us (`stopped`) once it has what it needs.
    while not server.arrived.is_set() and not server.stopped and time.monotonic() < deadline:
        server.handle_request()
