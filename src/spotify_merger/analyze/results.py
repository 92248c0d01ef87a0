"""The analysis' results and the dry-run report built from them, as typed documents.

Each analysis result is a JSON-shaped document: notebooks turn them into DataFrames, the report
writes them verbatim to dry_run_report.json, the terminal and report.html render them. They are
`TypedDict`s, so they stay plain dicts at run time (the seed's notebook API) while mypy checks every
key the code reads. `DryRunReport` gathers them into the one report the terminal, the JSON and HTML
exports and the write preview share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from spotify_merger.analyze.model import MergeOptionsDict

# A row of the planned master as dry_run_report.json samples it: weight columns are per source.
PlannedSongRow = dict[str, str | int | float | bool | None]


# -- weights and sources -----------------------------------------------------------------------------


class SourceStats(TypedDict):
    """One source playlist: entries, songs, weights and what was left out."""

    key: str  # p1, p2, ... in the user's order
    id: str
    name: str | None
    snapshot_id: str | None
    entries: int
    usable_entries: int
    local_files: int
    unavailable: int
    episodes: int
    undated_entries: int
    songs: int
    highest_weight: int
    avg_weight: float
    songs_repeated: int
    songs_repeated_pct: float
    repeat_entries: int
    weight_distribution: dict[str, int]  # weight -> songs


class WeightedSong(TypedDict):
    """A song of one source with its weight there (the report's top-weighted lists)."""

    name: str | None
    artist: str | None
    weight: int
    share_pct: float
    first_added: str | None  # ISO timestamp
    track_ids: int
    type: str
    uri: str | None
    song_id: str


# -- overlap -----------------------------------------------------------------------------------------


class PairOverlap(TypedDict):
    a: str
    b: str
    in_both: int
    jaccard: float


class SourceCombination(TypedDict):
    sources: list[str]
    songs: int


class Overlap(TypedDict):
    """Songs shared between sources; only_p1 .. jaccard are the seed's two-playlist view."""

    sources: list[str]
    union_songs: int
    in_all: int
    in_several: int
    only: dict[str, int]
    songs_per_source: dict[str, int]
    pairwise: list[PairOverlap]
    combinations: list[SourceCombination]
    only_p1: int
    only_p2: int
    in_both: int
    jaccard: float


# -- what to look at before saying yes ---------------------------------------------------------------


class TrackCopy(TypedDict):
    """One track id of a song made of several."""

    id: str
    name: str | None
    artist: str | None
    album: str | None
    album_type: str | None
    release_date: str | None
    duration_ms: int | None
    explicit: bool | None
    isrc: str | None
    linked_from_id: str | None
    entries: int


class MergedCopy(TrackCopy):
    reason: str  # a REASON_* of analyze.model
    via_chain: bool  # matched through another copy rather than the kept one


class ReviewedSong(TypedDict):
    position: int  # in the master
    kept: TrackCopy
    merged: list[MergedCopy]


class MatchReview(TypedDict):
    """Songs merged from different track ids, each merged copy with its reason."""

    songs_with_several_ids: int
    merged_track_ids: int
    by_reason: dict[str, int]
    merged_via_chain: int
    listed: int
    songs: list[ReviewedSong]


class ExcludedEntry(TypedDict):
    source: str
    playlist_id: str
    position: int  # 0-based
    kind: str  # local | unavailable | excluded-by-rule | excluded-by-playlist
    uri: str | None
    name: str | None
    artist: str | None
    added_at: str | None


class ExcludedEntries(TypedDict):
    """Local files and unavailable entries: counted and listed, never planned."""

    local_files: int
    unavailable: int
    by_rule: int  # the user's `exclude` rules
    by_exclusions_playlist: int  # --exclude-playlist
    why: str
    entries: list[ExcludedEntry]


class RuleEffect(TypedDict):
    """One of the user's match rules and what it did in this analysis."""

    rule: str  # same | never | exclude
    tracks: list[str]  # spotify:track: URIs
    effect: str  # merged | not merged | kept apart | excluded | no source holds …
    in_sources: bool


# -- musical DNA -------------------------------------------------------------------------------------


class Durations(TypedDict):
    mean_s: float | None
    median_s: float | None
    histogram_min: dict[str, int]  # whole minutes ("10+" last) -> tracks


class TopArtist(TypedDict):
    artist: str
    count: int
    share: float


class Artists(TypedDict):
    distinct: int
    top: list[TopArtist]
    half_library_artists: int  # how many artists make up half of the tracks


class ScopeMetadata(TypedDict):
    """What the metadata says about one scope (a source, or the master)."""

    tracks: int
    episodes: int
    decades: dict[str, int]
    release_years: dict[str, int]
    median_release_year: int | None
    duration: Durations
    explicit_share: float | None
    artists: Artists
    timeline: dict[str, int]  # YYYY-MM -> entries added
    undated: int


class FeatureStats(TypedDict):
    mean: float | None
    std: float | None
    histogram: dict[str, int]


class FeatureComparison(TypedDict):
    feature: str
    means: dict[str, float | None]
    spread: float | None
    relative_spread: float | None  # the spread on the feature's own scale (0..1)


class AudioFeatures(TypedDict):
    features: dict[str, dict[str, FeatureStats]]  # feature -> scope -> stats
    coverage: dict[str, float]
    comparison: list[FeatureComparison]  # most different between sources first


class MusicalDna(TypedDict):
    mode: str  # audio-features | metadata
    reason: str
    audio_feature_coverage: float
    scopes: list[str]  # p1, p2, ..., master
    weighting: str
    metadata: dict[str, ScopeMetadata]
    audio_features: AudioFeatures | None


# -- the dry run -------------------------------------------------------------------------------------


class Before(TypedDict):
    playlist_1_entries: int
    playlist_2_entries: int
    total_entries: int
    usable_entries: int
    per_source: dict[str, int]


class After(TypedDict):
    unique_tracks: int
    planned_entries: int
    keep_weights: bool


class Impact(TypedDict):
    duplicates_removed: int
    reduction_pct: float
    excluded_local: int
    excluded_unavailable: int
    excluded_by_rules: int
    merged_track_ids: int
    songs_with_several_ids: int
    merges_by_reason: dict[str, int]


class DryRunSummary(TypedDict):
    """The seed's dry-run report (`generate_dry_run_report`), with the extended fields beside its keys."""

    before: Before
    after: After
    impact: Impact
    overlap: Overlap
    weight_stats: dict[str, float]  # highest_weight_p1, avg_weight_p1, tracks_with_duplicates_p1, ...
    sources: list[SourceStats]
    options: MergeOptionsDict
    warnings: list[str]


class PlannedPartRow(TypedDict):
    index: int
    name: str
    count: int


class PlannedMaster(TypedDict):
    """The master playlist(s) the write would create."""

    name: str
    entries: int
    songs: int
    parts: list[PlannedPartRow]
    sources: list[str]
    source_snapshots: dict[str, str | None]
    options: MergeOptionsDict


@dataclass(frozen=True)
class DryRunReport:
    """The dry run as every consumer reads it: terminal, dry_run_report.json, report.html, the write preview.

    `to_json()` is the document written to dry_run_report.json (the seed's keys first); `files`
    lists what `report.build_report` wrote.
    """

    summary: DryRunSummary
    top_weighted_by_source: dict[str, list[WeightedSong]]
    sample_deduplicated: list[PlannedSongRow]
    planned_master: PlannedMaster
    match_review: MatchReview
    excluded: ExcludedEntries
    dna: MusicalDna
    generated_at: str  # ISO timestamp, UTC
    match_rules: list[RuleEffect] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def total_entries(self) -> int:
        """Entries across the sources, before deduplication."""
        return self.summary["before"]["total_entries"]

    @property
    def duplicates_removed(self) -> int:
        return self.summary["impact"]["duplicates_removed"]

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> DryRunReport:
        """The report read back from the document `to_json` wrote (what report.html is rendered from
        in its own process)."""
        return cls(
            summary=doc["report"],
            top_weighted_by_source=doc["top_weighted_by_source"],
            sample_deduplicated=doc["sample_deduplicated"],
            planned_master=doc["planned_master"],
            match_review=doc["match_review"],
            excluded=doc["excluded"],
            dna=doc["dna"],
            generated_at=doc["generated_at"],
        )

    def to_json(self) -> dict[str, object]:
        return {
            "report": self.summary,
            "top_weighted": self.top_weighted_by_source.get("p1", []),
            "sample_deduplicated": self.sample_deduplicated,
            "generated_at": self.generated_at,
            "top_weighted_by_source": self.top_weighted_by_source,
            "planned_master": self.planned_master,
            "match_review": self.match_review,
            "excluded": self.excluded,
            "match_rules": self.match_rules,
            "dna": self.dna,
        }
