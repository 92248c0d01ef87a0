"""One round's read and plan: snapshots, pages of what changed, the settling of an interrupted sync,
song identity, and the delta.

When every snapshot and option is as the last sync left the master in step (or, before any sync,
as its verified run left it), the round stops after the snapshots: nothing is read or analysed
(see `fingerprint.py`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from spotify_merger.analyze import MergeOptions, rules
from spotify_merger.analyze.rules import MatchRules
from spotify_merger.context import Environment
from spotify_merger.display import quote
from spotify_merger.errors import ForbiddenError, NotFoundError
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.ids import LIKED
from spotify_merger.spotify.models import PlaylistInfo
from spotify_merger.store.database import Database
from spotify_merger.sync import fingerprint, read
from spotify_merger.sync.delta import Delta, PartContents, PartDelta, plan_delta
from spotify_merger.sync.read import Probe
from spotify_merger.sync.record import Master, SyncJournal
from spotify_merger.sync.settle import Settled, recover_created_parts, settle
from spotify_merger.sync.songs import identify
from spotify_merger.write.journal import RunKind, RunStatus

DELETED_HINT = "follow it again in Spotify to keep syncing it, or start a new master with `spotify-merger run --new-master`"
NO_NOTES = {"removed_by_hand": 0, "added_by_hand": 0, "gone_from_sources": 0}


@dataclass
class Context:
    env: Environment
    client: SpotifyClient
    db: Database
    journal: SyncJournal
    prune: bool
    cap: int
    page_size: int
    rules: MatchRules = field(default_factory=MatchRules)  # the user's match_rules.txt, as `run` reads it
    exclude_playlist: str | None = None  # its songs stay out of the plan, as with `run --exclude-playlist`

    def watched(self, sources: list[str]) -> list[str]:
        """The playlists whose change changes the plan: the sources and the exclusions playlist."""
        extra = self.exclude_playlist
        return [*sources, extra] if extra and extra not in sources else list(sources)

    def recorded(self, merge: MergeOptions) -> dict[str, Any]:
        """The options as a write records them and as the in-step check compares them."""
        return rules.recorded(merge.to_dict(), self.rules, self.exclude_playlist)


@dataclass
class State:
    master: Master
    delta: Delta
    settled: Settled
    snapshots: dict[str, str | None]  # playlist id -> snapshot_id as read (sources and parts)
    metas: dict[str, PlaylistInfo]
    notes: dict[str, int] | None = None  # set when nothing moved since the master was last in step
    pages_read: int = 0  # pages of sources and parts read in this round


def read_and_plan(ctx: Context, master: Master, sources: list[str], merge: MergeOptions) -> State:
    if master.master_id and recover_created_parts(ctx.client, ctx.journal, master.master_id):
        master = ctx.journal.master(master.master_id)
    probe = read.probe(ctx.client, ctx.watched(sources), master.playlist_ids)
    _check_parts(master, probe)
    snapshots = {pid: meta.snapshot_id for pid, meta in probe.metas.items()}
    notes = _in_step_notes(ctx, master, sources, merge, snapshots)
    if notes is not None:
        # Nothing moved: the summary needs the parts' sizes only, which the snapshots came with.
        parts = [
            PartDelta(p.index, p.name, p.playlist_id, [None] * (probe.metas[p.playlist_id].total or 0))
            for p in master.parts
        ]
        return State(master, Delta(parts), Settled({}), snapshots, probe.metas, notes)
    if master.master_id:
        read.seed_from_journal(ctx.db, ctx.journal, master, ctx.page_size)
    pages = read.read_changed(
        ctx.env, ctx.client, ctx.db, ctx.watched(sources), master.playlist_ids, probe.metas
    )
    settled = settle(ctx.journal, master, {pid: read.contents(ctx.db, pid) for pid in master.playlist_ids})
    ledger = ctx.journal.ledger(master.master_id) if master.master_id else {}
    ledger_uris = {u for led in ledger.values() for u in led}
    songs = identify(
        ctx.db,
        sources,
        master.playlist_ids,
        ledger_uris,
        merge,
        rules=ctx.rules,
        exclude_playlist=ctx.exclude_playlist,
    )
    states = [
        PartContents(
            p.index,
            p.playlist_id,
            p.name,
            settled.contents[p.playlist_id],
            ledger.get(p.playlist_id, Counter()),
        )
        for p in master.parts
    ]
    delta = plan_delta(
        songs.entries, states, songs.song_of, prune=ctx.prune, base_name=master.base_name, cap=ctx.cap
    )
    return State(master, delta, settled, snapshots, probe.metas, pages_read=sum(pages.values()))


def _check_parts(master: Master, probe: Probe) -> None:
    gone = [p for p in master.parts if p.playlist_id in probe.not_found | probe.not_in_library]
    if gone:
        raise NotFoundError(
            f"the master playlist {quote(gone[0].name)} is no longer in your library (deleted or unfollowed)",
            DELETED_HINT,
        )
    for part in master.parts:
        owner = probe.metas[part.playlist_id].owner_id
        if master.owner_id and owner and owner != master.owner_id:
            raise ForbiddenError(
                f"the master playlist {quote(part.name)} now belongs to {quote(owner)}, not you", DELETED_HINT
            )


def _in_step_notes(
    ctx: Context, master: Master, sources: list[str], merge: MergeOptions, snapshots: dict[str, str | None]
) -> dict[str, int] | None:
    """The last report's notes, if every snapshot and option is as when the master was last in step."""
    if not master.master_id or LIKED in sources or ctx.journal.unfinished_syncs(master.master_id):
        return None
    state = {
        "sources": {s: snapshots.get(s) for s in ctx.watched(sources)},
        "parts": {p: snapshots.get(p) for p in master.playlist_ids},
        "options": ctx.recorded(merge),
        "prune": ctx.prune,
        "cap": ctx.cap,
    }
    notes = fingerprint.recall(ctx.db, master.master_id, state)
    if notes is None and fingerprint.never_synced(ctx.db, master.master_id):
        in_step = not ctx.exclude_playlist and _as_the_run_left_it(ctx, master, sources, merge, snapshots)
        notes = NO_NOTES if in_step else None
    return notes


