"""The shortcut of an unchanged sync: the same snapshots and options as when the master was last in step.

A sync's delta depends only on what the sources and parts hold (their snapshot_ids say whether
that moved), the ledger (which only our own writes change, and they move the parts' snapshots),
and the options. So once a sync has left a master up to date, a later sync that finds every
snapshot and option as it left them is up to date too, without reading a page or analysing
anything: its cost is the snapshot check alone. (That a sync leaves its master up to date, i.e.
that planning again at once finds nothing to do, is a property the delta tests check.)
"""

from __future__ import annotations

import json
from typing import Any

from spotify_merger.store.database import Database


def _key(master_id: str) -> str:
    return f"sync_state:{master_id}"


def fingerprint(
    db: Database, sources: list[str], parts: list[str], options: dict[str, Any], prune: bool, cap: int
) -> dict[str, Any]:
    """The state as stored now: each source's and part's snapshot_id, and the options."""
    ids = [*sources, *parts]
    rows = dict(
        db.fetchall(f"SELECT id, snapshot_id FROM playlists WHERE id IN ({', '.join('?' for _ in ids)})", ids)
    )
    return {
        "sources": {s: rows.get(s) for s in sources},
        "parts": {p: rows.get(p) for p in parts},
        "options": options,
        "prune": prune,
        "cap": cap,
    }


def remember(db: Database, master_id: str, state: dict[str, Any], notes: dict[str, int]) -> None:
    """Record that the master is up to date for `state`; `notes`: what the report listed then."""
    db.set_meta(_key(master_id), json.dumps({"state": state, "notes": notes}, sort_keys=True))


def recall(db: Database, master_id: str, state: dict[str, Any]) -> dict[str, int] | None:
    """The notes of the last up-to-date state if `state` is that state (snapshots as probed now)."""
    raw = db.get_meta(_key(master_id))
    if not raw:
        return None
    saved = json.loads(raw)
    if saved.get("state") != json.loads(json.dumps(state, sort_keys=True)):
        return None
    return {str(k): int(v) for k, v in (saved.get("notes") or {}).items()}


def never_synced(db: Database, master_id: str) -> bool:
    """No sync of this master ever started (its journal holds only the run or adoption that began it)."""
    row = db.fetchone("SELECT count(*) FROM write_runs WHERE master_id = ? AND kind = 'sync'", [master_id])
    return not row or not row[0]


def forget(db: Database, master_id: str) -> None:
    db.execute("DELETE FROM meta WHERE key = ?", [_key(master_id)])
