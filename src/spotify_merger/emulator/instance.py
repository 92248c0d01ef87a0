"""``Emulator`` and ``EmulatorConfig``: start the emulated Spotify in-process, steer it, inspect its state."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from spotify_merger.emulator._accounts import Accounts, redirect_uri_problem
from spotify_merger.emulator._api import Context, PlaylistsApi
from spotify_merger.emulator._catalog import CatalogApi
from spotify_merger.emulator._objects import EXTENDED
from spotify_merger.emulator._playlist_items import ADDABLE_RE, ItemsApi
from spotify_merger.emulator._routing import Router
from spotify_merger.emulator._server import EmulatorHTTPServer, Knobs, TimedRequest, Traffic
from spotify_merger.emulator._state import ALL_SCOPES, MAX_PLAYLIST_ITEMS, Grant, State
from spotify_merger.emulator.library import Library, iso
from spotify_merger.emulator.seeding import build_library


@dataclass
class EmulatorConfig:
    """Everything that shapes an emulator. Knobs (latency ... token_ttl) can also change at runtime."""

    profile: str = "dev-2026"  # or "extended"
    seed: int = 42
    playlist_sizes: tuple[int, ...] = (9000, 9000)
    unique_songs: int | None = None  # None: about 5/6 of all entries (15,000 for the default 2 x 9,000)
    latency_ms: float = 0.0
    rate_limit: int | None = None  # requests per rolling 30 s window; past it 429 + Retry-After
    quota: int | None = None  # total Web API requests; past it 429 with reason QUOTA_EXCEEDED
    fault_rate: float = 0.0  # share of Web API requests answered 500/502/503 without being applied
    rate_429: float = 0.0  # share answered with a spurious 429 and a short Retry-After
    lost_response_rate: float = 0.0  # share of POST/PUT/DELETE that are applied, then answered 502
    retry_after_max: int = 3600  # cap on the Retry-After the rate limiter announces
    force_retry_after: int | None = None  # answer every 429 with exactly this Retry-After
    token_ttl: float = 3600.0
    state_file: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    verbose: bool = False
    extra_redirect_uris: tuple[str, ...] = field(default_factory=tuple)


class Emulator:
    """An emulated Spotify (accounts service and Web API) on one port.

    Use as a context manager, or call ``start()``/``stop()``. See the package docstring for an example.
    """

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        cfg = config or EmulatorConfig()
        for k, v in overrides.items():
            if not hasattr(cfg, k):
                raise TypeError(f"unknown emulator setting {k!r}")
            setattr(cfg, k, v)
        self.config = cfg
        self.library: Library = build_library(cfg.seed, tuple(cfg.playlist_sizes), cfg.unique_songs)
        self.state = State(self.library, cfg.seed, tuple(cfg.playlist_sizes), cfg.state_file)
        self.knobs = Knobs(**{k: getattr(cfg, k) for k in Knobs.names()})
        self.traffic = Traffic(self.knobs, cfg.seed)
        self.context = Context(self.state, cfg.profile, lambda: self.knobs.token_ttl)
        self.router = Router()
        Accounts(self.state, lambda: self.knobs.token_ttl).register(self.router)
        PlaylistsApi(self.context).register(self.router)
        ItemsApi(self.context).register(self.router)
        CatalogApi(self.context).register(self.router)
        for uri in cfg.extra_redirect_uris:
            self.register_redirect_uri(uri)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._server = EmulatorHTTPServer(
            (self.config.host, self.config.port), self.router, self.traffic, self.config.verbose
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="spotify-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def serve_forever(self) -> None:
        """Block serving requests (the CLI's mode); returns after ``stop()`` from another thread."""
        self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- addresses and credentials ----------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() or use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def accounts_base(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.accounts_base}/v1"

    @property
    def profile(self) -> str:
        return self.config.profile

    @property
    def client_id(self) -> str:
        return self.state.app.client_id

    @property
    def client_secret(self) -> str:
        return self.state.app.client_secret

    @property
    def refresh_token(self) -> str:
        return self.state.seed_refresh_token

    @property
    def redirect_uris(self) -> list[str]:
        return list(self.state.app.redirect_uris)

    def register_redirect_uri(self, uri: str) -> None:
        problem = redirect_uri_problem(uri)
        if problem:
            raise ValueError(f"{uri}: {problem}")
        with self.state.lock:
            if uri not in self.state.app.redirect_uris:
                self.state.app.redirect_uris.append(uri)
                self.state.changed()

    @property
    def user_id(self) -> str:
        return self.state.user_id

    @property
    def playlist_ids(self) -> tuple[str, str]:
        ids = self.state.seeded_ids()
        return ids[0], ids[1]

    @property
    def old_playlist_id(self) -> str:
        """The user's own "old" playlist whose first entries have null added_at/added_by."""
        return self.state.seeded_ids()[2]

    @property
    def collaborative_playlist_id(self) -> str:
        """Owned by another user, collaborative, followed by the seeded user (readable in both profiles)."""
        return self.state.seeded_ids()[3]

    @property
    def other_playlist_id(self) -> str:
        """Owned by another user and only followed (dev-2026: its items answer 403)."""
        return self.state.seeded_ids()[4]

    def env(self) -> dict[str, str]:
        p1, p2 = self.playlist_ids
        return {
            "SPOTIFY_API_BASE": self.api_base,
            "SPOTIFY_ACCOUNTS_BASE": self.accounts_base,
            "SPOTIFY_CLIENT_ID": self.client_id,
            "SPOTIFY_CLIENT_SECRET": self.client_secret,
            "SPOTIFY_REFRESH_TOKEN": self.refresh_token,
            "SPOTIFY_REDIRECT_URI": self.redirect_uris[0],
            "PLAYLIST_1_ID": p1,
            "PLAYLIST_2_ID": p2,
        }

    def issue_token(self, scopes: set[str] | frozenset[str] | None = None, ttl: float | None = None) -> str:
        """An access token for the seeded user without the OAuth dance (all scopes unless given)."""
        grant = Grant(self.client_id, self.user_id, frozenset(ALL_SCOPES if scopes is None else scopes))
        return self.state.issue_access(grant, self.knobs.token_ttl if ttl is None else ttl)

    def revoke_refresh_token(self, token: str | None = None) -> None:
        """Make a refresh token (the seeded one by default) answer invalid_grant from now on."""
        with self.state.lock:
            self.state.refresh.pop(token or self.refresh_token, None)
            self.state.changed()

    # --- knobs and counters -----------------------------------------------------------------------
    def configure(self, **knobs: Any) -> None:
        unknown = set(knobs) - Knobs.names()
        if unknown:
            raise TypeError(f"unknown knob(s): {', '.join(sorted(unknown))}")
        with self.traffic.lock:
            for k, v in knobs.items():
                setattr(self.knobs, k, v)
            if "rate_limit" in knobs:
                self.traffic.window.clear()
                self.traffic.penalty_until = 0.0
            if "quota" in knobs:
                self.traffic.quota_used = 0

    @property
    def counter(self) -> Counter[tuple[str, str, int]]:
        """A snapshot of the request counts keyed (method, route template, status)."""
        with self.traffic.lock:
            return Counter(self.traffic.counter)

    def calls(self, method: str | None = None, route: str | None = None, status: int | None = None) -> int:
        return sum(
            n
            for (m, r, s), n in self.counter.items()
            if (method is None or m == method)
            and (route is None or r == route)
            and (status is None or s == status)
        )

    def reset_counter(self) -> None:
        self.traffic.reset()

    def timings(self) -> list[TimedRequest]:
        """From now on, every answered request with its path and its arrival and answer times
        (`time.perf_counter()`): the live list, for a driver that measures concurrency or latency."""
        with self.traffic.lock:
            if self.traffic.timings is None:
                self.traffic.timings = []
            return self.traffic.timings

    @property
    def bytes_sent(self) -> int:
        return self.traffic.bytes_sent

    # --- state inspection and editing -------------------------------------------------------------
    def playlist_uris(self, pid: str) -> list[str | None]:
        with self.state.lock:
            return [e[0] for e in self.state.playlists[pid].entries]

    def unique_addable_uris(self, limit: int | None = None) -> list[str]:
        """Every URI of the seeded playlists that the Web API can add (no local files), once each,
        in first-appearance order: the ground truth of a merge by id, for tests and benchmarks."""
        seen: dict[str, None] = {}
        for pid in self.playlist_ids:
            for uri in self.playlist_uris(pid):
                if uri and not uri.startswith("spotify:local:"):
                    seen.setdefault(uri, None)
        uris = list(seen)
        return uris[:limit] if limit is not None else uris

    def served_uri(self, uri: str | None) -> str | None:
        """`uri` as a client asking with a market sees it: relinked in extended, as stored otherwise."""
        if uri is None or self.profile != EXTENDED or not uri.startswith("spotify:track:"):
            return uri
        relinked = self.library.tracks.get(uri.rsplit(":", 1)[1], {}).get("relink_to")
        return f"spotify:track:{relinked}" if relinked else uri

    def served_uris(self, pid: str) -> list[str | None]:
        """The playlist's entries as a market-aware client reads them (see `served_uri`)."""
        return [self.served_uri(u) for u in self.playlist_uris(pid)]

    def playlist_entries(self, pid: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [{"uri": u, "added_at": a, "added_by": b} for u, a, b in self.state.playlists[pid].entries]

    def playlist_snapshot(self, pid: str) -> str:
        return self.state.playlists[pid].snapshot_id

    def seeded_snapshots(self) -> dict[str, str | None]:
        return {pid: self.playlist_snapshot(pid) for pid in self.playlist_ids}

    def playlist(self, pid: str) -> dict[str, Any]:
        with self.state.lock:
            pl = self.state.playlists[pid]
            return {
                "id": pl.id,
                "name": pl.name,
                "owner": pl.owner,
                "public": pl.public,
                "description": pl.description,
                "collaborative": pl.collaborative,
                "total": len(pl.entries),
                "snapshot_id": pl.snapshot_id,
            }

    def all_playlist_ids(self) -> list[str]:
        with self.state.lock:
            return list(self.state.playlists)

    def user_playlist_ids(self) -> list[str]:
        with self.state.lock:
            return list(self.state.follows.get(self.user_id, []))

    def edit_playlist(
        self, pid: str, add_uris: list[str] | None = None, remove_positions: list[int] | None = None
    ) -> str:
        """Simulate the user editing a playlist in the Spotify app; returns the new snapshot_id."""
        with self.state.lock:
            pl = self.state.playlists[pid]
            if remove_positions:
                drop = set(remove_positions)
                pl.entries[:] = [e for i, e in enumerate(pl.entries) if i not in drop]
            for uri in add_uris or []:
                if not ADDABLE_RE.match(uri) and not uri.startswith("spotify:local:"):
                    raise ValueError(f"not a track/episode/local URI: {uri}")
            if len(pl.entries) + len(add_uris or []) > MAX_PLAYLIST_ITEMS:
                raise ValueError("a playlist holds at most 10,000 items")
            now = iso(time.time())
            pl.entries.extend([u, now, self.user_id] for u in add_uris or [])
            self.state.touch(pl)
            return pl.snapshot_id

    def insert_items(self, pid: str, uris: list[str], position: int) -> str:
        """Simulate the user adding entries at a position in the app; returns the new snapshot_id."""
        with self.state.lock:
            pl = self.state.playlists[pid]
            if not 0 <= position <= len(pl.entries):
                raise ValueError(f"position {position} is outside 0..{len(pl.entries)}")
            if len(pl.entries) + len(uris) > MAX_PLAYLIST_ITEMS:
                raise ValueError("a playlist holds at most 10,000 items")
            now = iso(time.time())
            pl.entries[position:position] = [[u, now, self.user_id] for u in uris]
            self.state.touch(pl)
            return pl.snapshot_id

    def reorder_playlist(self, pid: str, range_start: int, insert_before: int, range_length: int = 1) -> str:
        """Simulate the user dragging entries in the app (the PUT reorder's semantics)."""
        with self.state.lock:
            pl = self.state.playlists[pid]
            n = len(pl.entries)
            if not (
                0 <= range_start < n and 0 <= insert_before <= n and 1 <= range_length <= n - range_start
            ):
                raise ValueError("range outside the playlist")
            moved = pl.entries[range_start : range_start + range_length]
            rest = pl.entries[:range_start] + pl.entries[range_start + range_length :]
            at = insert_before if insert_before <= range_start else insert_before - range_length
            pl.entries[:] = rest[:at] + moved + rest[at:]
            self.state.touch(pl)
            return pl.snapshot_id

    def delete_playlist(self, pid: str) -> None:
        """Simulate the user deleting (unfollowing) a playlist in the app."""
        with self.state.lock:
            for follows in self.state.follows.values():
                if pid in follows:
                    follows.remove(pid)
            self.state.changed()
