"""verify: the first difference is found and named; parts are read back at known offsets, concurrently,
asking only for each entry's URI, and reading stops at the first difference."""

from __future__ import annotations

import math

import pytest

from emulator_fixtures import EmulatorFactory
from fixtures import EnvFor
from spotify_merger.emulator import Emulator
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.write.verify import first_difference, read_part, verify_mode

PLAN = [f"spotify:track:{c * 22}" for c in "abcdefgh"]
ITEMS = "/v1/playlists/{id}/items"


def test_an_exact_copy_has_no_difference() -> None:
    assert first_difference(PLAN, list(PLAN)) is None


def test_the_first_difference_is_named_by_its_position_counted_from_the_page_offset() -> None:
    swapped = [PLAN[0], PLAN[2], PLAN[1], *PLAN[3:]]
    assert first_difference(PLAN, swapped, offset=100) == f"position 102: expected {PLAN[1]}, found {PLAN[2]}"
    assert first_difference(PLAN, PLAN[:5]) == f"position 6: expected {PLAN[5]}, found nothing"
    assert (
        first_difference(PLAN, [*PLAN[:3], None, *PLAN[4:]]) == f"position 4: expected {PLAN[3]}, found None"
    )


def test_an_unknown_verify_mode_is_a_usage_error() -> None:
    from spotify_merger.errors import UsageError

    assert verify_mode("quick") == "quick" and verify_mode("full") == "full"
    with pytest.raises(UsageError, match="--verify 'bogus' is not one of full, quick"):
        verify_mode("bogus")


def _master(emu: Emulator, client: SpotifyClient, n: int) -> tuple[str, list[str]]:
    uris = emu.unique_addable_uris(n)
    pid = client.create_playlist("Read back", "test", public=False).id
    for i in range(0, len(uris), 100):
        client.add_items(pid, uris[i : i + 100])
    return pid, uris


def test_a_part_is_read_once_per_page_with_uris_only(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(playlist_sizes=(600, 600))
    with SpotifyClient.connect(env_for(emu)) as client:
        pid, uris = _master(emu, client, 1000)
        emu.reset_counter()
        total, problems = read_part(client, pid, uris)
    assert (total, problems) == (len(uris), [])
    assert emu.calls("GET", ITEMS) == math.ceil(len(uris) / 50)  # no page twice, no "is there more?"
    assert emu.bytes_sent / len(uris) < 100  # the URI and nothing else (a fetch page: ~450 B an entry)


def test_reading_stops_at_the_first_difference_and_names_it(
    emulator_factory: EmulatorFactory, env_for: EnvFor
) -> None:
    emu = emulator_factory(playlist_sizes=(600, 600))
    with SpotifyClient.connect(env_for(emu)) as client:
        pid, uris = _master(emu, client, 1000)
        emu.edit_playlist(pid, remove_positions=[120])  # song 121 deleted by hand: all later ones shift
        emu.reset_counter()
        total, problems = read_part(client, pid, uris, concurrency=2)
    assert problems == [
        f"position 121: expected {uris[120]}, found {uris[121]}",
        f"{len(uris) - 1:,} songs instead of the planned {len(uris):,}",
    ]
    assert total == len(uris) - 1
    # Pages after the third are never asked for once it differs (at most the ones already started).
    assert emu.calls("GET", ITEMS) < math.ceil(len(uris) / 50) // 2


def test_an_entry_beyond_the_plan_is_a_difference(emulator_factory: EmulatorFactory, env_for: EnvFor) -> None:
    emu = emulator_factory(playlist_sizes=(300, 300))
    with SpotifyClient.connect(env_for(emu)) as client:
        pid, uris = _master(emu, client, 120)
        emu.edit_playlist(pid, add_uris=[uris[0]])
        total, problems = read_part(client, pid, uris)
    assert total == 121
    assert problems == [
        "position 121: an entry beyond the plan's end",
        "121 songs instead of the planned 120",
    ]
