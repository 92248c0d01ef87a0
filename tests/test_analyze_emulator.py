"""The report's counts against an independent count over the emulator's ground truth.

The library is fetched for real (HTTP against the emulator, both API profiles); the expected figures
are computed here straight from the emulator's playlists and its song identity keys, never from
the analysis code.
"""

from __future__ import annotations

from collections import Counter
from typing import TypedDict

import pytest

from fixtures import FetchedLibrary, LibraryOf
from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
from spotify_merger.store.database import Database


class SourceTruth(TypedDict):
    entries: int
    local: int
    unavailable: int
    weights: Counter[str | None]


def truth(lib: FetchedLibrary) -> list[SourceTruth]:
    """Per source: entries, local, unavailable, and a Counter of song keys (the weights)."""
    out: list[SourceTruth] = []
    for pid in lib.sources:
        uris = lib.uris[pid]
        local = sum(1 for u in uris if u and u.startswith("spotify:local:"))
        unavailable = sum(1 for u in uris if not u)
        weights = Counter(lib.song_keys[u] for u in uris if u and not u.startswith("spotify:local:"))
        out.append({"entries": len(uris), "local": local, "unavailable": unavailable, "weights": weights})
    return out


@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_report_counts_match_the_ground_truth(fetched_library: LibraryOf, profile: str) -> None:
    lib = fetched_library(profile)
    t1, t2 = truth(lib)
    songs1, songs2 = set(t1["weights"]), set(t2["weights"])
    with Database(lib.db_path, read_only=True) as db:
        an = SpotifyAnalyzer(db, lib.sources)
        r = an.generate_dry_run_report()
        plan = an.plan()
        dedup = an.get_deduplicated_tracks()

    assert r["before"]["playlist_1_entries"] == t1["entries"]
    assert r["before"]["playlist_2_entries"] == t2["entries"]
    assert r["before"]["total_entries"] == t1["entries"] + t2["entries"]
    assert r["after"]["unique_tracks"] == len(songs1 | songs2)
    assert r["overlap"]["only_p1"] == len(songs1 - songs2)
    assert r["overlap"]["only_p2"] == len(songs2 - songs1)
    assert r["overlap"]["in_both"] == len(songs1 & songs2)
    assert r["overlap"]["jaccard"] == pytest.approx(len(songs1 & songs2) / len(songs1 | songs2), abs=1e-4)
    assert r["impact"]["excluded_local"] == t1["local"] + t2["local"]
    assert r["impact"]["excluded_unavailable"] == t1["unavailable"] + t2["unavailable"]
    usable = sum(t1["weights"].values()) + sum(t2["weights"].values())
    assert r["impact"]["duplicates_removed"] == usable - len(songs1 | songs2)
    for n, t in ((1, t1), (2, t2)):
        weights = t["weights"].values()
        assert r["weight_stats"][f"highest_weight_p{n}"] == max(weights)
        assert r["weight_stats"][f"avg_weight_p{n}"] == round(sum(weights) / len(weights), 2)
        assert r["weight_stats"][f"tracks_with_duplicates_p{n}"] == sum(1 for w in weights if w > 1)

    # The plan holds each true song exactly once, and every row's weights are the true weights.
    kept_keys = [lib.song_keys[u] for u in plan.uris]
    assert len(kept_keys) == len(set(kept_keys)) == len(songs1 | songs2)
    assert plan.song_count == len(songs1 | songs2)
    for row in dedup.itertuples():
        key = lib.song_keys[row.uri]
        assert (row.weight_p1, row.weight_p2) == (t1["weights"][key], t2["weights"][key])
    assert r["impact"]["songs_with_several_ids"] >= 1  # the seeded library has same-song copies


def test_keep_weights_plan_matches_the_heaviest_source(fetched_library: LibraryOf) -> None:
    lib = fetched_library("dev-2026")
    t1, t2 = truth(lib)
    with Database(lib.db_path, read_only=True) as db:
        plan = SpotifyAnalyzer(db, lib.sources, MergeOptions(keep_weights=True)).plan()
    expected = Counter(
        {k: max(t1["weights"][k], t2["weights"][k]) for k in set(t1["weights"]) | set(t2["weights"])}
    )
    assert Counter(lib.song_keys[u] for u in plan.uris) == expected


def test_dev_profile_dna_uses_metadata_and_says_why(fetched_library: LibraryOf) -> None:
    lib = fetched_library("dev-2026")
    with Database(lib.db_path, read_only=True) as db:
        dna = SpotifyAnalyzer(db, lib.sources).musical_dna()
    assert dna["mode"] == "metadata"
    assert "Development Mode" in dna["reason"]
    assert sum(dna["metadata"]["p1"]["decades"].values()) == dna["metadata"]["p1"]["tracks"]
    assert dna["metadata"]["p1"]["timeline"]


def test_extended_profile_dna_uses_audio_features(fetched_library: LibraryOf) -> None:
    lib = fetched_library("extended")
    with Database(lib.db_path, read_only=True) as db:
        dna = SpotifyAnalyzer(db, lib.sources).musical_dna()
    assert dna["mode"] == "audio-features"
    assert dna["audio_feature_coverage"] > 0.9
    features = dna["audio_features"]
    assert features is not None
    energy = features["features"]["energy"]
    mean = energy["p1"]["mean"]
    assert mean is not None and 0 < mean < 1
    assert sum(energy["p1"]["histogram"].values()) > 0
