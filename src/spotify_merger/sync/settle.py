"""After a kill (or a master that changed mid-write): what an unfinished sync really did, read off the parts.

A sync that stopped early leaves at most one request per part in doubt (recorded as intended,
no answer recorded). With the parts freshly read, each doubt is settled from what Spotify holds:

- an add batch applied iff its URIs sit where it was sent (or, after hand edits, anywhere in the
  part, in order);
- a delete applied, URI by URI, iff the part holds fewer copies of the URI than before it;
- a restore applied iff its copies sit after the entry they were to follow.

Settled facts are recorded at once (they are true whatever happens next), so the ledger counts
exactly what reached Spotify. What cannot be dropped is carried over: copies a delete removed
that were meant to come back (hand-added copies, or weighted repeats within the weight). They
are "owed": the next sync puts them back first, after the entry they followed, and plans as if
they were there already. The unfinished sync itself is set aside when the next one is frozen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from spotify_merger.sync.record import Master, SyncJournal
from spotify_merger.sync.steps import RemovalStep
from spotify_merger.write.journal import PartRecord, PartState, RunRecord
from spotify_merger.write.writer import WriteClient, find_created


@dataclass
class Settled:
    contents: dict[str, list[str | None]]  # playlist id -> entries, with owed copies already in place
    owed: dict[int, list[RemovalStep]] = field(default_factory=dict)  # part index -> restores to run first
    superseded: list[str] = field(default_factory=list)  # unfinished syncs the next one replaces
    batches_applied: int = 0  # in-doubt add batches found on Spotify
    batches_dropped: int = 0  # in-doubt add batches found not applied

    @property
    def owed_copies(self) -> int:
        return sum(len(s.uris) for steps in self.owed.values() for s in steps)


def recover_created_parts(client: WriteClient, journal: SyncJournal, master_id: str) -> int:
    """Parts an unfinished sync asked Spotify to create without recording the answer: look them up.

    Costs a listing of the user's playlists, and only when such a part exists."""
    found = 0
    for run in journal.unfinished_syncs(master_id):
        for part in run.parts:
            if part.state is PartState.INTENDED and part.playlist_id is None:
                playlist = find_created(client, run, part)
                if playlist is not None:
                    journal.mark_part_created(
                        run.run_id, part.part_index, playlist.id, playlist.url, playlist.snapshot_id
                    )
                    journal.discard_batches(run.run_id, part.part_index)  # its content is read afresh
                    found += 1
    return found


def settle(journal: SyncJournal, master: Master, contents: dict[str, list[str | None]]) -> Settled:
    """Settle every unfinished sync of `master` against the parts as read (`contents`)."""
    index_of = {p.playlist_id: p.index for p in master.parts}
    result = Settled({pid: list(items) for pid, items in contents.items()})
    for run in journal.unfinished_syncs(master.master_id):
        result.superseded.append(run.run_id)
        for part in run.parts:
            pid = part.playlist_id
            if pid is None or pid not in contents:
                continue
            _settle_batch(journal, run, part, contents[pid], result)
            for step in _settle_steps(journal, run, part, contents[pid]):
                placed = _place_owed(result.contents[pid], step)
                result.owed.setdefault(index_of[pid], []).append(placed)
    return result


def _settle_batch(
    journal: SyncJournal, run: RunRecord, part: PartRecord, items: list[str | None], result: Settled
) -> None:
    batch = journal.pending_batch(run.run_id, part.part_index)
    if batch is None:
        return
    uris: list[str | None] = list(
        journal.plan_uris(run.run_id, part.part_index, batch.start_position, batch.end)
    )
    at = part.base_count + batch.start_position
    applied = items[at : at + len(uris)] == uris or _find_run(items, uris) is not None
    journal.record_reconciled(
        run.run_id, part.part_index, batch.start_position, len(uris) if applied else 0, None
    )
    if applied:
        result.batches_applied += 1
    else:
        result.batches_dropped += 1


def _settle_steps(
    journal: SyncJournal, run: RunRecord, part: PartRecord, items: list[str | None]
) -> list[RemovalStep]:
    """Record what the part's removal steps did; return the restores still owed, in order."""
    steps = journal.steps(run.run_id, part.part_index)
    here = Counter(u for u in items if u is not None)
    deleted: dict[str, bool] = {}
    for step in (s for s in steps if s.op == "delete"):
        if step.state == "intended":
            went = [u for u in step.uris if here[u] < step.occurrences.get(u, 0)]
            if went:
                journal.mark_step(step, "done", tool_copies={u: step.tool_copies.get(u, 0) for u in went})
            else:
                journal.mark_step(step, "skipped")
            deleted.update({u: u in went for u in step.uris})
        else:
            deleted.update({u: step.state == "done" for u in step.uris})
    owed: list[RemovalStep] = []
    for step in (s for s in steps if s.op == "restore"):
        if step.state == "done":
            continue
        if step.state == "intended" and _restored(items, step):
            journal.mark_step(step, "done")
            continue
        # A restore of this run's own delete is owed if that delete went through; one carried over
        # from an earlier sync (no delete of its URI here) is owed until done.
        uris = [u for u in step.uris if deleted.get(u, u not in deleted)]
        if uris:
            owed.append(_with(step, uris))
    return owed


def _restored(items: list[str | None], step: RemovalStep) -> bool:
    at = step.position if step.position is not None else -1
    if at >= 0 and items[at : at + len(step.uris)] == step.uris:
        return True
    after = _after_anchor(items, step)
    return after is not None and items[after : after + len(step.uris)] == step.uris


def _after_anchor(items: list[str | None], step: RemovalStep) -> int | None:
    """The position right after the entry the copies follow (0 when they open the part)."""
    if step.anchor_uri is None:
        return 0
    seen = 0
    for i, uri in enumerate(items):
        if uri == step.anchor_uri:
            seen += 1
            if seen == step.anchor_nth:
                return i + 1
    return None


def _place_owed(contents: list[str | None], step: RemovalStep) -> RemovalStep:
    """Put owed copies into `contents` (in place) after their anchor; the step gets the real position."""
    at = _after_anchor(contents, step)
    if at is None:  # the entry they followed is gone too: as close to where they were as possible
        at = min(step.position or 0, len(contents))
    before = len(contents)
    contents[at:at] = list(step.uris)
    return RemovalStep(
        step.run_id, step.part_index, step.op_index, "restore", list(step.uris), at, {}, {}, before, "planned",
        None, step.anchor_uri, step.anchor_nth,
    )  # fmt: skip


def _with(step: RemovalStep, uris: list[str]) -> RemovalStep:
    return RemovalStep(
        step.run_id, step.part_index, step.op_index, step.op, uris, step.position, step.tool_copies,
        step.occurrences, step.expected_before, step.state, step.snapshot_id, step.anchor_uri, step.anchor_nth,
    )  # fmt: skip


def _find_run(items: list[str | None], uris: list[str | None]) -> int | None:
    """Where `uris` sit as a contiguous run in `items`, if anywhere."""
    n = len(uris)
    if not n:
        return None
    first = uris[0]
    for i, uri in enumerate(items):
        if uri == first and items[i : i + n] == uris:
            return i
    return None
