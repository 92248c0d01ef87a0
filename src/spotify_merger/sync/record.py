"""Masters in the write journal: which playlists form one, what the tool added to each, and the
journalled steps of a sync.

A master is a lineage of writes sharing a `master_id`: the `run` that created it (its run_id is
the master_id) or the adoption of a playlist the tool never made, then every sync. Each sync is
a journalled write of kind "sync": its appends are an ordinary plan (`write_plan`, positions
counted after the part's `base_count`) written by `MasterWriter`, and its removals are steps in
`write_removals` (delete URIs, then put back the copies that stay), each recorded as intended
before the request and done after it. Nothing about a master is stored twice: its parts and its
ledger (copies of each URI the tool added and has not removed itself) are derived from these rows.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from spotify_merger.spotify.models import OPEN_PLAYLIST_URL, PlaylistInfo
from spotify_merger.store.database import utc_now
from spotify_merger.sync.delta import Delta
from spotify_merger.sync.steps import RemovalStep, carried_rows, delta_hash, step_of, step_rows
from spotify_merger.write.journal import Journal, PartState, RunKind, RunRecord, RunStatus


@dataclass
class MasterPart:
    index: int  # 1-based, in the order the parts were made
    playlist_id: str
    name: str


@dataclass
class Master:
    master_id: str  # "" for playlists being adopted, until the adoption is recorded
    base_name: str
    kind: RunKind  # how it began: run | adopt
    owner_id: str | None
    sources: list[str]  # of its latest run or sync: what a sync uses unless told otherwise
    options: dict[str, Any]  # as recorded (`rules.recorded`): merge options and matching rules
    parts: list[MasterPart] = field(default_factory=list)
    part_cap: int | None = None  # entries per part when not Spotify's 10,000 (a test knob)

    @property
    def playlist_ids(self) -> list[str]:
        return [p.playlist_id for p in self.parts]


@dataclass
class Written:
    added: int = 0
    pruned: int = 0
    new_parts: list[str] = field(default_factory=list)


class SyncJournal(Journal):
    """The journal, with what sync needs: masters, their ledgers, sync runs and removal steps."""

    # -- masters ------------------------------------------------------------------------------------

    def latest_master(self) -> Master | None:
        """The master of the most recent verified run, adoption or sync (not undone)."""
        row = self.db.fetchone(
            "SELECT coalesce(r.master_id, r.run_id) AS m FROM write_runs r"
            " WHERE r.status IN ('written', 'verified') AND coalesce(r.kind, 'run') IN ('run', 'adopt', 'sync')"
            " AND coalesce(r.master_id, r.run_id) IN (SELECT coalesce(master_id, run_id) FROM write_runs"
            "   WHERE coalesce(kind, 'run') IN ('run', 'adopt') AND status = 'verified')"
            " ORDER BY r.created_at DESC, r.run_id LIMIT 1"
        )
        return None if row is None else self.master(str(row[0]))

    def synced_master_last(self) -> str | None:
        """The master whose sync (or adoption) is the data dir's most recent write, if that is one."""
        row = self.db.fetchone(
            "SELECT coalesce(kind, 'run'), coalesce(master_id, run_id) FROM write_runs"
            " WHERE status IN ('writing', 'written', 'verified') ORDER BY created_at DESC, run_id LIMIT 1"
        )
        return str(row[1]) if row is not None and row[0] in (RunKind.SYNC, RunKind.ADOPT) else None

    def master_of(self, playlist_id: str) -> str | None:
        """The master a playlist is a part of, if any (an undone master is no longer one)."""
        row = self.db.fetchone(
            "SELECT coalesce(r.master_id, r.run_id) FROM write_parts p JOIN write_runs r USING (run_id)"
            " WHERE p.playlist_id = ? AND r.status IN ('planned', 'writing', 'written', 'verified')"
            " AND coalesce(r.master_id, r.run_id) NOT IN (SELECT coalesce(master_id, run_id) FROM write_runs"
            "   WHERE status = 'undone') ORDER BY r.created_at LIMIT 1",
            [playlist_id],
        )
        return None if row is None else str(row[0])

    def master(self, master_id: str) -> Master:
        origin = self.db.fetchone(
            "SELECT master_name, coalesce(kind, 'run'), owner_id FROM write_runs WHERE run_id = ?",
            [master_id],
        )
        if origin is None:
            raise KeyError(master_id)
        latest = self.db.fetchone(
            "SELECT sources, options, part_cap FROM write_runs WHERE coalesce(master_id, run_id) = ?"
            " AND status IN ('written', 'verified') ORDER BY created_at DESC, run_id LIMIT 1",
            [master_id],
        )
        sources, options, cap = (
            (json.loads(latest[0]), json.loads(latest[1]), latest[2]) if latest else ([], {}, None)
        )
        master = Master(
            master_id, str(origin[0]), RunKind(origin[1]), origin[2], sources, options, part_cap=cap
        )
        master.parts = self.master_parts(master_id)
        return master

    def master_parts(self, master_id: str) -> list[MasterPart]:
        """Every playlist a write of this master created or adopted, in the order they came."""
        return [
            MasterPart(i, pid, name)
            for i, (pid, name) in enumerate(self.lineage_playlists(master_id), start=1)
        ]

    def ledger(self, master_id: str) -> dict[str, Counter[str]]:
        """Per part (playlist id): copies of each URI the tool added there and has not removed itself."""
        out: dict[str, Counter[str]] = {}
        added = self.db.fetchall(
            "SELECT p.playlist_id, w.uri, count(*) FROM write_plan w"
            " JOIN write_parts p ON p.run_id = w.run_id AND p.part_index = w.part_index"
            " JOIN write_runs r ON r.run_id = w.run_id"
            " JOIN write_batches b ON b.run_id = w.run_id AND b.part_index = w.part_index AND b.state = 'done'"
            "  AND w.position >= b.start_position AND w.position < b.start_position + b.count"
            " WHERE coalesce(r.master_id, r.run_id) = ? AND p.playlist_id IS NOT NULL"
            " GROUP BY p.playlist_id, w.uri",
            [master_id],
        )
        for playlist_id, uri, n in added:
            out.setdefault(str(playlist_id), Counter())[str(uri)] += int(n)
        removed = self.db.fetchall(
            "SELECT p.playlist_id, x.tool_copies FROM write_removals x"
            " JOIN write_parts p ON p.run_id = x.run_id AND p.part_index = x.part_index"
            " JOIN write_runs r ON r.run_id = x.run_id"
            " WHERE coalesce(r.master_id, r.run_id) = ? AND x.op = 'delete' AND x.state = 'done'",
            [master_id],
        )
        for playlist_id, copies in removed:
            led = out.setdefault(str(playlist_id), Counter())
            for uri, n in json.loads(copies or "{}").items():
                led[uri] -= int(n)
        for led in out.values():
            for uri in [u for u, n in led.items() if n <= 0]:
                del led[uri]
        return out

    def adopt(
        self,
        playlists: Sequence[PlaylistInfo],
        *,
        base_name: str,
        owner_id: str | None,
        sources: Sequence[str],
        options: dict[str, Any],
        part_cap: int | None = None,
    ) -> Master:
        """Record playlists the tool never made as a master: everything in them counts as added by hand."""
        run_id = uuid.uuid4().hex
        now = utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO write_runs (run_id, created_at, master_name, marker, sources, source_snapshots,"
                " options, plan_hash, song_count, status, updated_at, verified_at, kind, master_id, owner_id,"
                " part_cap) VALUES (?, ?, ?, ?, ?, '{}', ?, '', 0, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id, now, base_name, f"spotify-merger adopt {run_id[:12]}", json.dumps(list(sources)),
                    json.dumps(options, sort_keys=True), RunStatus.VERIFIED, now, now, RunKind.ADOPT, run_id,
                    owner_id, part_cap,
                ],
            )  # fmt: skip
            for index, p in enumerate(playlists, start=1):
                conn.execute(
                    "INSERT INTO write_parts (run_id, part_index, name, planned_count, state, playlist_id, url,"
                    " created_snapshot, created_at, base_count) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                    [
                        run_id, index, p.name or p.id, PartState.CREATED, p.id, p.url or OPEN_PLAYLIST_URL + p.id,
                        p.snapshot_id, now, p.total or 0,
                    ],
                )  # fmt: skip
        return self.master(run_id)

    # -- one sync -----------------------------------------------------------------------------------

    def create_sync(
        self,
        master: Master,
        delta: Delta,
        *,
        sources: Sequence[str],
        source_snapshots: dict[str, str | None],
        options: dict[str, Any],
        snapshots: dict[str, str | None],
        owed: dict[int, list[RemovalStep]] | None = None,
        supersedes: Sequence[str] = (),
        part_cap: int | None = None,
    ) -> RunRecord:
        """Freeze one sync, all or nothing: its parts, the URIs to append and the removal steps.

        `snapshots`: each existing part's snapshot_id as read (the removals name it). `owed`: restore
        steps an interrupted sync left undone, to run first on their part. `supersedes`: the
        interrupted syncs, set aside in the same transaction (what they did stays in the ledger).
        """
        run_id = uuid.uuid4().hex
        now = utc_now()
        owed = owed or {}
        with self.db.transaction() as conn:
            for old in supersedes:
                conn.execute(
                    "UPDATE write_runs SET status = 'abandoned', updated_at = ? WHERE run_id = ?", [now, old]
                )
            conn.execute(
                "INSERT INTO write_runs (run_id, created_at, master_name, marker, sources, source_snapshots,"
                " options, plan_hash, song_count, status, updated_at, kind, master_id, owner_id, part_cap)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id, now, master.base_name, f"spotify-merger sync {run_id[:12]}",
                    json.dumps(list(sources)), json.dumps(source_snapshots, sort_keys=True),
                    json.dumps(options, sort_keys=True), delta_hash(master.master_id, delta), delta.added,
                    RunStatus.PLANNED, now, RunKind.SYNC, master.master_id, master.owner_id, part_cap,
                ],
            )  # fmt: skip
            for p in delta.parts:
                steps = owed.get(p.index, [])
                if not (p.appends or p.removals or steps):
                    continue
                if p.is_new:
                    conn.execute(
                        "INSERT INTO write_parts (run_id, part_index, name, planned_count, state, base_count)"
                        " VALUES (?, ?, ?, ?, 'planned', 0)",
                        [run_id, p.index, p.name, len(p.appends)],
                    )
                else:
                    conn.execute(
                        "INSERT INTO write_parts (run_id, part_index, name, planned_count, state, playlist_id,"
                        " created_snapshot, created_at, base_count) VALUES (?, ?, ?, ?, 'created', ?, ?, ?, ?)",
                        [
                            run_id, p.index, p.name, len(p.appends), p.playlist_id,
                            snapshots.get(p.playlist_id or ""), now, len(p.after_removals),
                        ],
                    )  # fmt: skip
                if p.appends:
                    conn.execute(
                        "INSERT INTO write_plan SELECT ?, ?, i - 1, (?::VARCHAR[])[i] FROM range(1, ? + 1) r(i)",
                        [run_id, p.index, list(p.appends), len(p.appends)],
                    )
                for op_index, row in enumerate([*carried_rows(steps), *step_rows(p)]):
                    anchor_uri, anchor_nth = row.get("anchor", (None, 0))
                    conn.execute(
                        "INSERT INTO write_removals (run_id, part_index, op_index, op, uris, position,"
                        " tool_copies, occurrences, expected_before, state, updated_at, anchor_uri, anchor_nth)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?)",
                        [
                            run_id, p.index, op_index, row["op"], json.dumps(row["uris"]), row.get("position"),
                            json.dumps(row.get("tool_copies") or {}), json.dumps(row.get("occurrences") or {}),
                            row["expected_before"], now, anchor_uri, anchor_nth,
                        ],
                    )  # fmt: skip
        run = self.get_run(run_id)
        assert run is not None
        return run

    def written_by(self, run_ids: Sequence[str]) -> Written:
        """What these syncs put on Spotify: entries added, entries removed for good, parts created."""
        if not run_ids:
            return Written()
        marks = ", ".join("?" for _ in run_ids)
        added = self.db.fetchone(
            f"SELECT coalesce(sum(count), 0) FROM write_batches WHERE state = 'done' AND run_id IN ({marks})",
            list(run_ids),
        )
        copies = self.db.fetchall(
            f"SELECT tool_copies FROM write_removals WHERE op = 'delete' AND state = 'done' AND run_id IN ({marks})",
            list(run_ids),
        )
        created = self.db.fetchall(
            f"SELECT name FROM write_parts WHERE intended_at IS NOT NULL AND playlist_id IS NOT NULL"
            f" AND run_id IN ({marks}) ORDER BY part_index",
            list(run_ids),
        )
        pruned = sum(int(n) for (c,) in copies for n in json.loads(c or "{}").values())
        return Written(int(added[0]) if added else 0, pruned, [str(n) for (n,) in created])

    def unfinished_syncs(self, master_id: str) -> list[RunRecord]:
        rows = self.db.fetchall(
            "SELECT run_id FROM write_runs WHERE kind = 'sync' AND master_id = ?"
            " AND status IN ('planned', 'writing', 'written') ORDER BY created_at",
            [master_id],
        )
        return [r for r in (self.get_run(str(row[0])) for row in rows) if r is not None]

    def steps(self, run_id: str, part_index: int | None = None) -> list[RemovalStep]:
        sql = (
            "SELECT run_id, part_index, op_index, op, uris, position, tool_copies, occurrences, expected_before,"
            " state, snapshot_id, anchor_uri, coalesce(anchor_nth, 0) FROM write_removals WHERE run_id = ?"
        )
        params: list[Any] = [run_id]
        if part_index is not None:
            sql += " AND part_index = ?"
            params.append(part_index)
        rows = self.db.fetchall(sql + " ORDER BY part_index, op_index", params)
        return [step_of(r) for r in rows]

    def mark_step(
        self,
        step: RemovalStep,
        state: str,
        snapshot_id: str | None = None,
        tool_copies: dict[str, int] | None = None,
    ) -> None:
        """intended: recorded BEFORE the request; done / skipped once the server's state is known."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE write_removals SET state = ?, snapshot_id = coalesce(?, snapshot_id), updated_at = ?,"
                " tool_copies = coalesce(?, tool_copies) WHERE run_id = ? AND part_index = ? AND op_index = ?",
                [
                    state, snapshot_id, utc_now(), json.dumps(tool_copies) if tool_copies is not None else None,
                    step.run_id, step.part_index, step.op_index,
                ],
            )  # fmt: skip
            if state == "intended":
                conn.execute(
                    "UPDATE write_runs SET status = 'writing', updated_at = ? WHERE run_id = ? AND status = 'planned'",
                    [utc_now(), step.run_id],
                )

    def set_part_snapshot(self, run_id: str, part_index: int, snapshot_id: str | None) -> None:
        """The snapshot after the part's removals: the appends' read-back compares with it."""
        self.db.execute(
            "UPDATE write_parts SET created_snapshot = ? WHERE run_id = ? AND part_index = ?",
            [snapshot_id, run_id, part_index],
        )
