"""The demo: the whole `run` flow against a fresh built-in emulator, in a scratch data dir.

It signs in through the real OAuth (PKCE) flow, with a headless "browser" standing in for the
user's: the emulator approves at once and redirects to our loopback callback.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
from pathlib import Path

import requests

from spotify_merger.context import Environment
from spotify_merger.display import quote, styled
from spotify_merger.emulator import Emulator, EmulatorConfig
from spotify_merger.emulator import parse_sizes as emulator_sizes
from spotify_merger.errors import StorageError, UsageError
from spotify_merger.pipeline import RunOptions, run_merge
from spotify_merger.spotify.client import ApiProfile
from spotify_merger.spotify.signin import login
from spotify_merger.write.summary import WriteOutcome

DEMO_MARKER = ".spotify-merger-demo"
DEMO_SIZES = (9000, 9000)


def parse_sizes(text: str) -> tuple[int, int]:
    """--sizes of `demo` and `emulator`: one rule for both, the emulator's, as a usage error."""
    try:
        return emulator_sizes(text)
    except ValueError:
        raise UsageError(
            f"--sizes {quote(text)} is not two playlist sizes from 0 to 10,000 separated by a comma",
            "use --sizes 9000,9000 (the default)",
        ) from None


def run_demo(
    env: Environment,
    *,
    profile: ApiProfile | str = ApiProfile.DEV,
    sizes: tuple[int, int] = DEMO_SIZES,
    yes: bool = False,
    seed: int = 42,
    cap: int | None = None,
) -> WriteOutcome:
    """The `run` flow against a fresh built-in emulator, in `env.data_dir` (wiped first)."""
    profile = ApiProfile.parse(profile)
    prepare_demo_dir(env.data_dir)
    with Emulator(EmulatorConfig(profile=profile, seed=seed, playlist_sizes=tuple(sizes))) as emu:
        redirect = f"http://127.0.0.1:{free_port()}/callback"
        emu.register_redirect_uri(redirect)
        demo_env = dataclasses.replace(
            env,
            client_id=emu.client_id,
            client_secret=None,  # PKCE: no secret needed, as for a personal app
            refresh_token=None,
            api_base=emu.api_base,
            accounts_base=emu.accounts_base,
            redirect_uri=redirect,
            default_sources=tuple(emu.playlist_ids),
            open_browser=False,
        )
        env.say(
            styled(
                "[bold cyan]Demo[/bold cyan]: a built-in Spotify emulator ({profile}) with two weighted "
                "playlists of {n1:,} and {n2:,} entries, at {api}; data in {data}",
                profile=profile,
                n1=sizes[0],
                n2=sizes[1],
                api=emu.api_base,
                data=env.data_dir,
            )
        )
        who = login(demo_env, open_url=headless_browser)
        env.say(styled("Signed in through the OAuth PKCE flow as [green]{name}[/green]", name=who.user.name))
        return run_merge(demo_env, RunOptions(yes=yes, cap=cap))


def prepare_demo_dir(path: Path) -> None:
    """Wipe the demo's data dir so every demo is fresh, but never a directory the demo did not make."""
    if path.exists():
        if not path.is_dir():
            raise StorageError(
                f"the data dir {quote(path, 120)} is a file, not a directory",
                "give the demo another --data-dir",
            )
        if any(path.iterdir()) and not (path / DEMO_MARKER).exists():
            raise UsageError(
                f"refusing to wipe {quote(path, 120)} for the demo: it holds files the demo did not create",
                "give the demo an empty or new --data-dir (the default is data/demo)",
            )
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / DEMO_MARKER).write_text("This directory is recreated by every `spotify-merger demo`.\n")


def headless_browser(url: str) -> bool:
    """Stands in for the user's browser: the emulator approves at once and redirects to our loopback."""
    with requests.Session() as session:
        session.trust_env = False  # never send a loopback sign-in through a proxy
        session.get(url, allow_redirects=True, timeout=30)
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