def _as_the_run_left_it(
    ctx: Context,
    master: Master,
    sources: list[str],
    merge: MergeOptions,
    snapshots: dict[str, str | None],
) -> bool:
    """Before its first sync, a master is in step when nothing moved since its verified run wrote it.

    (The run does not record the exclusions playlist's snapshot: with one, the first sync reads.)"""
    journal = ctx.journal
    run = journal.get_run(master.master_id)
    if run is None or run.status is not RunStatus.VERIFIED or master.kind is not RunKind.RUN:
        return False
    return (
        run.sources == sources
        and all(run.source_snapshots.get(s) == snapshots.get(s) for s in sources)
        and [p.playlist_id for p in run.parts] == master.playlist_ids
        and all(
            journal.last_snapshot(run.run_id, p.part_index) == snapshots.get(p.playlist_id or "")
            for p in run.parts
        )
        and run.options == ctx.recorded(merge)
    )


def remember_in_step(
    ctx: Context, master: Master, state: State, sources: list[str], merge: MergeOptions
) -> None:
    """Record that the master is up to date with the sources and options as they are now."""
    if not master.master_id or state.notes is not None:
        return
    d = state.delta
    notes = {
        "removed_by_hand": sum(n.copies for n in d.removed_by_hand),
        "added_by_hand": len(d.added_by_hand),
        "gone_from_sources": 0 if ctx.prune else len(d.gone_from_sources),
    }
    now = fingerprint.fingerprint(
        ctx.db, ctx.watched(sources), master.playlist_ids, ctx.recorded(merge), ctx.prune, ctx.cap
    )
    fingerprint.remember(ctx.db, master.master_id, now, notes)
