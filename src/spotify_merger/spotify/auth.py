"""Signing in to Spotify: PKCE, Authorization Code with a secret, or a headless refresh token.

`authorize()` runs the interactive flow once and writes the token cache; `auth_manager()` gives every
later command a spotipy auth manager that refreshes tokens from that cache (or from
SPOTIFY_REFRESH_TOKEN) without ever falling back to an interactive prompt. Both route through
`env.accounts_base`, so the emulator and Spotify share one code path.

The cache file is created with mode 0600 through `os.open` (never briefly world-readable) and
replaced atomically; tokens never reach logs or the console.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests
from spotipy.oauth2 import SpotifyOAuth, SpotifyPKCE

from spotify_merger.context import Environment
from spotify_merger.display import quote, shorten
from spotify_merger.errors import AuthError, TokenServerError, UsageError
from spotify_merger.spotify._callback import CallbackServer, open_default, serve_until_callback
from spotify_merger.spotify._token_cache import TokenCache
from spotify_merger.spotify._transport import ObservedSession

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


REDIRECT_RULE = (
    "the redirect URI must be http://127.0.0.1:PORT/PATH or http://[::1]:PORT/PATH with an explicit "
    "port: the sign-in is caught by a plain-http server on this machine, and Spotify accepts plain "
    "http only on a loopback IP literal, never `localhost`"
)
_REDIRECT_HINT = (
    "set SPOTIFY_REDIRECT_URI to http://127.0.0.1:8888/callback (or unset it) and register exactly "
    "that URI in your app's dashboard"
)


def validate_redirect_uri(uri: str) -> None:
    """Refuse, before anything is started, a redirect URI the sign-in could never complete on.

    https (we serve plain http), `localhost` (Spotify refuses it since April 2025), any host that is
    not a loopback IP literal, and a URI without an explicit port (we must know where to listen)
    are each named with the rule, instead of a browser flow that waits five minutes in vain.
    """
    shown = quote(uri, 120)
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        raise UsageError(
            f"the redirect URI {shown} has an invalid port; {REDIRECT_RULE}", _REDIRECT_HINT
        ) from None
    if parts.scheme == "https":
        raise UsageError(f"the redirect URI {shown} uses https; {REDIRECT_RULE}", _REDIRECT_HINT)
    if parts.scheme != "http" or not host:
        raise UsageError(f"the redirect URI {shown} is not an http URL; {REDIRECT_RULE}", _REDIRECT_HINT)
    if host == "localhost":
        raise UsageError(f"the redirect URI {shown} uses `localhost`; {REDIRECT_RULE}", _REDIRECT_HINT)
    if host not in _LOOPBACK_HOSTS:
        raise UsageError(f"the redirect URI {shown} is not on a loopback IP; {REDIRECT_RULE}", _REDIRECT_HINT)
    if port is None or port == 0:
        raise UsageError(f"the redirect URI {shown} has no port; {REDIRECT_RULE}", _REDIRECT_HINT)


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

    def get_access_token(self, *args: Any, **kwargs: Any) -> object:
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

    def _no_interaction(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuthError("not signed in to Spotify yet (no saved sign-in)", "run `spotify-merger auth` first")

    def _handle_oauth_error(self, http_error: requests.exceptions.HTTPError) -> NoReturn:
        response = http_error.response
        assert response is not None  # spotipy raises it with raise_for_status(), which sets it
        status = response.status_code
        if status >= 500 or status == 429:
            raise TokenServerError(f"Spotify's accounts service answered {status} to a token request")
        try:
            payload = response.json()
            error, description = payload.get("error"), payload.get("error_description")
        except ValueError:
            error, description = None, (response.text or "")[:120]
        detail = shorten(f"{error}: {description}" if description else str(error), 200)
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


def _manager_args(env: Environment, session: requests.Session | bool) -> dict[str, object]:
    """What both sign-in flows give spotipy: our session, our token cache, and no browser of its own."""
    return {
        "client_id": env.client_id,
        "redirect_uri": env.redirect_uri,
        "scope": SCOPE,
        "requests_session": session,
        "requests_timeout": 30,
        "open_browser": False,
        "cache_handler": TokenCache(env, scope=SCOPE),
    }


class PKCEManager(_Guarded, SpotifyPKCE):
    def __init__(self, env: Environment, session: requests.Session | bool) -> None:
        SpotifyPKCE.__init__(self, **_manager_args(env, session))
        self._setup(env)

    _get_auth_response = _Guarded._no_interaction


class SecretManager(_Guarded, SpotifyOAuth):
    def __init__(self, env: Environment, session: requests.Session | bool) -> None:
        SpotifyOAuth.__init__(self, client_secret=env.client_secret, **_manager_args(env, session))
        self._setup(env)

    get_auth_response = _Guarded._no_interaction


def _require_client_id(env: Environment) -> None:
    if not env.client_id:
        raise AuthError(
            "SPOTIFY_CLIENT_ID is not set",
            "create an app in the Spotify developer dashboard, put its client id in .env "
            "(see .env.example), then run `spotify-merger auth`",
        )


def _build(env: Environment, session: requests.Session | bool) -> PKCEManager | SecretManager:
    return SecretManager(env, session) if env.client_secret else PKCEManager(env, session)


def auth_manager(env: Environment, *, session: requests.Session | None = None) -> PKCEManager | SecretManager:
    """The auth manager API calls use: cached sign-in or SPOTIFY_REFRESH_TOKEN, refreshed as needed."""
    _require_client_id(env)
    manager = _build(env, session if session is not None else True)
    if manager.cache_handler.get_cached_token() is None:
        raise AuthError(
            "not signed in to Spotify yet: no saved sign-in and no SPOTIFY_REFRESH_TOKEN",
            "run `spotify-merger auth` (or set SPOTIFY_REFRESH_TOKEN for unattended runs)",
        )
    return manager


# -- interactive sign-in ----------------------------------------------------------------------------


def authorize(
    env: Environment,
    *,
    open_url: Callable[[str], object] | None = None,
    timeout: float = LOGIN_TIMEOUT,
) -> None:
    """Run the interactive OAuth flow once and write the token cache (tokens never reach the console)."""
    _require_client_id(env)
    validate_redirect_uri(env.redirect_uri)
    parts = urlsplit(env.redirect_uri)
    host = parts.hostname or ""
    port = parts.port or 0
    env.ensure_dirs()

    session = ObservedSession()
    try:
        manager = _build(env, session)
        state = secrets.token_urlsafe(24)
        url = manager.get_authorize_url(state=state)
        try:
            server = CallbackServer(host, port, parts.path)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port} for the sign-in redirect ({exc.strerror or exc})",
                "close what uses that port, or pick another loopback port in SPOTIFY_REDIRECT_URI "
                "(and register it in your app's dashboard)",
            ) from None
        thread = threading.Thread(target=serve_until_callback, args=(server, timeout), daemon=True)
        thread.start()
        try:
            opener = open_url or (open_default if env.open_browser else None)
            opened = False
            if opener is not None:
                if open_url is None:  # a caller's own opener (the demo's) is no browser
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
