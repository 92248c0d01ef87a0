"""A faithful local emulator of the Spotify Web API and accounts service.

Example::

    from spotify_merger.emulator import Emulator, EmulatorConfig

    with Emulator(EmulatorConfig(profile="dev-2026", playlist_sizes=(300, 300))) as emu:
        env = emu.env()  # SPOTIFY_API_BASE, SPOTIFY_ACCOUNTS_BASE, credentials, PLAYLIST_1_ID, ...
        ...
        assert emu.calls("GET", "/v1/playlists/{playlist_id}/items", 200) > 0

Profiles: ``dev-2026`` (Development Mode since February 2026) and ``extended`` (Extended Quota Mode).
``emu.library`` holds the ground truth: ``emu.library.song_key(track_id)`` is a track's real song identity.
"""

from spotify_merger.emulator._server import TimedRequest
from spotify_merger.emulator.instance import Emulator, EmulatorConfig
from spotify_merger.emulator.library import Library
from spotify_merger.emulator.seeding import build_library, parse_sizes

__all__ = ["Emulator", "EmulatorConfig", "Library", "TimedRequest", "build_library", "parse_sizes"]
