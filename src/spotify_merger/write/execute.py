"""From a merge plan to verified master playlist(s): the write step of `run`, as one library call.

`execute_plan` decides whether this is a new write, the resume of an unfinished one, or a plan
that is already written and verified; shows the preview and asks; checks that no source changed
since the analysis; freezes the plan in the journal; writes; verifies; and writes the summary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from spotify_merger.analyze.parts import (
    MAX_PLAYLIST_ITEMS,
    default_master_name,
    split_into_parts,
    validate_master_name,
)
from spotify_merger.context import Environment
from spotify_merger.errors import ConflictError, NothingToDoError
from spotify_merger.progress import TaskProgress
from spotify_merger.store.calllog import CallLog, average_call_seconds
from spotify_merger.write.confirm import (
    DEFAULT_SECONDS_PER_CALL,
    PlannedWrite,
    WritePreview,
    ask,
    confirm_write,
    show_success,
)
from spotify_merger.write.journal import UNFINISHED, Journal, RunRecord, RunStatus, plan_hash
from spotify_merger.write.summary import RunSummary, WriteOutcome, WriteStatus
from spotify_merger.write.verify import raise_for, verify_run
from spotify_merger.write.writer import NEW_MASTER_HINT, MasterWriter, WriteClient, WriteStats

if TYPE_CHECKING:
    from spotify_merger.analyze.model import MergePlan
    from spotify_merger.analyze.results import DryRunReport
    from spotify_merger.store.database import Database


def execute_plan(
    env: Environment,
    client: WriteClient,
    db: Database,
    plan: MergePlan,
    *,
    master_name: str | None = None,
    yes: bool = False,
    dry_run: bool = False,
    new_master: bool = False,
    report: DryRunReport | None = None,
    source_names: dict[str, str] | None = None,
    cap: int | None = None,
) -> WriteOutcome:
    """Write `plan` as new private playlist(s) exactly once, verify it, and summarise.

    `cap` (songs per playlist) is a library-only knob for tests; Spotify's limit is the default.
    """
    name = validate_master_name(master_name) if master_name is not None else None
    if not plan.uris:
        raise NothingToDoError(
            "the merge plan holds no songs to add (the sources are empty, or hold only local files "
            "and unavailable entries)",
            "check the sources with `spotify-merger report`",
        )
    journal = Journal(db)
    options = plan.options.to_dict()
    cap = cap or MAX_PLAYLIST_ITEMS
    names = source_names or {}
    # The plan's identity leaves the name out (see plan_hash), so split with a placeholder first.
    digest = plan_hash(plan.sources, options, [p.uris for p in split_into_parts("x", plan.uris, cap)])

    existing = (
        None
        if new_master
        else journal.latest_run(plan_hash=digest, statuses=(*UNFINISHED, RunStatus.VERIFIED))
    )
    if existing is not None and name is not None and name != existing.master_name:
        existing = None  # the user asked for another name: that is another master
    if existing is not None and existing.status is RunStatus.VERIFIED:
        return _already_complete(env, client, journal, existing)
    _settle_other_runs(env, journal, keep=existing, new_master=new_master, digest=digest)

    if existing is None:
        master = name or default_master_name()
        parts = split_into_parts(master, plan.uris, cap)
        planned = [PlannedWrite(p.name, p.count) for p in parts]
    else:
        master = existing.master_name
        planned = [
            PlannedWrite(
                p.name, p.planned_count, journal.confirmed_count(existing.run_id, p.part_index), p.playlist_id
            )
            for p in existing.parts
        ]
    preview = WritePreview(
        parts=planned,
        total_entries=report.total_entries if report else None,
        duplicates_removed=report.duplicates_removed if report else None,
        source_names=[names.get(s, s) for s in plan.sources],
        page_limit=client.page_limit,
        seconds_per_call=_seconds_per_call(db, client),
        resuming=existing is not None and any(p.playlist_id for p in planned),
    )
    if not confirm_write(env, preview, yes=yes, dry_run=dry_run):
        return WriteOutcome(WriteStatus.DRY_RUN, existing.run_id if existing else None)

    if existing is None or existing.status is RunStatus.PLANNED:
        check_sources_unchanged(client, plan, names)
    run = existing or journal.create_run(
        master_name=master,
        sources=plan.sources,
        source_snapshots=dict(plan.source_snapshots),
        options=options,
        parts=[(p.name, p.uris) for p in split_into_parts(master, plan.uris, cap)],
        # A test master with small parts: its syncs keep to the same size.
        part_cap=cap if cap != MAX_PLAYLIST_ITEMS else None,
    )
    writer = MasterWriter(env, client, journal, source_names=names)
    try:
        with _observed(env, client, db, "write") as bars:
            for part in run.parts:
                bars.add(str(part.part_index), f"adding to {part.name}", part.planned_count)
            writer.on_progress = lambda part, have: bars.update(str(part.part_index), completed=have)
            run = writer.write(run)
    except ConflictError as exc:
        if yes or not env.interactive:
            raise
        env.stderr.print(f"[bold red]conflict:[/bold red] {exc.message}", highlight=False)
        ask(env, "[bold]Start a new master playlist instead?[/bold]", refused=exc.message)
        journal.set_status(run.run_id, RunStatus.ABANDONED)
        return execute_plan(
            env, client, db, plan, master_name=master_name, yes=True, new_master=True,
            report=report, source_names=source_names, cap=cap,
        )  # fmt: skip
    with _observed(env, client, db, "verify"):
        result = verify_run(client, journal, run)
    raise_for(result, env)
    outcome = _finish(env, client, journal, run.run_id, writer.stats)
    show_success(env, outcome.playlists, verified=True)
    return outcome


def check_sources_unchanged(client: WriteClient, plan: MergePlan, names: dict[str, str]) -> None:
    """One `playlist_meta` call per source: a snapshot that moved since the analysis makes the plan stale."""
    for source, snapshot in plan.source_snapshots.items():
        if source == "liked" or snapshot is None:
            continue  # Liked Songs has no snapshot_id; its fetch is always fresh within `run`
        current = client.playlist_meta(source).snapshot_id
        if current != snapshot:
            raise ConflictError(
                f"the source playlist {names.get(source, source)!r} changed since the report was made, "
                "so the plan is stale; nothing was written",
                "re-run `spotify-merger report` to review the new plan (or `spotify-merger run`, which "
                "fetches the change first)",
            )


def _settle_other_runs(
    env: Environment, journal: Journal, *, keep: RunRecord | None, new_master: bool, digest: str
) -> None:
    """An unfinished run of another plan either blocks (its master is half-written) or is set aside."""
    while True:
        other = journal.latest_run(statuses=UNFINISHED)
        if other is None or (keep is not None and other.run_id == keep.run_id):
            return
        touched = other.touched_spotify
        if touched and not new_master:
            done = sum(journal.confirmed_count(other.run_id, p.part_index) for p in other.parts)
            raise ConflictError(
                f"an earlier run left the master {other.master_name!r} unfinished ({done:,} of "
                f"{other.song_count:,} songs added), and this run's plan or name differs from it",
                NEW_MASTER_HINT,
            )
        if touched:
            env.warn(
                f"leaving the unfinished master {other.master_name!r} as it is; "
                "delete it in Spotify if you do not want it"
            )
        journal.set_status(other.run_id, RunStatus.ABANDONED)


def _already_complete(
    env: Environment, client: WriteClient, journal: Journal, run: RunRecord
) -> WriteOutcome:
    env.say(
        f"[green]Already done:[/green] the master {run.master_name!r} for this exact plan was written and "
        "verified earlier; nothing to write. (`--new-master` makes another one.)"
    )
    outcome = _finish(env, client, journal, run.run_id, None, status=WriteStatus.ALREADY_COMPLETE)
    show_success(env, outcome.playlists, verified=True)
    return outcome


def _finish(
    env: Environment,
    client: WriteClient,
    journal: Journal,
    run_id: str,
    stats: WriteStats | None,
    *,
    status: WriteStatus = WriteStatus.WRITTEN,
) -> WriteOutcome:
    run = journal.get_run(run_id)
    assert run is not None
    summary = RunSummary.of_run(run, status, dict(client.policy.counts))
    path = summary.write(env.exports_dir)
    return WriteOutcome(status, run.run_id, summary.playlists, summary.verified, stats, path)


def _seconds_per_call(db: Database, client: WriteClient) -> float:
    """What a call has cost so far in this data dir (the api_calls log), or the pacing interval if higher."""
    try:
        measured = average_call_seconds(db)
    except Exception:  # an estimate must never stop the write
        measured = None
    return max(measured or DEFAULT_SECONDS_PER_CALL, client.policy.min_interval)


@contextlib.contextmanager
def _observed(env: Environment, client: WriteClient, db: Database, phase: str) -> Iterator[TaskProgress]:
    """Progress bars fed by the policy's waits, and the phase's calls logged into `api_calls`."""
    log = CallLog(phase)
    bars = TaskProgress(env, unit="songs")
    try:
        with client.policy.observing(on_wait=bars.on_wait, recorder=log.record), bars:
            yield bars
    finally:
        log.flush(db)
