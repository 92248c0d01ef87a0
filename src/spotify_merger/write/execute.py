"""From a merge plan to verified master playlist(s): the write step of `run`, as one library call.

`execute_plan` decides whether this is a new write, the resume of an unfinished one, or a plan
that is already written and verified; shows the preview and asks; checks that no source changed
since the analysis; freezes the plan in the journal; writes; verifies; and writes the summary.

The parts are written at once. With `--verify full`, each page of a part is read back as soon as
the adds have made it final (`readback.py`), while the part's next batches and the other parts
are still being written; what is left is read the moment the part's last add is confirmed.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import contextvars
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from spotify_merger.analyze.parts import (
    MAX_PLAYLIST_ITEMS,
    default_master_name,
    split_into_parts,
    validate_master_name,
)
from spotify_merger.context import Environment
from spotify_merger.display import quote, styled
from spotify_merger.errors import ConflictError, NothingToDoError, VerifyError
from spotify_merger.progress import TaskProgress
from spotify_merger.store.calllog import CallLog, average_call_seconds
from spotify_merger.write._existing import free_master_name, recheck
from spotify_merger.write.confirm import (
    DEFAULT_SECONDS_PER_CALL,
    PlannedWrite,
    WritePreview,
    ask,
    confirm_write,
    show_already_done,
    show_success,
)
from spotify_merger.write.journal import UNFINISHED, Journal, PartRecord, RunRecord, RunStatus, plan_hash
from spotify_merger.write.lookahead import Lookahead
from spotify_merger.write.readback import RollingReadBack
from spotify_merger.write.summary import RunSummary, ThisRun, WriteOutcome, WriteStatus
from spotify_merger.write.verify import PartCheck, VerifyMode, raise_for, verify_run
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
    verify: VerifyMode = "full",
    suffix_taken_name: bool = False,
    recorded_options: dict[str, Any] | None = None,
    lookahead: Lookahead | None = None,
) -> WriteOutcome:
    """Write `plan` as new private playlist(s) exactly once, verify it, and summarise.

    `cap` (songs per playlist) is a library-only knob for tests; Spotify's limit is the default.
    A name given in `master_name` that a playlist in the library already has is refused
    (ConflictError), unless `suffix_taken_name` asks for "NAME (2)" instead (see `existing`).
    `recorded_options` is what the journal keeps as the options (`rules.recorded`: the merge options
    and the matching rules `sync` must reuse); the plan's identity keeps to the merge options.
    `lookahead` is a library scan `run` started when its fetch ended: it stands in for the name
    check's scan and, with `yes` (nobody pauses at the question), for the sources' re-check.
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

    # A name given picks the earlier master of that name only: another name is another master.
    existing = (
        None
        if new_master
        else journal.latest_run(
            plan_hash=digest, statuses=(*UNFINISHED, RunStatus.VERIFIED), master_name=name
        )
    )
    if existing is not None and existing.status is RunStatus.VERIFIED:
        return _already_complete(env, client, journal, existing)
    _settle_other_runs(env, journal, keep=existing, new_master=new_master, digest=digest)

    if existing is None:
        master = name or default_master_name()
        if not dry_run:  # a new master: never a name already in the library (one scan)
            master = free_master_name(
                client,
                journal,
                given=None if suffix_taken_name else name,
                default=master,
                part_names=lambda n: [p.name for p in split_into_parts(n, plan.uris, cap)],
                scanned=lookahead.library() if lookahead else None,
            )
        planned = [PlannedWrite(p.name, p.count) for p in split_into_parts(master, plan.uris, cap)]
    else:
        master = existing.master_name
        planned = _resumed(journal, existing)
    preview = WritePreview(
        parts=planned,
        total_entries=report.total_entries if report else None,
        duplicates_removed=report.duplicates_removed if report else None,
        source_names=[names.get(s, s) for s in plan.sources],
        page_limit=client.page_limit,
        seconds_per_call=_seconds_per_call(db),
        pacing_interval=client.policy.min_interval,
        resuming=existing is not None and any(p.playlist_id for p in planned),
        verify=verify,
        report_file=report.files.get("json") if report else None,
    )
    if not confirm_write(env, preview, yes=yes, dry_run=dry_run):
        return WriteOutcome(WriteStatus.DRY_RUN, existing.run_id if existing else None)

    if existing is None or existing.status is RunStatus.PLANNED:
        listed = lookahead.snapshots(plan.source_snapshots) if lookahead and yes else None
        check_sources_unchanged(client, plan, names, listed=listed)
    run = existing or journal.create_run(
        master_name=master,
        sources=plan.sources,
        source_snapshots=dict(plan.source_snapshots),
        options=options,
        recorded_options=recorded_options,
        parts=[(p.name, p.uris) for p in split_into_parts(master, plan.uris, cap)],
        # A test master with small parts: its syncs keep to the same size.
        part_cap=cap if cap != MAX_PLAYLIST_ITEMS else None,
    )
    return _write_and_verify(
        env, client, db, plan, run, existing=existing, yes=yes, source_names=names, cap=cap, verify=verify,
        master_name=master_name, report=report,
    )  # fmt: skip


