"""The durable write journal: what a run will write, what it sent, and what the server confirmed.

The plan (ordered URIs of every part) is frozen in one transaction before the first write. Each
playlist creation is recorded as *intended* before the request and *created* after; each add batch
(at most 100 URIs) likewise as *intended* then *done* with its snapshot_id. Every step is its own
transaction, so after a crash the journal tells exactly which single request may be in doubt, and
the writer settles that doubt by reading the playlist back instead of guessing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import duckdb

from spotify_merger.analyze.model import MergeOptionsDict
from spotify_merger.store.database import Database, utc_now

MAX_BATCH = 100  # Spotify accepts at most 100 URIs per add


class RunStatus(StrEnum):
    """Where a run stands; stored as its value in `write_runs.status`."""

    PLANNED = "planned"  # the plan is frozen; nothing sent yet
    WRITING = "writing"  # a create or add was sent
    WRITTEN = "written"  # every add confirmed; not verified yet
    VERIFIED = "verified"  # read back and equal to the plan
    ABANDONED = "abandoned"  # set aside for a newer plan or a new master
    UNDONE = "undone"  # its playlists were removed from the library


class RunKind(StrEnum):
    """What a journalled write is; stored in `write_runs.kind`. A master's writes share its master_id."""

    RUN = "run"  # `run`: created the master's parts (its run_id is the master_id)
    SYNC = "sync"  # `sync`: appended to and pruned the parts, maybe created new ones
    ADOPT = "adopt"  # `sync --master`: recorded playlists the tool did not make as a master


class PartState(StrEnum):
    """A part's playlist: `intended` is recorded before the create request, `created` after."""

    PLANNED = "planned"
    INTENDED = "intended"
    CREATED = "created"


class BatchState(StrEnum):
    """An add batch: `intended` is recorded before the request, `done` once the server confirmed it."""

    INTENDED = "intended"
    DONE = "done"


UNFINISHED = (RunStatus.PLANNED, RunStatus.WRITING, RunStatus.WRITTEN)
# Runs that may have left playlists on Spotify (what verify and undo look at).
SENT = (RunStatus.WRITING, RunStatus.WRITTEN, RunStatus.VERIFIED)


def plan_hash(sources: Sequence[str], options: MergeOptionsDict, parts: Sequence[Sequence[str]]) -> str:
    """Identity of a plan: same sources, options and ordered URIs per part give the same hash.

    The master's name is left out on purpose: the default name carries today's date, and a run
    resumed tomorrow must still be recognised as the same plan.
    """
    h = hashlib.sha256()
    h.update(json.dumps({"sources": list(sources), "options": options}, sort_keys=True).encode())
    for uris in parts:
        h.update(b"\x00part\x00")
        h.update("\n".join(uris).encode())
    return h.hexdigest()


@dataclass
class PartRecord:
    run_id: str
    part_index: int
    name: str
    planned_count: int
    state: PartState
    playlist_id: str | None
    url: str | None
    created_snapshot: str | None
    base_count: int = 0  # entries the playlist held before this write (a sync appends after them)


@dataclass
class BatchRecord:
    part_index: int
    batch_index: int
    start_position: int
    count: int
    state: BatchState
    snapshot_id: str | None

    @property
    def end(self) -> int:
        return self.start_position + self.count


@dataclass
class RunRecord:
    run_id: str
    created_at: datetime
    master_name: str
    marker: str
    sources: list[str]
    source_snapshots: dict[str, str | None]
    options: dict[str, Any]  # the merge options, and the matching rules when any (`rules.recorded`)
    plan_hash: str
    song_count: int
    status: RunStatus
    verified_at: datetime | None = None
    parts: list[PartRecord] = field(default_factory=list)
    part_cap: int | None = None  # entries per part when not Spotify's 10,000 (a test knob)

    @property
    def playlist_ids(self) -> list[str]:
        return [p.playlist_id for p in self.parts if p.playlist_id]

    @property
    def touched_spotify(self) -> bool:
        """Whether a create was sent for any part (so a playlist may exist on Spotify)."""
        return any(p.state in (PartState.INTENDED, PartState.CREATED) for p in self.parts)


