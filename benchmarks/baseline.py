"""The seed plan's strategy, done faithfully, as the baseline every scenario is compared with.

What the seed does, and what is reproduced here:
- sequential requests, one at a time;
- a `limit=1` probe per playlist to learn `total` before paging;
- the whole list of fetched entries rewritten to a JSON checkpoint whenever
  `len(entries) % 500 < page_size` (the seed's "just crossed a 500 boundary" test);
- adds in batches of 100 with a fixed `time.sleep(0.1)` after each, and the same checkpoint rule.

Only what today's API forces is adapted: Development Mode pages through `/items` with at most 50
entries a page, and creates playlists with `POST /me/playlists` (spotipy 2.26 does both).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import spotipy


@dataclass
class BaselineResult:
    entries: int
    calls: int
    seconds: float


class SeedWriteStopped(Exception):
    """The API refused an add (the seed re-raises it): how far the seed got."""

    def __init__(self, added: int, calls: int) -> None:
        super().__init__(f"stopped after {added} songs")
        self.added = added
        self.calls = calls


def access_token(env: dict[str, str]) -> str:
    """Exchange the emulator's refresh token for an access token (the seed's auth is out of scope)."""
    r = requests.post(
        env["SPOTIFY_ACCOUNTS_BASE"].rstrip("/") + "/api/token",
        data={"grant_type": "refresh_token", "refresh_token": env["SPOTIFY_REFRESH_TOKEN"]},
        auth=(env["SPOTIFY_CLIENT_ID"], env["SPOTIFY_CLIENT_SECRET"]),
        timeout=30,
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def seed_client(env: dict[str, str]) -> spotipy.Spotify:
    sp = spotipy.Spotify(auth=access_token(env), requests_timeout=60, retries=0, status_retries=0)
    sp.prefix = env["SPOTIFY_API_BASE"].rstrip("/") + "/"
    return sp


def _save_checkpoint(path: Path, entries: list[Any], next_offset: int, final: bool = False) -> None:
    # The seed writes straight over the file (not atomic) and rewrites the whole list each time.
    with open(path, "w") as f:
        json.dump({"tracks": entries, "next_offset": next_offset, "complete": final}, f)


def seed_fetch(
    sp: spotipy.Spotify, playlist_id: str, checkpoint_dir: Path, page_size: int = 50, *, resume: bool = False
) -> BaselineResult:
    """The seed's `fetch_playlist_tracks`; with `resume`, it first reloads its checkpoint as the seed does.

    A checkpoint truncated by a kill (the seed writes it in place) raises ValueError on resume, as the
    seed's `json.load` would.
    """
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = checkpoint_dir / f"playlist_{playlist_id}.json"
    started = time.perf_counter()
    entries: list[Any] = []
    offset = 0
    if resume and checkpoint.exists():
        with open(checkpoint) as f:
            saved = json.load(f)
        entries = saved.get("tracks", [])
        offset = saved.get("next_offset", 0)
    calls = 1
    total = sp.playlist_items(playlist_id, limit=1)["total"]
    while offset < total:
        page = sp.playlist_items(playlist_id, offset=offset, limit=page_size)
        calls += 1
        entries.extend(page["items"])
        if len(entries) % 500 < page_size:
            _save_checkpoint(checkpoint, entries, offset + page_size)
        offset += page_size
    _save_checkpoint(checkpoint, entries, offset, final=True)
    return BaselineResult(len(entries), calls, time.perf_counter() - started)


def seed_write(sp: spotipy.Spotify, name: str, uris: list[str], checkpoint_dir: Path) -> BaselineResult:
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    playlist = sp.current_user_playlist_create(name, public=False, description="baseline")
    calls = 1
    checkpoint = checkpoint_dir / f"write_playlist_{playlist['id']}.json"
    added = 0
    for i in range(0, len(uris), 100):
        batch = uris[i : i + 100]
        calls += 1
        try:
            sp.playlist_add_items(playlist["id"], batch)
        except spotipy.SpotifyException as exc:
            if exc.http_status == 403:  # the 10,000-item cap
                raise SeedWriteStopped(added, calls) from exc
            raise
        added += len(batch)
        if added % 500 < 100:
            checkpoint.write_text(json.dumps({"playlist_id": playlist["id"], "tracks_added": added}))
        time.sleep(0.1)  # the seed's fixed "be nice to the API" delay, reproduced on purpose
    checkpoint.write_text(
        json.dumps({"playlist_id": playlist["id"], "tracks_added": added, "complete": True})
    )
    return BaselineResult(added, calls, time.perf_counter() - started)


@dataclass
class SeedJob:
    added: int
    calls: int
    seconds: float
    stopped: bool  # the API refused an add (Spotify's 10,000-item cap): the seed has no way past it


def seed_job(sp: spotipy.Spotify, sources: list[str], uris: list[str], checkpoint_dir: Path) -> SeedJob:
    """The seed's whole job: fetch every source, then one create and its adds of the merged songs.

    The seed writes everything to one playlist; past 10,000 songs Spotify refuses the add that
    would cross the cap and the seed's error handling stops the job there.
    """
    started = time.perf_counter()
    calls = 0
    for pid in sources:
        calls += seed_fetch(sp, pid, checkpoint_dir).calls
    try:
        written = seed_write(sp, "Seed Master", uris, checkpoint_dir)
    except SeedWriteStopped as stop:
        return SeedJob(stop.added, calls + stop.calls, time.perf_counter() - started, stopped=True)
    return SeedJob(written.entries, calls + written.calls, time.perf_counter() - started, stopped=False)


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.baseline fetch DIR PLAYLIST...`: the seed's fetch as its own process
    (settings from the environment, as `emu.env()` names them), so a benchmark can kill -9 it."""
    import os
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[0] != "fetch":
        raise SystemExit("usage: python -m benchmarks.baseline fetch CHECKPOINT_DIR PLAYLIST_ID...")
    sp = seed_client(dict(os.environ))
    for pid in args[2:]:
        seed_fetch(sp, pid, Path(args[1]), resume=True)


if __name__ == "__main__":
    main()
