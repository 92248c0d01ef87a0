"""The write journal against a real DuckDB file: frozen plans, intended/done batches, reopening."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotify_merger.store._migrations import SCHEMA_VERSION
from spotify_merger.store.database import Database
from spotify_merger.write.journal import MAX_BATCH, Journal, RunRecord, RunStatus, plan_hash


def uris(n: int, prefix: str = "a") -> list[str]:
    return [f"spotify:track:{prefix}{i:021d}" for i in range(n)]


def make_run(journal: Journal, parts: list[list[str]] | None = None) -> RunRecord:
    parts = parts if parts is not None else [uris(250)]
    return journal.create_run(
        master_name="Master Library 2026-01-02",
        sources=["p1", "p2"],
        source_snapshots={"p1": "s1", "p2": "s2"},
        options={"match": "smart", "keep": "most-weighted"},
        parts=[(f"Master ({i}/{len(parts)})", u) for i, u in enumerate(parts, start=1)],
    )


def run_id(run: RunRecord | None) -> str | None:
    return run.run_id if run is not None else None


def test_the_plan_is_frozen_with_every_uri_in_order(tmp_path: Path) -> None:
    with Database(tmp_path / "db.duckdb") as db:
        journal = Journal(db)
        a, b = uris(10_000, "a"), uris(5_000, "b")
        run = make_run(journal, [a, b])
        assert run.status == "planned"
        assert [(p.part_index, p.planned_count, p.state) for p in run.parts] == [
            (1, 10_000, "planned"),
            (2, 5_000, "planned"),
        ]
        assert journal.plan_uris(run.run_id, 1) == a
        assert journal.plan_uris(run.run_id, 2, 4_990) == b[4_990:]
        assert journal.plan_uris(run.run_id, 1, 100, 200) == a[100:200]
        assert run.song_count == 15_000
        assert run.plan_hash == plan_hash(["p1", "p2"], {"keep": "most-weighted", "match": "smart"}, [a, b])
        assert run.marker.startswith("spotify-merger run ") and run.run_id.startswith(run.marker.split()[-1])


def test_plan_hash_depends_on_order_sources_and_options() -> None:
    a = uris(5)
    base = plan_hash(["p1", "p2"], {"m": "1"}, [a])
    assert base == plan_hash(["p1", "p2"], {"m": "1"}, [list(a)])
    assert base != plan_hash(["p1", "p2"], {"m": "1"}, [a[::-1]])
    assert base != plan_hash(["p2", "p1"], {"m": "1"}, [a])
    assert base != plan_hash(["p1", "p2"], {"m": "2"}, [a])
    assert base != plan_hash(["p1", "p2"], {"m": "1"}, [a[:3], a[3:]])


def test_batches_are_intended_then_done_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    with Database(path) as db:
        journal = Journal(db)
        run = make_run(journal)
        journal.mark_part_intended(run.run_id, 1)
        journal.mark_part_created(run.run_id, 1, "PL1", "https://open.spotify.com/playlist/PL1", "snap0")
        b0 = journal.intend_batch(run.run_id, 1, 0, 100)
        journal.complete_batch(run.run_id, 1, b0.batch_index, "snap1")
        b1 = journal.intend_batch(run.run_id, 1, 100, 100)
        # "crash" here: the second batch was sent, its answer never recorded
    with Database(path) as db:
        journal = Journal(db)
        again = journal.get_run(run.run_id)
        assert again is not None and again.status == "writing"
        assert again.parts[0].playlist_id == "PL1" and again.parts[0].state == "created"
        assert journal.confirmed_count(run.run_id, 1) == 100
        assert journal.last_snapshot(run.run_id, 1) == "snap1"
        pending = journal.pending_batch(run.run_id, 1)
        assert pending is not None and (pending.batch_index, pending.start_position, pending.count) == (
            b1.batch_index,
            100,
            100,
        )
        # The read-back found 150 songs: the journal records what is really there.
        journal.record_reconciled(run.run_id, 1, 100, 150, "snap9")
        assert journal.pending_batch(run.run_id, 1) is None
        assert journal.confirmed_count(run.run_id, 1) == 250
        assert journal.last_snapshot(run.run_id, 1) == "snap9"
        assert all(b.count <= MAX_BATCH and b.state == "done" for b in journal.batches(run.run_id, 1))


def test_completing_a_batch_can_intend_the_next_in_the_same_step(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    with Database(path) as db:
        journal = Journal(db)
        run = make_run(journal)
        first = journal.intend_batch(run.run_id, 1, 0, 100)
        second = journal.complete_batch(run.run_id, 1, first.batch_index, "snap1", then=(100, 100))
        assert second is not None and (second.batch_index, second.start_position, second.state) == (
            first.batch_index + 1,
            100,
            "intended",
        )
        assert journal.complete_batch(run.run_id, 1, second.batch_index, "snap2") is None
        with pytest.raises(ValueError):
            journal.complete_batch(run.run_id, 1, second.batch_index, "snap2", then=(200, 0))
    with Database(path) as db:  # the failed step changed nothing
        journal = Journal(db)
        assert [(b.start_position, b.state) for b in journal.batches(run.run_id, 1)] == [
            (0, "done"),
            (100, "done"),
        ]
        assert (
            journal.confirmed_count(run.run_id, 1) == 200 and journal.last_snapshot(run.run_id, 1) == "snap2"
        )
        assert journal.pending_batch(run.run_id, 1) is None


def test_a_new_intent_replaces_an_unsettled_one(tmp_path: Path) -> None:
    with Database(tmp_path / "db.duckdb") as db:
        journal = Journal(db)
        run = make_run(journal)
        journal.intend_batch(run.run_id, 1, 0, 100)
        journal.intend_batch(run.run_id, 1, 0, 100)  # resent after a read-back proved it absent
        batches = journal.batches(run.run_id, 1)
        assert [(b.start_position, b.state) for b in batches] == [(0, "intended")]
        with pytest.raises(ValueError):
            journal.intend_batch(run.run_id, 1, 0, MAX_BATCH + 1)


def test_latest_run_filters_by_status_and_plan(tmp_path: Path) -> None:
    with Database(tmp_path / "db.duckdb") as db:
        journal = Journal(db)
        first = make_run(journal, [uris(3, "x")])
        second = make_run(journal, [uris(4, "y")])
        journal.set_status(first.run_id, RunStatus.VERIFIED)
        assert run_id(journal.latest_run()) == second.run_id
        assert run_id(journal.latest_run(statuses=(RunStatus.VERIFIED,))) == first.run_id
        assert run_id(journal.latest_run(plan_hash=first.plan_hash)) == first.run_id
        assert journal.latest_run(statuses=(RunStatus.UNDONE,)) is None
        verified = journal.get_run(first.run_id)
        assert verified is not None and verified.verified_at is not None
        with pytest.raises(ValueError):
            journal.set_status(first.run_id, "bogus")  # type: ignore[arg-type]  # the runtime check refuses it


def test_a_failed_plan_insert_leaves_nothing_behind(tmp_path: Path) -> None:
    with Database(tmp_path / "db.duckdb") as db:
        journal = Journal(db)
        with pytest.raises(Exception, match=r"(?i)null"):
            # The second part has no name (NOT NULL): it fails after the run and part 1 are inserted.
            journal.create_run(
                master_name="M",
                sources=["p1"],
                source_snapshots={"p1": "s"},
                options={},
                parts=[("M (1/2)", uris(7, "a")), (None, uris(5, "b"))],  # type: ignore[list-item]
            )
        for table in ("write_runs", "write_parts", "write_plan", "write_batches"):
            assert db.fetchone(f"SELECT count(*) FROM {table}") == (0,), table
        run = make_run(journal)
        assert db.fetchone("SELECT count(*) FROM write_plan WHERE run_id = ?", [run.run_id]) == (250,)


def test_schema_records_the_journal_migration(tmp_path: Path) -> None:
    with Database(tmp_path / "db.duckdb") as db:
        versions = {r[0] for r in db.fetchall("SELECT version FROM schema_version")}
        assert 3 in versions and SCHEMA_VERSION >= 3
    # Reopening applies nothing twice.
    with Database(tmp_path / "db.duckdb") as db:
        assert db.fetchone("SELECT count(*) FROM schema_version WHERE version = 3") == (1,)
