"""`sync`: bring a master up to date with its sources, exactly once, keeping the user's own edits.

One round: read and plan (`plan.py`: snapshots first, pages only of what changed, the settling
of an interrupted sync, the delta), show it and ask, check that nothing moved since the read,
freeze the sync in the journal, write it and read back what was touched (`apply.py`). A master
that changed under us mid-write starts another round (read again, plan again), at most
`MAX_ROUNDS`; a source that changed after the read stops with exit 11, before any write when the
change is seen in time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from spotify_merger.analyze import MergeOptions
from spotify_merger.analyze.rules import load as load_rules
from spotify_merger.context import Environment
from spotify_merger.display import quote, styled
from spotify_merger.errors import ConflictError, NotFoundError
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.models import PlaylistInfo
from spotify_merger.store.database import Database
from spotify_merger.store.files import write_json
from spotify_merger.sync import apply, fingerprint, read
from spotify_merger.sync.choose import choose_master, exclusions_for, merge_options_for, sources_for
from spotify_merger.sync.delta import MAX_PART_ITEMS
from spotify_merger.sync.plan import DELETED_HINT, Context, State, read_and_plan, remember_in_step
from spotify_merger.sync.present import (
    SUMMARY_JSON,
    SyncSummary,
    export_report,
    show_delta,
    song_names,
    summarize,
)
from spotify_merger.sync.record import Master, SyncJournal
from spotify_merger.write.confirm import ask
from spotify_merger.write.journal import RunStatus
from spotify_merger.write.writer import MasterWriter

MAX_ROUNDS = 3


@dataclass
class SyncOptions:
    """What `spotify-merger sync` takes; None means "as the master's last run or sync had it"."""

    sources: list[str] = field(default_factory=list)
    masters: list[str] = field(default_factory=list)
    prune: bool = False
    yes: bool = False
    dry_run: bool = False
    match: str | None = None
    keep: str | None = None
    order: str | None = None
    keep_weights: bool | None = None
    exclude_playlist: str | None = None  # None: the master's own (`run --exclude-playlist`), if any
    cap: int | None = None  # entries per part: a library-only test knob (Spotify's 10,000 otherwise)


class Syncer:
    def __init__(self, env: Environment, client: SpotifyClient, db: Database, options: SyncOptions) -> None:
        self.env = env
        self.client = client
        self.db = db
        self.options = options
        self.journal = SyncJournal(db)
        self.adoption: list[PlaylistInfo] | None = None  # the playlists being adopted, until recorded
        self.rounds = 0
        self.runs: list[str] = []  # the syncs this one froze (one per round that wrote)

    def run(self) -> SyncSummary:
        calls_before = Counter(self.client.policy.counts)
        master, self.adoption = choose_master(self.journal, self.client, self.options.masters)
        sources = sources_for(self.env, master, self.options.sources)
        o = self.options
        merge = merge_options_for(master, o.match, o.keep, o.order, o.keep_weights)
        ctx = Context(
            self.env, self.client, self.db, self.journal, o.prune,
            o.cap or master.part_cap or MAX_PART_ITEMS,
            read.page_size_for(self.db, self.env, self.client),
            rules=load_rules(self.env.data_dir),
            exclude_playlist=exclusions_for(master, sources, o.exclude_playlist),
        )  # fmt: skip
        for self.rounds in range(1, MAX_ROUNDS + 1):
            state = read_and_plan(ctx, master, sources, merge)
            master = state.master
            if self.rounds == 1:
                self._show(state)
            nothing = state.delta.up_to_date and not state.settled.owed
            if nothing and state.pages_read and not self._unchanged_since_read(ctx, state, sources):
                continue  # a part moved while we read it: read it again, plan again
            if nothing or o.dry_run:
                return self._without_writing(ctx, state, sources, merge, calls_before)
            if self.rounds == 1 or not o.yes:
                self._confirm()
            if not self._unchanged_since_read(ctx, state, sources):
                continue  # a part moved while we asked: read it again, plan again
            master = state.master = self._record_adoption(ctx, master, sources, merge)
            try:
                self._write(ctx, state, sources, merge)
            except apply.MasterChanged as exc:
                self.env.warn(f"the master changed while sync was writing it ({exc.why}); reading it again")
                continue
            remember_in_step(ctx, master, state, sources, merge)
            self._check_sources_after(ctx, state, sources)
            return self._summary(ctx, "synced", master, state, sources, merge, calls_before, verified=True)
        raise ConflictError(
            f"the master {quote(master.base_name)} kept changing while sync was writing it ({MAX_ROUNDS} attempts); "
            "what was written is recorded",
            "run `spotify-merger sync` again once nobody is editing it",
        )

    # -- the steps ----------------------------------------------------------------------------------

    def _show(self, state: State) -> None:
        names = song_names(self.db, state.delta)
        show_delta(
            self.env, state.delta, master=state.master.base_name, adopting=self.adoption is not None,
            owed=state.settled.owed_copies, names=names,
        )  # fmt: skip
        export_report(self.env, state.master, state.delta, names, adopting=self.adoption is not None)

    def _without_writing(
        self, ctx: Context, state: State, sources: list[str], merge: MergeOptions, calls_before: Counter[str]
    ) -> SyncSummary:
        master = state.master
        nothing = state.delta.up_to_date and not state.settled.owed
        if not nothing:
            self.env.say(styled("[cyan]Dry run:[/cyan] nothing was written to Spotify."))
            return self._summary(ctx, "dry-run", master, state, sources, merge, calls_before, verified=False)
        if not self.options.dry_run:
            master = state.master = self._record_adoption(ctx, master, sources, merge)
            for run_id in state.settled.superseded:  # what they did is recorded; nothing is owed
                self.journal.set_status(run_id, RunStatus.ABANDONED)
            remember_in_step(ctx, master, state, sources, merge)
        # After a round that wrote, this read found nothing missing: that is its read-back.
        status = "synced" if self.runs else "up-to-date"
        return self._summary(
            ctx, status, master, state, sources, merge, calls_before, verified=bool(self.runs)
        )

    def _confirm(self) -> None:
        if self.options.yes:
            return
        ask(
            self.env,
            styled("[bold]Apply this sync to the master?[/bold]"),
            refused="the sync was not confirmed, so nothing was written to Spotify",
            hint="run `spotify-merger sync --dry-run` to see the delta again, or `sync --yes` to apply it",
            action="the sync",
        )

    def _unchanged_since_read(self, ctx: Context, state: State, sources: list[str]) -> bool:
        """Re-read the snapshots before writing, or before calling a master that was read page by page up
        to date: a source that moved stops the sync (exit 11), a part that moved means another round.

        A playlist edited while its pages were read can come back mixed (old pages and new) without
        its size changing; only its snapshot_id tells, and then the plan is not to be trusted.
        """
        parts = state.master.playlist_ids
        now, moved = self._probe_again(ctx, state, sources, parts)
        if moved:
            raise ConflictError(
                f"the playlist {quote(moved)} changed while sync was running, so the plan is stale; "
                "nothing was written",
                "run `spotify-merger sync` again: it reads the change first",
            )
        if now.not_found or now.not_in_library:
            raise NotFoundError("a master playlist left your library while sync was running", DELETED_HINT)
        return all(now.metas[p].snapshot_id == state.snapshots.get(p) for p in parts)

    def _probe_again(
        self, ctx: Context, state: State, sources: list[str], parts: list[str]
    ) -> tuple[read.Probe, str | None]:
        """The snapshots now, and the name of the first watched playlist that moved since the read."""
        watched = ctx.watched(sources)
        now = read.probe(self.client, watched, parts)
        return now, _moved(watched, now.metas, state.snapshots)

    def _write(self, ctx: Context, state: State, sources: list[str], merge: MergeOptions) -> None:
        fingerprint.forget(self.db, state.master.master_id)
        run = self.journal.create_sync(
            state.master, state.delta, sources=sources, source_snapshots={s: state.snapshots.get(s) for s in sources},
            options=ctx.recorded(merge), snapshots=state.snapshots, owed=state.settled.owed, part_cap=_cap(ctx.cap),
            supersedes=state.settled.superseded,
        )  # fmt: skip
        self.runs.append(run.run_id)
        apply.remove(self.client, self.journal, run, apply.ApplyStats())
        names = {s: (state.metas[s].name if s in state.metas else None) or s for s in sources}
        writer = MasterWriter(self.env, self.client, self.journal, source_names=names, trust_existing=True)
        run = apply.append(writer, run)
        checked = apply.verify_and_store(
            self.client, self.journal, self.db, run, state.delta, page_size=ctx.page_size
        )
        bad = [c for c in checked if not c.ok]
        if bad:
            raise apply.MasterChanged(bad[0].name, f"the read-back differs: {bad[0].problem}")
        self.journal.set_status(run.run_id, RunStatus.VERIFIED)

    def _check_sources_after(self, ctx: Context, state: State, sources: list[str]) -> None:
        _, moved = self._probe_again(ctx, state, sources, [])
        if moved:
            raise ConflictError(
                f"the playlist {quote(moved)} changed while sync was writing; the master is complete and "
                "verified for the sources as they were read",
                "run `spotify-merger sync` again to bring in the change",
            )

    def _record_adoption(
        self, ctx: Context, master: Master, sources: list[str], merge: MergeOptions
    ) -> Master:
        if self.adoption is None:
            return master
        recorded = self.journal.adopt(
            self.adoption, base_name=master.base_name, owner_id=master.owner_id, sources=sources,
            options=ctx.recorded(merge), part_cap=_cap(ctx.cap),
        )  # fmt: skip
        self.adoption = None
        return recorded

    def _summary(
        self,
        ctx: Context,
        status: str,
        master: Master,
        state: State,
        sources: list[str],
        merge: MergeOptions,
        calls_before: Counter[str],
        *,
        verified: bool,
    ) -> SyncSummary:
        written = self.journal.written_by(self.runs)
        parts = self.journal.master(master.master_id).parts if master.master_id else master.parts
        sizes = {p.index: len(p.after if status == "synced" else p.before) for p in state.delta.parts}
        summary = summarize(
            status, master=master, state_delta=state.delta, parts=parts, sizes=sizes, written=written,
            rounds=self.rounds, verified=verified, calls=dict(Counter(self.client.policy.counts) - calls_before),
            sources=sources, options=ctx.recorded(merge), prune=self.options.prune, notes=state.notes,
            restored=state.settled.owed_copies,
        )  # fmt: skip
        write_json(self.env.exports_dir / SUMMARY_JSON, summary.to_dict())
        return summary


def _moved(sources: list[str], now: dict[str, PlaylistInfo], then: dict[str, str | None]) -> str | None:
    """The name of the first source whose snapshot is not the one read, if any."""
    for s in sources:
        if s in now and now[s].snapshot_id != then.get(s):
            return now[s].name or s
    return None


def _cap(cap: int) -> int | None:
    """The part size the journal keeps: None for Spotify's own 10,000."""
    return None if cap == MAX_PART_ITEMS else cap
