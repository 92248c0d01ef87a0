"""Signing in, end to end: the OAuth flow (`auth.authorize`), then one `/me` call to say who it is.

This sits above both `auth` and `client`, so neither needs the other's module at import time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spotify_merger.context import Environment
from spotify_merger.errors import AuthError
from spotify_merger.spotify.auth import LOGIN_TIMEOUT, authorize
from spotify_merger.spotify.client import ApiProfile, SpotifyClient
from spotify_merger.spotify.models import SpotifyUser


@dataclass(frozen=True)
class SignIn:
    """Who signed in, and how (never any token)."""

    user: SpotifyUser
    mode: str  # "PKCE", "authorization code with client secret" or the headless refresh token
    profile: ApiProfile
    token_cache: Path


def _who(env: Environment, mode: str) -> SignIn:
    with SpotifyClient.connect(env) as client:
        me = client.me()
    return SignIn(me, mode, client.profile, env.token_cache_path)


def login(
    env: Environment,
    *,
    open_url: Callable[[str], object] | None = None,
    timeout: float = LOGIN_TIMEOUT,
) -> SignIn:
    """Sign in interactively and write the token cache; returns who signed in (never tokens)."""
    authorize(env, open_url=open_url, timeout=timeout)
    return _who(env, "authorization code with client secret" if env.client_secret else "PKCE")


def check_headless(env: Environment) -> SignIn:
    """With SPOTIFY_REFRESH_TOKEN set there is no sign-in to do: prove the token works, say who it is."""
    return _who(env, "headless SPOTIFY_REFRESH_TOKEN (no browser sign-in needed)")


def connect(env: Environment) -> SpotifyClient:
    """A client from the saved sign-in or SPOTIFY_REFRESH_TOKEN; signs in first on a terminal if neither."""
    try:
        return SpotifyClient.connect(env)
    except AuthError as exc:
        if not env.interactive or "not signed in" not in exc.message:
            raise
    env.say("No saved sign-in yet: signing in to Spotify first.")
    login(env)
    return SpotifyClient.connect(env)


@contextlib.contextmanager
def client_for(env: Environment, client: SpotifyClient | None) -> Iterator[SpotifyClient]:
    """The caller's client, or one connected here (and closed on the way out)."""
    if client is not None:
        yield client
        return
    own = connect(env)
    try:
        yield own
    finally:
        own.close()
