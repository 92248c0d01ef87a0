"""Deterministic synthetic music library that seeds the emulator.

Everything here is derived from one ``random.Random(seed)``, so two emulators with the same seed and sizes
serve byte-identical libraries. Besides the catalogue it keeps the *ground truth* the analysis code is
tested against: ``song_key`` names the real song identity of every track, so that single/album/compilation
copies and remasters share a key, while live/remix/acoustic/radio-edit/demo/instrumental versions, clean
edits and same-title covers get keys of their own.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

_ADJ = (
    "Neon Amber Silent Golden Broken Electric Hollow Velvet Crimson Paper Midnight Silver Wild Lonely "
    "Frozen Burning Quiet Distant Sunlit Restless Fading Hidden Glass Iron Violet Northern Sweet Bitter "
    "Endless Tender Savage Lucky Faded Open Secret Falling Rising Lost Little Heavy"
).split()
_NOUN = (
    "Harbor Motel Orbit River Signal Garden Engine Mirror Highway Lantern Comet Island Canyon Ferry Static "
    "Meadow Tower Ocean Window Fever Thunder Shadow Valley Letter Satellite Heart Summer Winter Echo Ghost "
    "Paradise Station Arrow Parade Diamond Horizon Kingdom Carousel Lighthouse Avenue Daydream Wildfire"
).split()
_VERB = "Chasing Holding Leaving Finding Calling Burning Dancing Waiting Running Breaking Saving Dreaming".split()
_FIRST = (
    "Mira Jonah Ada Felix Nora Theo Lena Otis Ivy Ezra Clara Milo Rosa Hugo Iris Silas Vera Arlo Nina "
    "Cyrus Maeve Oskar Juno Ravi Elsa Tobias Yara Emil"
).split()
_LAST = (
    "Kestrel Vance Holloway Marsh Quill Avery Strand Lark Mercer Fontaine Reyes Okafor Lindqvist Tanaka "
    "Novak Brennan Sato Moreau Castell Adeyemi Whitlock Varga"
).split()
_BAND = "Orbits Foxes Lanterns Signals Tides Pilots Echoes Wolves Comets Satellites Ghosts Parade".split()
# A handful of titles in other scripts, so analysis and reports meet CJK, Arabic, accents and emoji.
_INTL_TITLES = (
    "夜明けのメロディ", "春の風", "소나기", "أغنية الليل", "قمر", "Canción del Mar", "Ça Va Bien", "Śnieg",
    "Fête Éternelle", "Dança Comigo", "Ночной город", "🔥 Fire Dance", "Lune ✨", "Straße der Träume",
)
_NEAR_MISS = ("live", "remix", "acoustic", "radio_edit", "demo", "instrumental", "clean", "other_artist")
_NEAR_MISS_SUFFIX = {
    "live": " - Live",
    "remix": " - Remix",
    "acoustic": " - Acoustic",
    "radio_edit": " - Radio Edit",
    "demo": " - Demo",
    "instrumental": " - Instrumental",
}
_SHOWS = ("The Long Take", "Signal & Noise", "Liner Notes Weekly")
_LABELS = ("Northside Records", "Paper Moon Music", "Static Bloom", "Harbor Lights Ltd")
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


def _ts(year: int, month: int = 1, day: int = 1) -> float:
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

    # --- ground truth helpers -------------------------------------------------------------------------
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


class _Builder:
    """Builds a Library; split out so the generation steps can share the rng and counters."""

    def __init__(self, seed: int, sizes: tuple[int, ...], unique_songs: int | None) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.sizes = sizes
        self.unique_songs = unique_songs
        rng = self.rng
        self.lib = Library(
            seed=seed,
            user_id=f"listener{rng.randint(1000, 9999)}",
            user_name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            other_user_id=f"curator{rng.randint(1000, 9999)}",
            collab_user_id=f"friend{rng.randint(1000, 9999)}",
        )
        self.used_titles: set[tuple[str, str]] = set()
        self.artist_ids: list[str] = []
        self.artist_albums: dict[str, list[str]] = {}
        self.isrc_n = 0

    # --- catalogue primitives ---------------------------------------------------------------------------
    def new_artist(self) -> str:
        rng = self.rng
        aid = base62_id(rng)
        shape = rng.random()
        if shape < 0.45:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        elif shape < 0.8:
            name = f"The {rng.choice(_ADJ)} {rng.choice(_BAND)}"
        else:
            name = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
        idx = len(self.artist_ids)
        self.lib.artists[aid] = {
            "id": aid,
            "name": name,
            "genres": [rng.choice(("indie pop", "synthwave", "folk", "alt rock", "dream pop", "soul"))],
            "popularity": max(1, 90 - idx // 3),
            "followers": rng.randint(100, 2_000_000),
        }
        self.artist_ids.append(aid)
        self.artist_albums[aid] = []
        return aid

    def new_album(self, artist_id: str, name: str, album_type: str, year: int, n_tracks: int = 12) -> str:
        rng = self.rng
        alb = base62_id(rng)
        precision = "day" if rng.random() < 0.85 else "year"
        date = f"{year}" if precision == "year" else f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        self.lib.albums[alb] = {
            "id": alb,
            "name": name,
            "album_type": album_type,
            "artists": [artist_id],
            "release_date": date,
            "release_date_precision": precision,
            "total_tracks": n_tracks,
            "label": rng.choice(_LABELS),
        }
        return alb

    def isrc(self, year: int) -> str:
        self.isrc_n += 1
        return f"QZ{B62[10 + self.seed % 26].upper()}{B62[10 + (self.seed // 26) % 26].upper()}A{year % 100:02d}{self.isrc_n:05d}"

    def new_track(self, title: str, artist: str, album: str, duration: int, explicit: bool, isrc: str,
                  song_key: str, variant: str) -> str:
        tid = base62_id(self.rng)
        self.lib.tracks[tid] = {
            "id": tid,
            "name": title,
            "artists": [artist],
            "album": album,
            "duration_ms": duration,
            "explicit": explicit,
            "isrc": isrc,
            "disc_number": 1,
            "track_number": self.rng.randint(1, 12),
            "popularity": self.rng.randint(0, 100),
            "song_key": song_key,
            "variant": variant,
        }
        self.lib.songs.setdefault(song_key, []).append(tid)
        return tid

    def pick_artist(self) -> str:
        # A skewed pick, so that a few artists dominate the way they do in real libraries.
        n = len(self.artist_ids)
        return self.artist_ids[min(n - 1, int(n * self.rng.random() ** 2.2))]

    def title(self, artist: str) -> str:
        rng = self.rng
        for _ in range(50):
            s = rng.random()
            if s < 0.01:
                t = rng.choice(_INTL_TITLES)
            elif s < 0.4:
                t = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
            elif s < 0.6:
                t = f"{rng.choice(_NOUN)} of {rng.choice(_NOUN)}s"
            elif s < 0.8:
                t = f"{rng.choice(_VERB)} the {rng.choice(_NOUN)}"
            else:
                t = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} {rng.choice(_NOUN)}"
            if (t.casefold(), artist) not in self.used_titles:
                self.used_titles.add((t.casefold(), artist))
                return t
        t = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} No. {rng.randint(2, 99_999)}"
        self.used_titles.add((t.casefold(), artist))
        return t

    def album_for(self, artist: str, year: int) -> str:
        albums = self.artist_albums[artist]
        if not albums or self.rng.random() < 0.1:
            albums.append(self.new_album(artist, f"{self.rng.choice(_ADJ)} {self.rng.choice(_NOUN)}s", "album", year))
        return self.rng.choice(albums)

    # --- songs ---------------------------------------------------------------------------------------------
    def base_song(self) -> list[tuple[str, list[str]]]:
        """One song (with its same-song copies), sometimes followed by a near-miss song of its own."""
        rng = self.rng
        artist = self.pick_artist()
        title = self.title(artist)
        year = rng.randint(1968, 2025)
        duration = rng.randint(125_000, 390_000)
        explicit = rng.random() < 0.15
        key = f"s{len(self.lib.songs):06d}"
        isrc = self.isrc(year)
        album = self.album_for(artist, year)
        ids = [self.new_track(title, artist, album, duration, explicit, isrc, key, "original")]
        out = [(key, ids)]
        r = rng.random()
        if r < 0.07:  # one recording, one ISRC, released as single, on the album and on a compilation
            single = self.new_album(artist, title, "single", year, 1)
            ids.append(self.new_track(title, artist, single, duration, explicit, isrc, key, "single"))
            if rng.random() < 0.6:
                comp = self.new_album(artist, f"Greatest Hits Vol. {rng.randint(1, 4)}", "compilation", year + 8)
                ids.append(self.new_track(title, artist, comp, duration, explicit, isrc, key, "compilation"))
        elif r < 0.11 and year <= 2015:  # remaster: new id, maybe new ISRC, same title/artist, duration within 2 s
            ryear = rng.randint(max(year + 5, 2005), 2024)
            suffix = rng.choice((f" - {ryear} Remaster", f" (Remastered {ryear})", " - Remastered"))
            alb_name = self.lib.albums[album]["name"] + f" ({ryear} Remaster)"
            ralb = self.new_album(artist, alb_name, "album", ryear)
            risrc = isrc if rng.random() < 0.5 else self.isrc(ryear)
            ids.append(self.new_track(title + suffix, artist, ralb, duration + rng.randint(-1500, 1500),
                                      explicit, risrc, key, "remaster"))
        elif r < 0.13:  # relinking in extended: the same song under a market-specific id
            alt = self.new_track(title, artist, album, duration, explicit, isrc, key, "relinked")
            self.lib.tracks[ids[0]]["relink_to"] = alt
            self.lib.tracks[alt]["relinked_from"] = ids[0]
        if rng.random() < 0.07:
            out.append(self.near_miss(key, title, artist, album, year, duration, explicit))
        return out

    def near_miss(self, base_key: str, title: str, artist: str, album: str, year: int, duration: int,
                  explicit: bool) -> tuple[str, list[str]]:
        rng = self.rng
        kind = rng.choice(_NEAR_MISS)
        key = f"s{len(self.lib.songs):06d}"
        # Often within 2 s of the original, so that only the title, flag or artist tells them apart.
        dur = duration + rng.randint(-1500, 1500) if rng.random() < 0.5 else duration + rng.randint(-60_000, 90_000)
        isrc = self.isrc(year)
        if kind == "clean":
            self.lib.tracks[self.lib.songs[base_key][0]]["explicit"] = True
            for tid in self.lib.songs[base_key]:
                self.lib.tracks[tid]["explicit"] = True
            tid = self.new_track(title, artist, album, duration + rng.randint(-800, 800), False, isrc, key, "clean")
        elif kind == "other_artist":
            other = self.pick_artist()
            if other == artist:
                other = self.new_artist()
            self.used_titles.add((title.casefold(), other))
            alb = self.album_for(other, year)
            tid = self.new_track(title, other, alb, dur, rng.random() < 0.15, isrc, key, "other_artist")
        else:
            if kind == "live":
                alb = self.new_album(artist, f"Live at the {rng.choice(_NOUN)}", "album", year + rng.randint(1, 10))
            else:
                alb = album
            tid = self.new_track(title + _NEAR_MISS_SUFFIX[kind], artist, alb, dur, explicit, isrc, key, kind)
        self.lib.near_misses.append((base_key, key, kind))
        return (key, [tid])

    def build_pool(self, n: int) -> list[tuple[str, list[str]]]:
        for _ in range(max(8, n // 9)):
            self.new_artist()
        pool: list[tuple[str, list[str]]] = []
        while len(pool) < n:
            pool.extend(self.base_song())
        del pool[n:]
        self.rng.shuffle(pool)
        return pool

    # --- non-music entries --------------------------------------------------------------------------------
    def episodes(self, n: int) -> list[str]:
        rng = self.rng
        shows = []
        for name in _SHOWS:
            sid = base62_id(rng)
            self.lib.shows[sid] = {"id": sid, "name": name, "publisher": f"{rng.choice(_LAST)} Audio",
                                   "total_episodes": 0}
            shows.append(sid)
        uris = []
        for i in range(n):
            sid = shows[i % len(shows)]
            show = self.lib.shows[sid]
            show["total_episodes"] += 1
            eid = base62_id(rng)
            year = rng.randint(2019, 2025)
            self.lib.episodes[eid] = {
                "id": eid,
                "name": f"Episode {show['total_episodes']}: {rng.choice(_ADJ)} {rng.choice(_NOUN)}",
                "show": sid,
                "duration_ms": rng.randint(900_000, 5_400_000),
                "explicit": rng.random() < 0.1,
                "release_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            }
            uris.append(f"spotify:episode:{eid}")
        return uris

    def local_file(self) -> str:
        rng = self.rng
        artist = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        album = f"Home Recordings {rng.randint(1, 9)}"
        title = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} (Bootleg)"
        secs = rng.randint(120, 400)
        uri = f"spotify:local:{quote_plus(artist)}:{quote_plus(album)}:{quote_plus(title)}:{secs}"
        self.lib.local_files[uri] = {"artist": artist, "album": album, "title": title,
                                     "duration_ms": secs * 1000, "song_key": f"local:{uri}"}
        return uri

    # --- playlists ------------------------------------------------------------------------------------------
    def weights(self, total: int, table: tuple[tuple[int, float], ...]) -> list[int]:
        rng = self.rng
        values = [w for w, _ in table]
        probs = [p for _, p in table]
        out: list[int] = []
        filled = 0
        while filled < total:
            w = min(rng.choices(values, probs)[0], total - filled)
            out.append(w)
            filled += w
        return out

    def expand(self, songs: list[tuple[str, list[str]]], weights: list[int]) -> list[str]:
        rng = self.rng
        uris = []
        for (_, ids), w in zip(songs, weights, strict=True):
            for _ in range(w):
                tid = ids[0] if len(ids) == 1 or rng.random() < 0.6 else rng.choice(ids)
                uris.append(f"spotify:track:{tid}")
        rng.shuffle(uris)
        return uris

    def with_specials(self, uris: list[str | None], size: int, episodes: list[str]) -> list[str | None]:
        """Scatter local files, episodes and unavailable entries over the middle of a playlist.

        They stay off the first 100 entries (the page embedded in the playlist object) and the last page,
        so those hold plain tracks only; readers that sample a playlist's ends (like a conformance check)
        see the common case, full scans see everything."""
        rng = self.rng
        n_each = max(1, size * 3 // 1000) if size >= 60 else 0
        specials: list[str | None] = [self.local_file() for _ in range(n_each)]
        specials += [rng.choice(episodes) for _ in range(n_each + n_each // 3)]
        specials += [None] * n_each
        lo = min(100, len(uris) // 3)
        hi = max(lo, len(uris) - min(100, len(uris) // 4))
        for s in specials:
            uris.insert(rng.randint(lo, hi), s)
        # Inserting grew the list; trim from the middle region so the ends stay as they were.
        while len(uris) > size:
            del uris[rng.randint(lo, max(lo, len(uris) - min(100, len(uris) // 4) - 1))]
        return uris

    def dated(self, uris: list[str | None], start: float, end: float, by: str) -> list[list[Any]]:
        rng = self.rng
        stamps = sorted(rng.uniform(start, end) for _ in uris)
        return [[u, iso(t), by] for u, t in zip(uris, stamps, strict=True)]

    def build(self) -> Library:
        rng, lib = self.rng, self.lib
        s1, s2 = self.sizes[0], self.sizes[1] if len(self.sizes) > 1 else self.sizes[0]
        specials1, specials2 = (max(1, s * 3 // 1000) * 4 if s >= 60 else 0 for s in (s1, s2))
        w1 = self.weights(s1, ((1, 0.86), (2, 0.06), (3, 0.03), (4, 0.017), (5, 0.012), (6, 0.009), (7, 0.006),
                               (8, 0.006)))
        w2 = self.weights(s2, ((1, 0.975), (2, 0.02), (3, 0.005)))
        n1, n2 = len(w1), len(w2)
        target = self.unique_songs if self.unique_songs is not None else round((s1 + s2) * 15_000 / 18_000)
        overlap = max(int(0.08 * min(n1, n2)), min(n1 + n2 - target, min(n1, n2)))
        extra = 150 + (s1 + s2) // 60  # songs only in Liked Songs or other users' playlists
        pool = self.build_pool(n1 + n2 - overlap + extra)
        songs1 = pool[:n1]
        songs2 = pool[n1 - overlap : n1 - overlap + n2]
        rest = pool[n1 - overlap + n2 :]
        episodes = self.episodes(12 + (s1 + s2) // 600)
        p1 = self.with_specials(list[str | None](self.expand(songs1, w1)), s1, episodes)
        p2 = self.with_specials(list[str | None](self.expand(songs2, w2)), s2, episodes)
        del specials1, specials2
        user = lib.user_id
        lib.playlists.append(SeededPlaylist(stable_id(self.seed, "p1"), "Heavy Rotation (weighted)", user, False,
                                            False, "Songs I love, repeated as often as I want to hear them.",
                                            self.dated(p1, _ts(2014, 3), _ts(2025, 12, 20), user)))
        lib.playlists.append(SeededPlaylist(stable_id(self.seed, "p2"), "Discoveries", user, True, False,
                                            "Everything new I found, mostly once each.",
                                            self.dated(p2, _ts(2018, 6), _ts(2026, 1, 20), user)))
        # An old playlist: the first entries predate Spotify recording added_at/added_by.
        old_songs = [f"spotify:track:{ids[0]}" for _, ids in rng.sample(pool, min(60, len(pool)))]
        old = self.dated(list[str | None](old_songs), _ts(2009, 5), _ts(2011, 12), user)
        for e in old[: len(old) // 3]:
            e[1] = None
            e[2] = None
        lib.playlists.append(SeededPlaylist(stable_id(self.seed, "old"), "Old Favourites (2009)", user, False,
                                            False, "", old))
        collab_uris = [f"spotify:track:{ids[0]}" for _, ids in rng.sample(pool, min(25, len(pool)))]
        collab = self.dated(list[str | None](collab_uris), _ts(2022, 1), _ts(2025, 6), lib.collab_user_id)
        for e in collab[::3]:
            e[2] = user
        lib.playlists.append(SeededPlaylist(stable_id(self.seed, "collab"), "Road Trip (shared)",
                                            lib.collab_user_id, False, True, "A playlist we both add to.", collab))
        other_uris = [f"spotify:track:{ids[0]}" for _, ids in (rest or pool)[:40]]
        lib.playlists.append(SeededPlaylist(stable_id(self.seed, "other"), "Curated: Late Night Drive",
                                            lib.other_user_id, True, False, "Followed, but owned by someone else.",
                                            self.dated(list[str | None](other_uris), _ts(2020, 1), _ts(2025, 1),
                                                       lib.other_user_id)))
        liked_pool = rng.sample(pool, min(len(pool), 100 + (s1 + s2) // 40))
        stamps = sorted((rng.uniform(_ts(2015), _ts(2026, 1)) for _ in liked_pool), reverse=True)
        lib.liked = [(ids[0], iso(t)) for (_, ids), t in zip(liked_pool, stamps, strict=True)]
        return lib


def build_library(seed: int = 42, sizes: tuple[int, ...] = (9000, 9000), unique_songs: int | None = None) -> Library:
    """Generate the seeded library: two weighted-shuffle playlists plus the supporting cast."""
    if any(s < 0 or s > 10_000 for s in sizes):
        raise ValueError("playlist sizes must be between 0 and 10,000 (Spotify's cap)")
    return _Builder(seed, tuple(sizes), unique_songs).build()


def all_markets() -> list[str]:
    return list(_MARKETS)
