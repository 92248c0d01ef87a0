"""Everything that talks to Spotify: sign-in, the token cache, the call policy and the client.

- `auth`: the OAuth flows (PKCE, Authorization Code, a headless refresh token) and the auth
  managers that refresh tokens from the cache; `signin.login` runs the flow and says who it is.
- `policy`: the one place that decides how every call is paced, waited on and retried.
- `client`: `SpotifyClient`, the endpoints the tool uses, in both API profiles (`ApiProfile`).
- `models`: what the client hands out (`SpotifyUser`, `PlaylistInfo`, `ItemsPage`, ...).
- `ids`: playlist references as people type them.

Modules starting with `_` (token cache, callback server, pacer, HTTP session) are internal.
"""

from spotify_merger.spotify.auth import SCOPES, authorize
from spotify_merger.spotify.client import ApiProfile, SpotifyClient
from spotify_merger.spotify.ids import LIKED, parse_source
from spotify_merger.spotify.models import (
    CreatedPlaylist,
    ItemsPage,
    JsonObject,
    PlaylistInfo,
    SpotifyUser,
    entry_uri,
)
from spotify_merger.spotify.policy import CallPolicy, Recorder, WaitCallback
from spotify_merger.spotify.signin import SignIn, check_headless, login

__all__ = [
    "LIKED",
    "SCOPES",
    "ApiProfile",
    "CallPolicy",
    "CreatedPlaylist",
    "ItemsPage",
    "JsonObject",
    "PlaylistInfo",
    "Recorder",
    "SignIn",
    "SpotifyClient",
    "SpotifyUser",
    "WaitCallback",
    "authorize",
    "check_headless",
    "entry_uri",
    "login",
    "parse_source",
]
