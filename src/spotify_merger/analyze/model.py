"""The analysis' inputs and outputs that other modules hold on to: merge options and the merge plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

from spotify_merger.display import quote
from spotify_merger.errors import UsageError

Match = Literal["smart", "isrc", "id"]
Keep = Literal["most-weighted", "earliest-added", "newest-release", "oldest-release"]
Order = Literal["first-added", "weight", "source"]

MATCH_CHOICES: tuple[Match, ...] = ("smart", "isrc", "id")
KEEP_CHOICES: tuple[Keep, ...] = ("most-weighted", "earliest-added", "newest-release", "oldest-release")
ORDER_CHOICES: tuple[Order, ...] = ("first-added", "weight", "source")

# MergeOptions as stored in the journal and written to the reports.
MergeOptionsDict = dict[str, str | bool]

_Choice = TypeVar("_Choice", bound=str)

# The reasons a track can be merged into another, strongest first. Rule 0 is the user's `same` rule.
REASON_SAME_ID = "same-id"
REASON_USER_SAME = "user-rule-same"
REASON_RELINKED = "relinked"
REASON_SAME_ISRC = "same-isrc"
REASON_TITLE_ARTIST_DURATION = "same-title-artist-duration"
RULE_REASONS = {0: REASON_USER_SAME, 1: REASON_RELINKED, 2: REASON_SAME_ISRC, 3: REASON_TITLE_ARTIST_DURATION}
MERGE_REASONS = (REASON_SAME_ID, *RULE_REASONS.values())

# Why a playable track stays out of the master: the user's `exclude` rule or --exclude-playlist.
EXCLUDED_BY_RULE = "excluded-by-rule"
EXCLUDED_BY_PLAYLIST = "excluded-by-playlist"

# Rule 3 links two durations when they differ by at most this much.
DURATION_TOLERANCE_MS = 2_000


@dataclass(frozen=True)
class MergeOptions:
    """How far matching goes, which copy of a song is kept, and the master's order."""

    match: Match = "smart"
    keep: Keep = "most-weighted"
    order: Order = "first-added"
    keep_weights: bool = False

    def __post_init__(self) -> None:
        # Literal types are not checked at run time: Python callers may pass any string.
        _choice("--match", self.match, MATCH_CHOICES)
        _choice("--keep", self.keep, KEEP_CHOICES)
        _choice("--order", self.order, ORDER_CHOICES)

    @classmethod
    def parse(
        cls,
        *,
        match: str = "smart",
        keep: str = "most-weighted",
        order: str = "first-added",
        keep_weights: bool = False,
    ) -> MergeOptions:
        """Options from what the user typed (--match, --keep, --order); UsageError naming the choices."""
        return cls(
            match=_choice("--match", match, MATCH_CHOICES),
            keep=_choice("--keep", keep, KEEP_CHOICES),
            order=_choice("--order", order, ORDER_CHOICES),
            keep_weights=keep_weights,
        )

    @property
    def max_rule(self) -> int:
        """Rules 1..max_rule are applied: id → 1, isrc → 2, smart → 3."""
        return {"id": 1, "isrc": 2, "smart": 3}[self.match]

    def to_dict(self) -> MergeOptionsDict:
        return {
            "match": self.match,
            "keep": self.keep,
            "order": self.order,
            "keep_weights": self.keep_weights,
        }


@dataclass(frozen=True)
class MergePlan:
    """What the write step adds: the ordered URIs (repeats only with keep_weights) and where they came from.

    `source_snapshots` holds each source's snapshot_id at fetch time, so the writer can notice a
    source that changed after the report and refuse a stale plan.
    """

    uris: list[str]
    sources: list[str]
    source_snapshots: dict[str, str | None]
    options: MergeOptions
    excluded_local: int
    excluded_unavailable: int
    song_count: int

    def __len__(self) -> int:
        return len(self.uris)

    @classmethod
    def of_uris(cls, uris: list[str], sources: list[str], snapshots: dict[str, str | None]) -> MergePlan:
        """A plan that adds exactly `uris`, matched by id: for tests and benchmarks of the write."""
        return cls(
            uris=list(uris),
            sources=list(sources),
            source_snapshots=dict(snapshots),
            options=MergeOptions(match="id"),
            excluded_local=0,
            excluded_unavailable=0,
            song_count=len(uris),
        )


def _choice(label: str, value: str, choices: tuple[_Choice, ...]) -> _Choice:
    for choice in choices:
        if value == choice:
            return choice
    raise UsageError(
        f"{label} {quote(value)} is not one of {', '.join(choices)}",
        f"use {label} {choices[0]} (the default) or another listed value",
    )
