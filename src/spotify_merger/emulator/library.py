"""The seeded library's data model and ground truth (generation, and `build_library`, live in ``seeding.py``).

Everything is derived from one ``random.Random(seed)``, so two emulators with the same seed and sizes
serve byte-identical libraries. Besides the catalogue the library keeps the *ground truth* the analysis
code is tested against: ``song_key`` names the real song identity of every track, so that
single/album/compilation copies and remasters share a key, while live/remix/acoustic/radio-edit/demo/
instrumental versions, clean edits and same-title covers get keys of their own.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MARKETS = ("US", "GB", "DE", "FR", "SE", "JP", "BR", "CA")


def base62_id(rng: random.Random) -> str:
    return "".join(rng.choices(B62, k=22))


def stable_id(*parts: object) -> str:
    """A Spotify-looking id derived from its parts, so ids of things created at runtime survive restarts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    n = int.from_bytes(digest, "big")
    out = []
    for _ in range(22):
        n, r = divmod(n, 62)
        out.append(B62[r])
    return "".join(out)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_of(year: int, month: int = 1, day: int = 1) -> float:
    return datetime(year, month, day, tzinfo=UTC).timestamp()


@dataclass
class SeededPlaylist:
    id: str
    name: str
    owner: str
    public: bool
    collaborative: bool
    description: str
    # Each entry: [uri or None (unavailable), added_at ISO string or None, added_by user id or None]
    entries: list[list[Any]]


@dataclass
class Library:
    """Catalogue plus ground truth. ``tracks`` maps id -> track dict (with ``song_key``)."""

    seed: int
    user_id: str
    user_name: str
    other_user_id: str
    collab_user_id: str
    artists: dict[str, dict[str, Any]] = field(default_factory=dict)
    albums: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)
    shows: dict[str, dict[str, Any]] = field(default_factory=dict)
    episodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # local-file URI -> {"artist", "album", "title", "duration_ms", "song_key"}
    local_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    playlists: list[SeededPlaylist] = field(default_factory=list)
    liked: list[tuple[str, str]] = field(default_factory=list)  # (track id, added_at), newest first
    # song_key -> the track ids that are that song; near-miss pairs as (base key, variant key, kind)
    songs: dict[str, list[str]] = field(default_factory=dict)
    near_misses: list[tuple[str, str, str]] = field(default_factory=list)

    # --- ground truth helpers ---------------------------------------------------------------------
    def song_key(self, track_id_or_uri: str) -> str | None:
        """The ground-truth song identity of a track id, track/episode URI or local URI."""
        ref = track_id_or_uri
        if ref.startswith("spotify:local:"):
            lf = self.local_files.get(ref)
            return lf["song_key"] if lf else None
        if ref.startswith("spotify:episode:"):
            eid = ref.rsplit(":", 1)[1]
            return f"episode:{eid}" if eid in self.episodes else None
        if ref.startswith("spotify:track:"):
            ref = ref.rsplit(":", 1)[1]
        t = self.tracks.get(ref)
        return t["song_key"] if t else None

    def same_song(self, a: str, b: str) -> bool:
        ka, kb = self.song_key(a), self.song_key(b)
        return ka is not None and ka == kb

    def relinked_pairs(self) -> list[tuple[str, str]]:
        """(original id, relinked id) pairs: in extended with a market the original is served as the other."""
        return [(tid, t["relink_to"]) for tid, t in self.tracks.items() if t.get("relink_to")]

    def audio_features(self, track_id: str) -> dict[str, Any] | None:
        """Synthetic audio features, derived from the song so that copies of one song sound alike."""
        t = self.tracks.get(track_id)
        if t is None:
            return None
        r = random.Random(f"{self.seed}:{t['song_key']}")
        jitter = random.Random(f"{self.seed}:{track_id}")
        inst = t.get("variant") == "instrumental"
        live = t.get("variant") == "live"
        return {
            "acousticness": round(r.random() ** 2 if t.get("variant") != "acoustic" else 0.8, 4),
            "danceability": round(min(1.0, r.betavariate(5, 3) + jitter.uniform(-0.01, 0.01)), 3),
            "energy": round(r.betavariate(4, 3), 3),
            "instrumentalness": round(0.9 if inst else r.random() ** 6, 4),
            "key": r.randint(0, 11),
            "liveness": round(0.85 if live else r.uniform(0.03, 0.35), 4),
            "loudness": round(r.uniform(-16.0, -3.0), 3),
            "mode": r.randint(0, 1),
            "speechiness": round(r.uniform(0.025, 0.2), 4),
            "tempo": round(r.uniform(70.0, 180.0), 3),
            "time_signature": 4 if r.random() < 0.9 else 3,
            "valence": round(r.random(), 3),
            "duration_ms": t["duration_ms"],
            "id": track_id,
            "type": "audio_features",
        }


def all_markets() -> list[str]:
    return list(_MARKETS)