def _write_and_verify(
    env: Environment,
    client: WriteClient,
    db: Database,
    plan: MergePlan,
    run: RunRecord,
    *,
    existing: RunRecord | None,
    yes: bool,
    source_names: dict[str, str],
    cap: int,
    verify: VerifyMode,
    master_name: str | None,
    report: DryRunReport | None,
) -> WriteOutcome:
    """The frozen run written (each part read back as soon as it is done), verified, summarised."""
    journal = Journal(db)
    logs = _PhaseLogs()
    checked: dict[int, PartCheck] = {}
    rolling = RollingReadBack(client, journal, run, phase=logs.phase) if verify == "full" else None

    def read_back(part: PartRecord) -> None:
        # In the part's own thread, right after its last add: the other parts are still writing.
        assert rolling is not None
        with logs.phase("verify"):
            checked[part.part_index] = rolling.finish(part)

    writer = MasterWriter(
        env, client, journal, source_names=source_names, on_part_done=read_back if rolling else None
    )
    try:
        with _observed(env, client, db, logs) as bars, rolling or contextlib.nullcontext():
            for part in run.parts:
                bars.add(str(part.part_index), f"adding to {part.name}", part.planned_count)

            def progressed(part: PartRecord, have: int) -> None:
                bars.update(str(part.part_index), completed=have)
                if rolling is not None:  # the pages these songs complete are final: read them back now
                    rolling.advance(part, have)

            writer.on_progress = progressed
            run = writer.write(run)
    except ConflictError as exc:
        if yes or not env.interactive:
            raise
        env.stderr.print(styled("[bold red]conflict:[/bold red] {message}", message=exc.message))
        ask(
            env,
            styled("[bold]Start a new master playlist instead?[/bold]"),
            refused=exc.message,
            hint=exc.hint,
        )
        journal.set_status(run.run_id, RunStatus.ABANDONED)
        return execute_plan(
            env, client, db, plan, master_name=master_name, yes=True, new_master=True,
            report=report, source_names=source_names, cap=cap, verify=verify, suffix_taken_name=True,
        )  # fmt: skip
    # `quick` trusts the journal's snapshots only if no answer of this run was ever in doubt.
    stats = writer.stats
    in_doubt = existing is not None or stats.lost_responses or stats.reconciled or stats.resumed_parts
    with _observed(env, client, db, logs), logs.phase("verify"):
        result = verify_run(client, journal, run, mode="full" if in_doubt else verify, done=checked)
    this_run = ThisRun.of_write(run, stats, result.proof if result.ok else None)
    status = WriteStatus.WRITTEN if result.ok else WriteStatus.VERIFY_FAILED
    outcome = _finish(env, client, journal, run.run_id, stats, status=status, this_run=this_run)
    raise_for(result, env)
    assert this_run.verified is not None  # raise_for raised otherwise
    show_success(
        env, outcome.playlists, created=set(this_run.created), added=stats.added, how=this_run.verified
    )
    return outcome


def _resumed(journal: Journal, run: RunRecord) -> list[PlannedWrite]:
    """The parts of an unfinished run as the preview shows them: what is already there."""
    return [
        PlannedWrite(
            p.name, p.planned_count, journal.confirmed_count(run.run_id, p.part_index), p.playlist_id
        )
        for p in run.parts
    ]


