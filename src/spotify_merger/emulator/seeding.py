"""Generation of the seeded library: artists, albums, songs with their same-song copies and near misses,
episodes, local files, and the playlists built from them. One rng drives it all, so order matters."""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import quote_plus

from spotify_merger.emulator import _names as names
from spotify_merger.emulator.library import (
    B62,
    Library,
    SeededPlaylist,
    base62_id,
    iso,
    stable_id,
    ts_of,
)

# The kinds of near-miss songs the generator seeds (ground truth: each is a song of its own).
NEAR_MISS_KINDS: tuple[str, ...] = names.NEAR_MISS


class LibraryBuilder:
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
            user_name=f"{rng.choice(names.FIRST)} {rng.choice(names.LAST)}",
            other_user_id=f"curator{rng.randint(1000, 9999)}",
            collab_user_id=f"friend{rng.randint(1000, 9999)}",
        )
        self.used_titles: set[tuple[str, str]] = set()
        self.artist_ids: list[str] = []
        self.artist_albums: dict[str, list[str]] = {}
        self.isrc_n = 0

    # --- catalogue primitives ---------------------------------------------------------------------
    def new_artist(self) -> str:
        rng = self.rng
        aid = base62_id(rng)
        shape = rng.random()
        if shape < 0.45:
            name = f"{rng.choice(names.FIRST)} {rng.choice(names.LAST)}"
        elif shape < 0.8:
            name = f"The {rng.choice(names.ADJ)} {rng.choice(names.BAND)}"
        else:
            name = f"{rng.choice(names.ADJ)} {rng.choice(names.NOUN)}"
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
        date = (
            f"{year}" if precision == "year" else f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        )
        self.lib.albums[alb] = {
            "id": alb,
            "name": name,
            "album_type": album_type,
            "artists": [artist_id],
            "release_date": date,
            "release_date_precision": precision,
            "total_tracks": n_tracks,
            "label": rng.choice(names.LABELS),
        }
        return alb

    def isrc(self, year: int) -> str:
        self.isrc_n += 1
        # Country code "QZ" (reserved for self-assigned codes), a seed-derived registrant, year, serial.
        registrant = f"{B62[10 + self.seed % 26]}{B62[10 + (self.seed // 26) % 26]}A".upper()
        return f"QZ{registrant}{year % 100:02d}{self.isrc_n:05d}"

    def new_track(
        self,
        title: str,
        artist: str,
        album: str,
        duration: int,
        explicit: bool,
        isrc: str,
        song_key: str,
        variant: str,
        guests: tuple[str, ...] = (),
    ) -> str:
        tid = base62_id(self.rng)
        self.lib.tracks[tid] = {
            "id": tid,
            "name": title,
            "artists": [artist, *guests],
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

    def other_artist(self, artist: str) -> str:
        other = self.pick_artist()
        return other if other != artist else self.new_artist()

    def pick_artist(self) -> str:
        # A skewed pick, so that a few artists dominate the way they do in real libraries.
        n = len(self.artist_ids)
        return self.artist_ids[min(n - 1, int(n * self.rng.random() ** 2.2))]

    def title(self, artist: str) -> str:
        rng = self.rng
        for _ in range(50):
            s = rng.random()
            if s < 0.01:
                t = rng.choice(names.INTL_TITLES)
            elif s < 0.4:
                t = f"{rng.choice(names.ADJ)} {rng.choice(names.NOUN)}"
            elif s < 0.6:
                t = f"{rng.choice(names.NOUN)} of {rng.choice(names.NOUN)}s"
            elif s < 0.8:
                t = f"{rng.choice(names.VERB)} the {rng.choice(names.NOUN)}"
            else:
                t = f"{rng.choice(names.ADJ)} {rng.choice(names.NOUN)} {rng.choice(names.NOUN)}"
            if (t.casefold(), artist) not in self.used_titles:
                self.used_titles.add((t.casefold(), artist))
                return t
        t = f"{rng.choice(names.ADJ)} {rng.choice(names.NOUN)} No. {rng.randint(2, 99_999)}"
        self.used_titles.add((t.casefold(), artist))
        return t

    def album_for(self, artist: str, year: int) -> str:
        albums = self.artist_albums[artist]
        if not albums or self.rng.random() < 0.1:
            albums.append(
                self.new_album(
                    artist, f"{self.rng.choice(names.ADJ)} {self.rng.choice(names.NOUN)}s", "album", year
                )
            )
        return self.rng.choice(albums)

    # --- songs ------------------------------------------------------------------------------------
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
                comp = self.new_album(
                    artist, f"Greatest Hits Vol. {rng.randint(1, 4)}", "compilation", year + 8
                )
                ids.append(self.new_track(title, artist, comp, duration, explicit, isrc, key, "compilation"))
        elif (
            r < 0.11 and year <= 2015
        ):  # remaster: new id, maybe new ISRC, same title/artist, duration within 2 s
            ryear = rng.randint(max(year + 5, 2005), 2024)
            suffix = rng.choice(names.remaster_suffixes(ryear))
            alb_name = self.lib.albums[album]["name"] + f" ({ryear} Remaster)"
            ralb = self.new_album(artist, alb_name, "album", ryear)
            risrc = isrc if rng.random() < 0.5 else self.isrc(ryear)
            ids.append(
                self.new_track(
                    title + suffix,
                    artist,
                    ralb,
                    duration + rng.randint(-1500, 1500),
                    explicit,
                    risrc,
                    key,
                    "remaster",
                )
            )
        elif r < 0.115:  # a guest credited in the title on one copy, in the artist list on the other
            guest = self.other_artist(artist)
            guest_name = self.lib.artists[guest]["name"]
            self.lib.tracks[ids[0]]["name"] = f"{title} (feat. {guest_name})"
            ids.append(
                self.new_track(
                    title,
                    artist,
                    self.new_album(artist, title, "single", year, 1),
                    duration + rng.randint(-900, 900),
                    explicit,
                    self.isrc(year),
                    key,
                    "credit_moved",
                    guests=(guest,),
                )
            )
        elif r < 0.13:  # relinking in extended: the same song under a market-specific id
            alt = self.new_track(title, artist, album, duration, explicit, isrc, key, "relinked")
            self.lib.tracks[ids[0]]["relink_to"] = alt
            self.lib.tracks[alt]["relinked_from"] = ids[0]
        if rng.random() < 0.07:
            out.append(self.near_miss(key, title, artist, album, year, duration, explicit))
        return out

    def near_miss(
        self, base_key: str, title: str, artist: str, album: str, year: int, duration: int, explicit: bool
    ) -> tuple[str, list[str]]:
        rng = self.rng
        kind = rng.choice(names.NEAR_MISS)
        key = f"s{len(self.lib.songs):06d}"
        # Often within 2 s of the original, so that only the title, flag or artist tells them apart.
        dur = (
            duration + rng.randint(-1500, 1500)
            if rng.random() < 0.5
            else duration + rng.randint(-60_000, 90_000)
        )
        isrc = self.isrc(year)
        if kind == "clean":
            self.lib.tracks[self.lib.songs[base_key][0]]["explicit"] = True
            for tid in self.lib.songs[base_key]:
                self.lib.tracks[tid]["explicit"] = True
            tid = self.new_track(
                title, artist, album, duration + rng.randint(-800, 800), False, isrc, key, "clean"
            )
        elif kind == "guest":  # the same title with a (new) guest is another recording
            credited = {a for t in self.lib.songs[base_key] for a in self.lib.tracks[t]["artists"]}
            guest = self.other_artist(artist)
            while guest in credited or any(
                self.lib.artists[guest]["name"] in self.lib.tracks[t]["name"]
                for t in self.lib.songs[base_key]
            ):
                guest = self.new_artist()
            tid = self.new_track(title, artist, album, dur, explicit, isrc, key, kind, guests=(guest,))
        elif kind in ("album_live", "album_acoustic"):  # the album, not the title, says which version
            name = (
                f"Live at the {rng.choice(names.NOUN)}"
                if kind == "album_live"
                else f"{rng.choice(names.ADJ)} {rng.choice(names.NOUN)}s (Acoustic)"
            )
            alb = self.new_album(artist, name, "album", year + rng.randint(1, 10))
            tid = self.new_track(title, artist, alb, dur, explicit, isrc, key, kind)
        elif kind == "other_artist":
            other = self.other_artist(artist)
            self.used_titles.add((title.casefold(), other))
            alb = self.album_for(other, year)
            tid = self.new_track(title, other, alb, dur, rng.random() < 0.15, isrc, key, "other_artist")
        else:
            if kind == "live":
                alb = self.new_album(
                    artist, f"Live at the {rng.choice(names.NOUN)}", "album", year + rng.randint(1, 10)
                )
            else:
                alb = album
            tid = self.new_track(
                title + names.NEAR_MISS_SUFFIX[kind], artist, alb, dur, explicit, isrc, key, kind
            )
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

    # --- non-music entries ------------------------------------------------------------------------
    def episodes(self, n: int) -> list[str]:
        rng = self.rng
        shows = []
        for name in names.SHOWS:
            sid = base62_id(rng)
            self.lib.shows[sid] = {
                "id": sid,
                "name": name,
                "publisher": f"{rng.choice(names.LAST)} Audio",
                "total_episodes": 0,
            }
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
                "name": f"Episode {show['total_episodes']}: {rng.choice(names.ADJ)} {rng.choice(names.NOUN)}",
                "show": sid,
                "duration_ms": rng.randint(900_000, 5_400_000),
                "explicit": rng.random() < 0.1,
                "release_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            }
            uris.append(f"spotify:episode:{eid}")
        return uris

    def local_file(self) -> str:
        rng = self.rng
        artist = f"{rng.choice(names.FIRST)} {rng.choice(names.LAST)}"
        album = f"Home Recordings {rng.randint(1, 9)}"
        title = f"{rng.choice(names.ADJ)} {rng.choice(names.NOUN)} (Bootleg)"
        secs = rng.randint(120, 400)
        uri = f"spotify:local:{quote_plus(artist)}:{quote_plus(album)}:{quote_plus(title)}:{secs}"
        self.lib.local_files[uri] = {
            "artist": artist,
            "album": album,
            "title": title,
            "duration_ms": secs * 1000,
            "song_key": f"local:{uri}",
        }
        return uri

    # --- playlists --------------------------------------------------------------------------------
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
        w1 = self.weights(
            s1, ((1, 0.86), (2, 0.06), (3, 0.03), (4, 0.017), (5, 0.012), (6, 0.009), (7, 0.006), (8, 0.006))
        )
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
        lib.playlists.append(
            SeededPlaylist(
                stable_id(self.seed, "p1"),
                "Heavy Rotation (weighted)",
                user,
                False,
                False,
                "Songs I love, repeated as often as I want to hear them.",
                self.dated(p1, ts_of(2014, 3), ts_of(2025, 12, 20), user),
            )
        )
        lib.playlists.append(
            SeededPlaylist(
                stable_id(self.seed, "p2"),
                "Discoveries",
                user,
                True,
                False,
                "Everything new I found, mostly once each.",
                self.dated(p2, ts_of(2018, 6), ts_of(2026, 1, 20), user),
            )
        )
        # An old playlist: the first entries predate Spotify recording added_at/added_by.
        old_songs = [f"spotify:track:{ids[0]}" for _, ids in rng.sample(pool, min(60, len(pool)))]
        old = self.dated(list[str | None](old_songs), ts_of(2009, 5), ts_of(2011, 12), user)
        for e in old[: len(old) // 3]:
            e[1] = None
            e[2] = None
        lib.playlists.append(
            SeededPlaylist(stable_id(self.seed, "old"), "Old Favourites (2009)", user, False, False, "", old)
        )
        collab_uris = [f"spotify:track:{ids[0]}" for _, ids in rng.sample(pool, min(25, len(pool)))]
        collab = self.dated(list[str | None](collab_uris), ts_of(2022, 1), ts_of(2025, 6), lib.collab_user_id)
        for e in collab[::3]:
            e[2] = user
        lib.playlists.append(
            SeededPlaylist(
                stable_id(self.seed, "collab"),
                "Road Trip (shared)",
                lib.collab_user_id,
                False,
                True,
                "A playlist we both add to.",
                collab,
            )
        )
        other_uris = [f"spotify:track:{ids[0]}" for _, ids in (rest or pool)[:40]]
        lib.playlists.append(
            SeededPlaylist(
                stable_id(self.seed, "other"),
                "Curated: Late Night Drive",
                lib.other_user_id,
                True,
                False,
                "Followed, but owned by someone else.",
                self.dated(list[str | None](other_uris), ts_of(2020, 1), ts_of(2025, 1), lib.other_user_id),
            )
        )
        liked_pool = rng.sample(pool, min(len(pool), 100 + (s1 + s2) // 40))
        stamps = sorted((rng.uniform(ts_of(2015), ts_of(2026, 1)) for _ in liked_pool), reverse=True)
        lib.liked = [(ids[0], iso(t)) for (_, ids), t in zip(liked_pool, stamps, strict=True)]
        return lib


MAX_PLAYLIST_SIZE = 10_000  # Spotify's cap on a playlist's items


def check_sizes(sizes: tuple[int, ...]) -> None:
    """ValueError unless every seeded playlist size is within 0..10,000."""
    if any(s < 0 or s > MAX_PLAYLIST_SIZE for s in sizes):
        raise ValueError(f"playlist sizes must be between 0 and {MAX_PLAYLIST_SIZE:,} (Spotify's cap)")


def parse_sizes(text: str) -> tuple[int, int]:
    """The two seeded playlists' sizes as people type them ("9000,9000", "9_000,500")."""
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(","))
    except ValueError:
        sizes = ()
    if len(sizes) != 2:
        raise ValueError(f"{text!r} is not two playlist sizes separated by a comma")
    check_sizes(sizes)
    return sizes[0], sizes[1]


def build_library(
    seed: int = 42, sizes: tuple[int, ...] = (9000, 9000), unique_songs: int | None = None
) -> Library:
    """Generate the seeded library: two weighted-shuffle playlists plus the supporting cast."""
    check_sizes(sizes)
    return LibraryBuilder(seed, tuple(sizes), unique_songs).build()
