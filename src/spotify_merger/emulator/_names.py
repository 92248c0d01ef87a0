"""Word lists for the synthetic catalogue: artist, title, show and label names, near-miss suffixes."""

from __future__ import annotations


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ADJ = words(
    "Neon Amber Silent Golden Broken Electric Hollow Velvet Crimson Paper Midnight Silver Wild "
    "Lonely Frozen Burning Quiet Distant Sunlit Restless Fading Hidden Glass Iron Violet Northern "
    "Sweet Bitter Endless Tender Savage Lucky Faded Open Secret Falling Rising Lost Little Heavy"
)
NOUN = words(
    "Harbor Motel Orbit River Signal Garden Engine Mirror Highway Lantern Comet Island Canyon Ferry "
    "Static Meadow Tower Ocean Window Fever Thunder Shadow Valley Letter Satellite Heart Summer "
    "Winter Echo Ghost Paradise Station Arrow Parade Diamond Horizon Kingdom Carousel Lighthouse "
    "Avenue Daydream Wildfire"
)
VERB = words(
    "Chasing Holding Leaving Finding Calling Burning Dancing Waiting Running Breaking Saving Dreaming"
)
FIRST = words(
    "Mira Jonah Ada Felix Nora Theo Lena Otis Ivy Ezra Clara Milo Rosa Hugo Iris Silas Vera Arlo "
    "Nina Cyrus Maeve Oskar Juno Ravi Elsa Tobias Yara Emil"
)
LAST = words(
    "Kestrel Vance Holloway Marsh Quill Avery Strand Lark Mercer Fontaine Reyes Okafor Lindqvist "
    "Tanaka Novak Brennan Sato Moreau Castell Adeyemi Whitlock Varga"
)
BAND = words("Orbits Foxes Lanterns Signals Tides Pilots Echoes Wolves Comets Satellites Ghosts Parade")
# A handful of titles in other scripts, so analysis and reports meet CJK, Arabic, accents and emoji.
INTL_TITLES = (
    "夜明けのメロディ",
    "春の風",
    "소나기",
    "أغنية الليل",
    "قمر",
    "Canción del Mar",
    "Ça Va Bien",
    "Śnieg",
    "Fête Éternelle",
    "Dança Comigo",
    "Ночной город",
    "🔥 Fire Dance",
    "Lune ✨",
    "Straße der Träume",
)
NEAR_MISS = (
    "live",
    "remix",
    "acoustic",
    "radio_edit",
    "demo",
    "instrumental",
    "clean",
    "other_artist",
    "guest",
    "album_live",
    "album_acoustic",
)
NEAR_MISS_SUFFIX = {
    "live": " - Live",
    "remix": " - Remix",
    "acoustic": " - Acoustic",
    "radio_edit": " - Radio Edit",
    "demo": " - Demo",
    "instrumental": " - Instrumental",
}
SHOWS = ("The Long Take", "Signal & Noise", "Liner Notes Weekly")
LABELS = ("Northside Records", "Paper Moon Music", "Static Bloom", "Harbor Lights Ltd")


def remaster_suffixes(year: int) -> tuple[str, ...]:
    """The remaster annotations streaming services write, typographic dashes included."""
    return (
        f" - {year} Remaster",
        f" (Remastered {year})",
        " - Remastered",
        f" [{year} - Remaster]",
        f" – {year} – Remaster",
        f" ({year} Re-Mastered Digital Version)",
        " (Deluxe Remaster)",
        f" - Remastered {year} / Album Version",
    )
