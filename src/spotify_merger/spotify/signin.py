"""Signing in, end to end: the OAuth flow (`auth.authorize`), then one `/me` call to say who it is.

This sits above both `auth` and `client`, so neither needs the other's module at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spotify_merger.context import Environment
from spotify_merger.spotify.auth import LOGIN_TIMEOUT, authorize
from spotify_merger.spotify.client import SpotifyClient


def login(
    env: Environment,
    *,
    open_url: Callable[[str], object] | None = None,
    timeout: float = LOGIN_TIMEOUT,
) -> dict[str, Any]:
    """Sign in interactively and write the token cache; returns who signed in (never tokens)."""
    authorize(env, open_url=open_url, timeout=timeout)
    with SpotifyClient.connect(env) as client:
        me = client.me()
    return {
        "id": me.get("id"),
        "display_name": me.get("display_name"),
        "token_cache": str(env.token_cache_path),
        "mode": "authorization code with client secret" if env.client_secret else "PKCE",
        "profile": client.profile,
    }


def check_headless(env: Environment) -> dict[str, Any]:
    """With SPOTIFY_REFRESH_TOKEN set there is no sign-in to do: prove the token works, say who it is."""
    with SpotifyClient.connect(env) as client:
        me = client.me()
    return {
        "id": me.get("id"),
        "display_name": me.get("display_name"),
        "token_cache": str(env.token_cache_path),
        "mode": "headless SPOTIFY_REFRESH_TOKEN (no browser sign-in needed)",
        "profile": client.profile,
    }
