"""What a run wrote, for people and for scripts: the master playlists and `exports/run_summary.json`.

`WriteOutcome` is what `execute_plan` (and so `spotify-merger run`) returns; `RunSummary` is the
document written next to the report after every write, with the same keys release after release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from spotify_merger.spotify.models import OPEN_PLAYLIST_URL
from spotify_merger.store.files import write_json
from spotify_merger.write.journal import RunRecord
from spotify_merger.write.writer import WriteStats

RUN_SUMMARY = "run_summary.json"


class WriteStatus(StrEnum):
    """How a `run` ended."""

    WRITTEN = "written"  # the master was written (or finished) and verified now
    ALREADY_COMPLETE = "already-complete"  # this exact plan was written and verified before
    DRY_RUN = "dry-run"  # previewed only (--dry-run): nothing was sent
    VERIFY_FAILED = "verify-failed"  # the master does not match the plan (exit 12)


class Verification(StrEnum):
    """How this run proved the master matches its plan."""

    READ_BACK = "read-back"  # every song read back from Spotify now
    SNAPSHOT = "snapshot"  # unchanged since it was verified: same snapshot_id as then
    # --verify quick: every add's answer received, and each playlist's snapshot_id is still the one
    # its last add returned, so nothing else has changed it since
    LAST_ADD = "last-add-snapshot"


@dataclass(frozen=True)
class ThisRun:
    """What this run itself did: never what an earlier run did (see `run_summary.json`)."""

    created: tuple[str, ...] = ()  # playlist ids this run created
    added: int = 0  # songs this run added
    found_already_added: int = 0  # applied by an earlier attempt, confirmed by reading back
    verified: Verification | None = None  # None: this run did not prove the master matches

    @classmethod
    def of_write(cls, run: RunRecord, stats: WriteStats, verified: Verification | None) -> ThisRun:
        resumed = set(stats.resumed_parts)
        created = tuple(p.playlist_id for p in run.parts if p.playlist_id and p.part_index not in resumed)
        return cls(created, stats.added, stats.reconciled, verified)

    def to_json(self) -> dict[str, object]:
        return {
            "created": list(self.created),
            "added": self.added,
            "found_already_added": self.found_already_added,
            "verified": self.verified.value if self.verified else None,
        }


@dataclass(frozen=True)
class MasterPlaylist:
    """One playlist of the master (a part, when the plan needed several)."""

    id: str
    name: str
    tracks: int
    url: str


@dataclass
class WriteOutcome:
    status: WriteStatus
    run_id: str | None
    playlists: list[MasterPlaylist] = field(default_factory=list)
    verified: bool = False
    stats: WriteStats | None = None
    summary_path: Path | None = None


@dataclass(frozen=True)
class RunSummary:
    """`exports/run_summary.json`: the run, its playlists, its verification and the API calls it made."""

    run_id: str
    master_name: str
    outcome: WriteStatus
    playlists: list[MasterPlaylist]
    songs: int
    verified: bool  # proved by this run (this_run.verified), not remembered from an earlier one
    verified_at: datetime | None
    this_run: ThisRun
    api_calls: dict[str, int]
    sources: list[str]
    options: dict[str, object]
    generated_at: datetime

    @classmethod
    def of_run(
        cls, run: RunRecord, outcome: WriteStatus, api_calls: dict[str, int], this_run: ThisRun
    ) -> RunSummary:
        return cls(
            run_id=run.run_id,
            master_name=run.master_name,
            outcome=outcome,
            playlists=master_playlists(run),
            songs=run.song_count,
            verified=this_run.verified is not None,
            verified_at=run.verified_at,
            this_run=this_run,
            api_calls=dict(sorted(api_calls.items())),
            sources=list(run.sources),
            options=dict(run.options),
            generated_at=datetime.now(UTC),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "master_name": self.master_name,
            "outcome": self.outcome.value,
            "playlists": [
                {"id": p.id, "name": p.name, "tracks": p.tracks, "url": p.url} for p in self.playlists
            ],
            "songs": self.songs,
            "this_run": self.this_run.to_json(),
            "verified": self.verified,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
            "api_calls": self.api_calls,
            "api_calls_total": sum(self.api_calls.values()),
            "sources": self.sources,
            "options": self.options,
            "generated_at": self.generated_at.isoformat(),
        }

    def write(self, exports_dir: Path) -> Path:
        return write_json(exports_dir / RUN_SUMMARY, self.to_json())


def master_playlists(run: RunRecord) -> list[MasterPlaylist]:
    """The run's created playlists, in part order."""
    return [
        MasterPlaylist(p.playlist_id, p.name, p.planned_count, p.url or OPEN_PLAYLIST_URL + p.playlist_id)
        for p in run.parts
        if p.playlist_id
    ]