def check_sources_unchanged(
    client: WriteClient,
    plan: MergePlan,
    names: dict[str, str],
    *,
    listed: dict[str, str | None] | None = None,
) -> None:
    """A snapshot that moved since the analysis makes the plan stale. One `playlist_meta` call per
    source, all at once, unless `listed` holds each source's snapshot from a scan made since."""
    # Liked Songs has no snapshot_id; its fetch is always fresh within `run`.
    sources = [(s, snap) for s, snap in plan.source_snapshots.items() if s != "liked" and snap is not None]
    if not sources:
        return
    if listed is not None:
        current = [listed.get(source) for source, _snap in sources]
    else:
        with cf.ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="recheck") as pool:
            current = list(pool.map(lambda item: client.playlist_meta(item[0]).snapshot_id, sources))
    for (source, snapshot), now in zip(sources, current, strict=True):
        if now != snapshot:
            raise ConflictError(
                f"the source playlist {quote(names.get(source, source))} changed since the report was made, "
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
                f"an earlier run left the master {quote(other.master_name)} unfinished ({done:,} of "
                f"{other.song_count:,} songs added), and this run's plan or name differs from it",
                NEW_MASTER_HINT,
            )
        if touched:
            env.warn(
                f"leaving the unfinished master {quote(other.master_name)} as it is; "
                "delete it in Spotify if you do not want it"
            )
        journal.set_status(other.run_id, RunStatus.ABANDONED)


def _already_complete(
    env: Environment, client: WriteClient, journal: Journal, run: RunRecord
) -> WriteOutcome:
    """This exact plan was written and verified before: re-check the master, write nothing."""
    try:
        logs = _PhaseLogs()
        with _observed(env, client, journal.db, logs), logs.phase("verify"):
            checked = recheck(env, client, journal, run)
    except VerifyError:
        _finish(env, client, journal, run.run_id, None, status=WriteStatus.VERIFY_FAILED, this_run=ThisRun())
        raise
    written = f"{run.created_at:%Y-%m-%d}"
    env.say(
        styled(
            "[green]Already done:[/green] the master {name} for this exact plan was written on {written} "
            "and verified; nothing was written now. (`--new-master` makes another one.)",
            name=quote(run.master_name),
            written=written,
        )
    )
    outcome = _finish(
        env,
        client,
        journal,
        run.run_id,
        None,
        status=WriteStatus.ALREADY_COMPLETE,
        this_run=ThisRun(verified=checked),
    )
    show_already_done(env, outcome.playlists, how=checked, written=written)
    return outcome


def _finish(
    env: Environment,
    client: WriteClient,
    journal: Journal,
    run_id: str,
    stats: WriteStats | None,
    *,
    status: WriteStatus = WriteStatus.WRITTEN,
    this_run: ThisRun,
) -> WriteOutcome:
    run = journal.get_run(run_id)
    assert run is not None
    summary = RunSummary.of_run(run, status, dict(client.policy.counts), this_run)
    path = summary.write(env.exports_dir)
    return WriteOutcome(status, run.run_id, summary.playlists, summary.verified, stats, path)


def _seconds_per_call(db: Database) -> float:
    """What a call has cost so far in this data dir (the api_calls log)."""
    try:
        measured = average_call_seconds(db)
    except Exception:  # an estimate must never stop the write
        measured = None
    return measured or DEFAULT_SECONDS_PER_CALL


class _PhaseLogs:
    """The write stage's call log: each thread's calls are logged under its current phase.

    A part's read-back runs in its own thread while other parts are still adding, so the phase
    belongs to the context, not to a stretch of time; verify's page reads carry their caller's
    context into the threads that send them.
    """

    def __init__(self) -> None:
        self.logs = {name: CallLog(name) for name in ("write", "verify")}
        self._phase: contextvars.ContextVar[str] = contextvars.ContextVar("phase", default="write")

    def record(self, method: str, endpoint: str, status: int | None, ms: float, nbytes: int) -> None:
        self.logs[self._phase.get()].record(method, endpoint, status, ms, nbytes)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        token = self._phase.set(name)
        try:
            yield
        finally:
            self._phase.reset(token)

    def flush(self, db: Database) -> None:
        for log in self.logs.values():
            log.flush(db)


@contextlib.contextmanager
def _observed(
    env: Environment, client: WriteClient, db: Database, logs: _PhaseLogs
) -> Iterator[TaskProgress]:
    """Progress bars fed by the policy's waits, and the calls logged into `api_calls` by phase."""
    bars = TaskProgress(env, unit="songs")
    try:
        with client.policy.observing(on_wait=bars.on_wait, recorder=logs.record), bars:
            yield bars
    finally:
        logs.flush(db)
