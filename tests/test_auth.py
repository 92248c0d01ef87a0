"""Sign-in against the emulator's accounts service: PKCE, secret, refresh token, and their failures.

The "browser" is requests: it opens the authorize URL and follows Spotify's redirect to our
loopback server, exactly as a browser would after the user clicked "Agree".
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from typer.testing import CliRunner

from fixtures import EnvFor
from spotify_merger.cli import app
from spotify_merger.context import SETTINGS, Environment
from spotify_merger.emulator import Emulator
from spotify_merger.errors import AuthError, UsageError
from spotify_merger.spotify.auth import SCOPES, auth_manager, validate_redirect_uri
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.signin import login


def free_redirect(emu: Emulator) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uri = f"http://127.0.0.1:{port}/callback"
    emu.register_redirect_uri(uri)
    return uri


def browser(url: str) -> bool:
    with requests.get(url, allow_redirects=True, timeout=10) as response:
        response.raise_for_status()
    return True


def interactive_env(emu: Emulator, env_for: EnvFor, *, secret: bool) -> Environment:
    return env_for(
        emu,
        settings={
            "SPOTIFY_REFRESH_TOKEN": None,
            "SPOTIFY_CLIENT_SECRET": emu.client_secret if secret else None,
            "SPOTIFY_REDIRECT_URI": free_redirect(emu),
        },
    )


@pytest.mark.parametrize("secret", [False, True], ids=["pkce", "secret"])
def test_login_writes_a_private_cache_that_later_calls_use(
    secret: bool, emulator: Emulator, env_for: EnvFor
) -> None:
    env = interactive_env(emulator, env_for, secret=secret)
    env.refresh_token = None
    who = login(env, open_url=browser)
    assert who.user.id == emulator.user_id and who.user.display_name
    assert who.mode == ("authorization code with client secret" if secret else "PKCE")
    assert "access_token" not in repr(who)
    path = env.token_cache_path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    cached = json.loads(path.read_text())
    assert cached["access_token"] in emulator.state.access
    assert cached["access_token"] not in repr(who) and cached["refresh_token"] not in repr(who)
    assert set(SCOPES) <= set(emulator.state.access[cached["access_token"]].scopes)
    assert [p for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    with SpotifyClient.connect(env) as client:  # a later command: no browser, the cache is enough
        assert client.playlist_meta(emulator.playlist_ids[0]).total == 300
    assert emulator.calls("POST", "/api/token") == 1  # the code exchange only; no refresh needed
    if not secret:  # PKCE: the code challenge was sent, no secret anywhere
        assert not any(g.pkce is False for g in emulator.state.access.values())


def test_scopes_are_only_what_the_job_needs() -> None:
    assert set(SCOPES) == {
        "playlist-read-private",
        "playlist-read-collaborative",
        "playlist-modify-private",
        "playlist-modify-public",
        "user-library-read",
    }


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("http://localhost:8888/callback", "uses `localhost`"),
        ("http://example.com/callback", "not on a loopback IP"),
        ("ftp://127.0.0.1/cb", "not an http URL"),
        ("https://127.0.0.1:8888/callback", "uses https"),
        ("https://example.com/callback", "uses https"),
        ("http://127.0.0.1/callback", "has no port"),
        ("http://[::1]/callback", "has no port"),
        ("http://127.0.0.1:99999/callback", "invalid port"),
    ],
)
def test_redirect_uri_rules(uri: str, words: str, emulator: Emulator, env_for: EnvFor) -> None:
    with pytest.raises(UsageError) as info:
        validate_redirect_uri(uri)
    assert words in info.value.message
    assert "must be http://127.0.0.1:PORT/PATH" in info.value.message  # the rule is named
    env = env_for(emulator, settings={"SPOTIFY_REDIRECT_URI": uri})
    opened: list[str] = []
    with pytest.raises(UsageError):
        login(env, open_url=opened.append, timeout=300)
    assert opened == []  # refused up front: no browser, no 300 s wait
    validate_redirect_uri("http://127.0.0.1:8888/callback")
    validate_redirect_uri("http://[::1]:8888/callback")


def test_state_mismatch_is_refused(emulator: Emulator, env_for: EnvFor) -> None:
    env = interactive_env(emulator, env_for, secret=False)

    def forged(url: str) -> bool:
        with requests.get(url, allow_redirects=False, timeout=10) as answer:
            target = urlsplit(answer.headers["Location"])
        query = dict(parse_qsl(target.query))
        query["state"] = "forged"
        with requests.get(urlunsplit(target._replace(query=urlencode(query))), timeout=10):
            pass
        return True

    with pytest.raises(AuthError) as info:
        login(env, open_url=forged)
    assert "state" in info.value.message
    assert not env.token_cache_path.exists()


def test_invalid_client_id_never_redirects(emulator: Emulator, env_for: EnvFor) -> None:
    env = interactive_env(emulator, env_for, secret=False)
    env.client_id = "f" * 32
    seen: list[int] = []

    def look(url: str) -> bool:
        with requests.get(url, timeout=10) as answer:
            seen.append(answer.status_code)
        return True

    with pytest.raises(AuthError) as info:
        login(env, open_url=look, timeout=1.0)
    assert seen == [400]
    assert "client id" in info.value.hint


def test_no_usable_credentials(emulator: Emulator, env_for: EnvFor) -> None:
    with pytest.raises(AuthError) as info:
        auth_manager(env_for(emulator, settings={"SPOTIFY_REFRESH_TOKEN": None}))
    assert "not signed in" in info.value.message
    with pytest.raises(AuthError) as info:
        auth_manager(env_for(None))
    assert "SPOTIFY_CLIENT_ID" in info.value.message


def test_tokens_never_reach_output_or_logs(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.configure(token_ttl=1)  # many refreshes: many tokens that must stay secret
    env: dict[str, str | None] = dict.fromkeys(SETTINGS)
    env.update(emulator.env())
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(
        app,
        ["-vv", "--data-dir", str(tmp_path / "data"), "--env-file", os.devnull, "fetch"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    cache = json.loads((tmp_path / "data" / ".spotify-token-cache.json").read_text())
    secrets = [*emulator.state.access, cache["refresh_token"], emulator.refresh_token, emulator.client_secret]
    assert len(secrets) > 5
    text = result.output + "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /v1/playlists/" in text  # -vv does log each request...
    for secret in secrets:
        assert secret not in text  # ...but never a token or the secret
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / ".spotify-token-cache.json").st_mode)
    assert mode == 0o600
