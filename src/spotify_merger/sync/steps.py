"""The removal steps of a sync, as the journal stores them (`write_removals`).

Removing a URI from a part is a delete (every occurrence goes, as Spotify's DELETE does), then, for
the copies that stay, a restore: an add at the position they had. Each step carries what checking
it needs after a lost answer or a kill: the part's size before it, the copies of each URI it
deletes, and, for a restore, the entry it follows (its anchor), so it can be put back in the right
place even after other edits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spotify_merger.sync.delta import Delta, PartDelta
from spotify_merger.write.journal import MAX_BATCH


@dataclass
class RemovalStep:
    run_id: str
    part_index: int
    op_index: int
    op: str  # delete | restore
    uris: list[str]
    position: int | None  # restore: position in the part once every step before it is done
    tool_copies: dict[str, int]  # delete: the tool's copies of each URI removed for good
    occurrences: dict[str, int]  # delete: copies of each URI in the part before the delete
    expected_before: int  # the part's length before this step
    state: str  # planned | intended | done | skipped
    snapshot_id: str | None
    anchor_uri: str | None  # restore: the entry just before the copies put back (None: the start)
    anchor_nth: int  # restore: which occurrence of anchor_uri (1-based)


def delta_hash(master_id: str, delta: Delta) -> str:
    h = hashlib.sha256(master_id.encode())
    for p in delta.parts:
        h.update(json.dumps([p.index, p.playlist_id, [r.uri for r in p.removals], p.appends]).encode())
    return h.hexdigest()


def step_rows(p: PartDelta) -> list[dict[str, Any]]:
    """Delete every URI leaving the part (at most 100 a request), then put back the copies that stay."""
    rows: list[dict[str, Any]] = []
    size = len(p.before)
    by_uri = {r.uri: r for r in p.removals}
    uris = p.delete_uris
    for i in range(0, len(uris), MAX_BATCH):
        chunk = uris[i : i + MAX_BATCH]
        copies = {u: len(by_uri[u].removed) for u in chunk}
        counts = {u: len(by_uri[u].occurrences) for u in chunk}
        rows.append(
            {
                "op": "delete",
                "uris": chunk,
                "tool_copies": copies,
                "occurrences": counts,
                "expected_before": size,
            }
        )
        size -= sum(len(by_uri[u].occurrences) for u in chunk)
    final = p.after_removals
    for position, run in p.restores():
        # The entry just before the copies put back, to find the place again if a kill interrupts.
        anchor = final[position - 1] if position else None
        nth = sum(1 for u in final[:position] if u == anchor) if anchor else 0
        rows.append(
            {
                "op": "restore",
                "uris": run,
                "position": position,
                "expected_before": size,
                "anchor": (anchor, nth),
            }
        )
        size += len(run)
    return rows


def carried_rows(steps: list[RemovalStep]) -> list[dict[str, Any]]:
    """Restore steps an interrupted sync owes, carried into this one, first on their part."""
    return [
        {
            "op": "restore",
            "uris": s.uris,
            "position": s.position,
            "expected_before": s.expected_before,
            "anchor": (s.anchor_uri, s.anchor_nth),
        }
        for s in steps
    ]


def step_of(r: Sequence[Any]) -> RemovalStep:
    copies = {k: int(v) for k, v in json.loads(r[6] or "{}").items()}
    occurrences = {k: int(v) for k, v in json.loads(r[7] or "{}").items()}
    return RemovalStep(
        str(r[0]), int(r[1]), int(r[2]), str(r[3]), json.loads(r[4]), r[5], copies, occurrences, int(r[8]),
        str(r[9]), r[10], r[11], int(r[12]),
    )  # fmt: skip