class Journal:
    """Reads and writes the `write_*` tables; every mutating method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- runs -----------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        master_name: str,
        sources: Sequence[str],
        source_snapshots: dict[str, str | None],
        options: MergeOptionsDict,
        parts: Sequence[tuple[str, Sequence[str]]],
        part_cap: int | None = None,
        recorded_options: dict[str, Any] | None = None,
    ) -> RunRecord:
        """Freeze a plan: the run, its parts and every planned URI, all or nothing.

        The plan's identity is its sources, `options` and URIs; `recorded_options` (the options plus
        the matching rules, see `rules.recorded`) is what the run keeps as its options, if given."""
        run_id = uuid.uuid4().hex
        digest = plan_hash(sources, options, [uris for _, uris in parts])
        now = utc_now()
        song_count = sum(len(uris) for _, uris in parts)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO write_runs (run_id, created_at, master_name, marker, sources, source_snapshots,"
                " options, plan_hash, song_count, status, updated_at, part_cap)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    now,
                    master_name,
                    f"spotify-merger run {run_id[:12]}",
                    json.dumps(list(sources)),
                    json.dumps(source_snapshots, sort_keys=True),
                    json.dumps(recorded_options or options, sort_keys=True),
                    digest,
                    song_count,
                    RunStatus.PLANNED,
                    now,
                    part_cap,
                ],
            )
            for index, (name, uris) in enumerate(parts, start=1):
                conn.execute(
                    "INSERT INTO write_parts (run_id, part_index, name, planned_count, state)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [run_id, index, name, len(uris), PartState.PLANNED],
                )
                if uris:
                    # One statement per part: 10,000 parameterised INSERTs would take seconds.
                    conn.execute(
                        "INSERT INTO write_plan"
                        " SELECT ?, ?, i - 1, (?::VARCHAR[])[i] FROM range(1, ? + 1) r(i)",
                        [run_id, index, list(uris), len(uris)],
                    )
        run = self.get_run(run_id)
        assert run is not None
        return run

    def get_run(self, run_id: str) -> RunRecord | None:
        row = self.db.fetchone(
            "SELECT run_id, created_at, master_name, marker, sources, source_snapshots, options, plan_hash,"
            " song_count, status, verified_at, part_cap FROM write_runs WHERE run_id = ?",
            [run_id],
        )
        if row is None:
            return None
        run = RunRecord(
            run_id=row[0],
            created_at=row[1],
            master_name=row[2],
            marker=row[3],
            sources=json.loads(row[4]),
            source_snapshots=json.loads(row[5]),
            options=json.loads(row[6]),
            plan_hash=row[7],
            song_count=row[8],
            status=RunStatus(row[9]),
            verified_at=row[10],
            part_cap=row[11],
        )
        run.parts = self.parts(run_id)
        return run

    def latest_run(
        self,
        *,
        statuses: Sequence[RunStatus] | None = None,
        plan_hash: str | None = None,
        master_name: str | None = None,
        kinds: Sequence[RunKind] = (RunKind.RUN,),
    ) -> RunRecord | None:
        """The most recent run, optionally restricted to some statuses, one plan and/or one name.

        `kinds`: which writes count; `run` (the default) leaves out the writes of `sync`."""
        runs = self.runs(
            statuses=statuses, plan_hash=plan_hash, master_name=master_name, kinds=kinds, limit=1
        )
        return runs[0] if runs else None

    def runs(
        self,
        *,
        statuses: Sequence[RunStatus] | None = None,
        plan_hash: str | None = None,
        master_name: str | None = None,
        kinds: Sequence[RunKind] | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Writes, newest first, optionally restricted to some statuses, one plan, one name and/or
        some kinds (all kinds by default: a sync's new part is a playlist this tool made too)."""
        sql = "SELECT run_id FROM write_runs WHERE TRUE"
        params: list[Any] = []
        if kinds is not None:
            sql += f" AND coalesce(kind, 'run') IN ({', '.join('?' for _ in kinds)})"
            params.extend(kinds)
        if statuses:
            sql += f" AND status IN ({', '.join('?' for _ in statuses)})"
            params.extend(statuses)
        if plan_hash is not None:
            sql += " AND plan_hash = ?"
            params.append(plan_hash)
        if master_name is not None:
            sql += " AND master_name = ?"
            params.append(master_name)
        sql += " ORDER BY created_at DESC, run_id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [run for row in self.db.fetchall(sql, params) if (run := self.get_run(row[0])) is not None]

    def lineage_playlists(self, master_id: str) -> list[tuple[str, str]]:
        """(playlist id, name) of every part a master's writes made or adopted, in the order they came:
        the run's parts, then those its syncs added."""
        rows = self.db.fetchall(
            "SELECT p.playlist_id, p.name FROM write_parts p JOIN write_runs r USING (run_id)"
            " WHERE coalesce(r.master_id, r.run_id) = ? AND p.playlist_id IS NOT NULL"
            " AND r.status <> ? ORDER BY r.created_at, r.run_id, p.part_index",
            [master_id, RunStatus.UNDONE],
        )
        seen: dict[str, str] = {}
        for playlist_id, name in rows:
            seen.setdefault(str(playlist_id), str(name))
        return list(seen.items())

    def set_lineage_status(self, master_id: str, status: RunStatus) -> None:
        """Set every write of a master (its run and its syncs) to `status`, as undo does."""
        status = RunStatus(status)
        now = utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE write_runs SET status = ?, updated_at = ?, undone_at = ? WHERE coalesce(master_id, run_id) = ?",
                [status, now, now if status == RunStatus.UNDONE else None, master_id],
            )

    def set_status(self, run_id: str, status: RunStatus) -> None:
        status = RunStatus(status)
        now = utc_now()
        extra = {RunStatus.VERIFIED: ", verified_at = ?", RunStatus.UNDONE: ", undone_at = ?"}.get(status, "")
        params: list[Any] = [status, now] + ([now] if extra else []) + [run_id]
        with self.db.transaction() as conn:
            conn.execute(f"UPDATE write_runs SET status = ?, updated_at = ?{extra} WHERE run_id = ?", params)

    # -- parts ----------------------------------------------------------------------------------

    def parts(self, run_id: str) -> list[PartRecord]:
        rows = self.db.fetchall(
            "SELECT run_id, part_index, name, planned_count, state, playlist_id, url, created_snapshot,"
            " coalesce(base_count, 0) FROM write_parts WHERE run_id = ? ORDER BY part_index",
            [run_id],
        )
        return [
            PartRecord(run_id, index, name, count, PartState(state), playlist_id, url, snapshot, base)
            for run_id, index, name, count, state, playlist_id, url, snapshot, base in rows
        ]

    def part(self, run_id: str, part_index: int) -> PartRecord:
        for part in self.parts(run_id):
            if part.part_index == part_index:
                return part
        raise KeyError((run_id, part_index))

    def plan_uris(self, run_id: str, part_index: int, start: int = 0, end: int | None = None) -> list[str]:
        sql = "SELECT uri FROM write_plan WHERE run_id = ? AND part_index = ? AND position >= ?"
        params: list[Any] = [run_id, part_index, start]
        if end is not None:
            sql += " AND position < ?"
            params.append(end)
        return [r[0] for r in self.db.fetchall(sql + " ORDER BY position", params)]

    def mark_part_intended(self, run_id: str, part_index: int) -> None:
        """Recorded BEFORE the create request: on resume it means "a playlist may exist; look first"."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE write_parts SET state = ?, intended_at = ? WHERE run_id = ? AND part_index = ?",
                [PartState.INTENDED, utc_now(), run_id, part_index],
            )
            conn.execute(
                "UPDATE write_runs SET status = ?, updated_at = ? WHERE run_id = ? AND status = ?",
                [RunStatus.WRITING, utc_now(), run_id, RunStatus.PLANNED],
            )

    def mark_part_created(
        self, run_id: str, part_index: int, playlist_id: str, url: str | None, snapshot_id: str | None
    ) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE write_parts SET state = ?, playlist_id = ?, url = ?, created_snapshot = ?,"
                " created_at = ? WHERE run_id = ? AND part_index = ?",
                [PartState.CREATED, playlist_id, url, snapshot_id, utc_now(), run_id, part_index],
            )

    # -- batches --------------------------------------------------------------------------------

    def batches(self, run_id: str, part_index: int) -> list[BatchRecord]:
        rows = self.db.fetchall(
            "SELECT part_index, batch_index, start_position, count, state, snapshot_id FROM write_batches"
            " WHERE run_id = ? AND part_index = ? ORDER BY batch_index",
            [run_id, part_index],
        )
        return [
            BatchRecord(part, index, start, count, BatchState(state), snapshot)
            for part, index, start, count, state, snapshot in rows
        ]

    def confirmed_count(self, run_id: str, part_index: int) -> int:
        """How many leading songs of the part the journal knows are on the server."""
        done = 0
        for batch in self.batches(run_id, part_index):
            if batch.state is BatchState.DONE and batch.start_position == done:
                done = batch.end
        return done

    def last_snapshot(self, run_id: str, part_index: int) -> str | None:
        snapshot = self.part(run_id, part_index).created_snapshot
        for batch in self.batches(run_id, part_index):
            if batch.state is BatchState.DONE and batch.snapshot_id:
                snapshot = batch.snapshot_id
        return snapshot

    def pending_batch(self, run_id: str, part_index: int) -> BatchRecord | None:
        """The batch that was sent (or about to be) without a recorded answer, if any."""
        pending = [b for b in self.batches(run_id, part_index) if b.state is BatchState.INTENDED]
        return pending[-1] if pending else None

    def intend_batch(self, run_id: str, part_index: int, start: int, count: int) -> BatchRecord:
        """Recorded BEFORE the add request is sent."""
        _check_batch_size(count)
        with self.db.transaction() as conn:
            batch_index = _settle_doubt(conn, run_id, part_index)
            conn.execute(
                "INSERT INTO write_batches (run_id, part_index, batch_index, start_position, count, state,"
                " intended_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run_id, part_index, batch_index, start, count, BatchState.INTENDED, utc_now()],
            )
        return BatchRecord(part_index, batch_index, start, count, BatchState.INTENDED, None)

    def complete_batch(
        self,
        run_id: str,
        part_index: int,
        batch_index: int,
        snapshot_id: str | None,
        *,
        then: tuple[int, int] | None = None,
    ) -> BatchRecord | None:
        """Recorded AFTER the server confirmed the add (or a read-back proved it applied).

        `then=(start, count)` also records the part's next batch as intended, in the same
        transaction: a part's adds are strictly sequential, so "done, and the next one is about to
        be sent" is one step, and one commit per batch instead of two on the part's critical path.
        """
        now = utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE write_batches SET state = ?, snapshot_id = ?, done_at = ?"
                " WHERE run_id = ? AND part_index = ? AND batch_index = ?",
                [BatchState.DONE, snapshot_id, now, run_id, part_index, batch_index],
            )
            if then is None:
                return None
            start, count = then
            _check_batch_size(count)
            conn.execute(
                "INSERT INTO write_batches (run_id, part_index, batch_index, start_position, count, state,"
                " intended_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run_id, part_index, batch_index + 1, start, count, BatchState.INTENDED, now],
            )
        return BatchRecord(part_index, batch_index + 1, start, count, BatchState.INTENDED, None)

    def record_reconciled(
        self, run_id: str, part_index: int, start: int, count: int, snapshot_id: str | None
    ) -> None:
        """Record songs [start, start+count) as on the server, found by reading the playlist back.

        Replaces any batch left in doubt; the range is stored as done batches of at most 100 so the
        journal keeps its one invariant: done batches tile the part's prefix, in order.
        """
        now = utc_now()
        with self.db.transaction() as conn:
            batch_index = _settle_doubt(conn, run_id, part_index)
            for offset in range(start, start + count, MAX_BATCH):
                n = min(MAX_BATCH, start + count - offset)
                last_snapshot = snapshot_id if offset + n == start + count else None
                conn.execute(
                    "INSERT INTO write_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, part_index, batch_index, offset, n, BatchState.DONE, last_snapshot, now, now],
                )
                batch_index += 1

    def discard_batches(self, run_id: str, part_index: int) -> None:
        """Forget a part's batches (its playlist turned out empty or replaced): the server is the truth."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM write_batches WHERE run_id = ? AND part_index = ?", [run_id, part_index]
            )


def _check_batch_size(count: int) -> None:
    if not 0 < count <= MAX_BATCH:
        raise ValueError(f"a batch holds 1..{MAX_BATCH} songs, not {count}")


def _settle_doubt(conn: duckdb.DuckDBPyConnection, run_id: str, part_index: int) -> int:
    """Drop the part's batch left intended and return the next batch index.

    A batch left intended is settled (done, or proven not applied) before a new one is recorded;
    reusing its row keeps one row per request actually in doubt.
    """
    conn.execute(
        "DELETE FROM write_batches WHERE run_id = ? AND part_index = ? AND state = ?",
        [run_id, part_index, BatchState.INTENDED],
    )
    row = conn.execute(
        "SELECT coalesce(max(batch_index), -1) + 1 FROM write_batches WHERE run_id = ? AND part_index = ?",
        [run_id, part_index],
    ).fetchone()
    return int(row[0]) if row else 0
