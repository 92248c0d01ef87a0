"""What sync shows: the delta per part before asking, the one-line summary, the JSON summary.

Every name and title here comes from Spotify or the user, so it is printed as data (no markup).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

from spotify_merger.context import Environment
from spotify_merger.display import clean, quote
from spotify_merger.report.sync_page import SyncDelta, SyncPartRow, SyncReport, SyncSongNote, render_sync_html
from spotify_merger.store.database import Database
from spotify_merger.store.files import write_json, write_text_atomic
from spotify_merger.sync.delta import Delta, SongNote
from spotify_merger.sync.record import Master, MasterPart, Written

SAMPLE = 5
SYNC_JSON = "sync_report.json"
SYNC_HTML = "sync_report.html"
SUMMARY_JSON = "sync_summary.json"


@dataclass
class SyncSummary:
    """The machine-readable summary (`--json`, exports/sync_summary.json) and the one line."""

    status: str  # up-to-date | synced | dry-run
    master: str
    master_id: str | None
    adopted: bool
    parts: list[dict[str, Any]]
    added: int
    pruned: int
    new_parts: list[str]
    removed_by_hand: int
    added_by_hand: int
    gone_from_sources: int
    gone_kept: int
    over_weight_pruned: int
    restored_after_interruption: int
    rounds: int
    verified: bool
    api_calls: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    prune: bool = False

    @property
    def api_calls_total(self) -> int:
        return sum(self.api_calls.values())

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["api_calls_total"] = self.api_calls_total
        return doc

    def to_json(self) -> dict[str, Any]:
        """The `sync --json` document's fields (beside `command` and `ok`)."""
        return self.to_dict()

    def line(self) -> str:
        name = quote(self.master)
        calls = f"{self.api_calls_total:,} API call{'s' if self.api_calls_total != 1 else ''}"
        entries = sum(int(p.get("entries") or 0) for p in self.parts)
        if self.status == "up-to-date":
            head = f"sync: {name} is up to date ({len(self.parts)} part{'s' if len(self.parts) != 1 else ''}, {entries:,} entries)"
        else:
            verb = "would add" if self.status == "dry-run" else "added"
            head = f"sync: {name}: {verb} {self.added:,}"
            if self.prune or self.pruned:
                head += f", {'would prune' if self.status == 'dry-run' else 'pruned'} {self.pruned:,}"
            if self.new_parts:
                head += f" (new part{'s' if len(self.new_parts) > 1 else ''}: {', '.join(map(quote, self.new_parts))})"
        notes = []
        if self.removed_by_hand:
            notes.append(f"{self.removed_by_hand:,} removed by hand")
        if self.added_by_hand:
            notes.append(f"{self.added_by_hand:,} added by hand")
        if self.gone_kept:
            notes.append(f"{self.gone_kept:,} gone from the sources (kept)")
        tail = f"; {', '.join(notes)}" if notes else ""
        done = "; verified" if self.status == "synced" and self.verified else ""
        done += "; nothing written" if self.status == "dry-run" else ""
        return f"{head}{tail}{done}; {calls}"


def summarize(
    status: str,
    *,
    master: Master,
    state_delta: Delta,
    parts: Sequence[MasterPart],
    sizes: dict[int, int],
    written: Written,
    rounds: int,
    verified: bool,
    calls: dict[str, int],
    sources: Sequence[str],
    options: dict[str, Any],
    prune: bool,
    notes: dict[str, int] | None = None,
    restored: int = 0,
) -> SyncSummary:
    """The summary: what was written (from the journal), and the notes of the last plan (or of the
    last one that read the master, when nothing moved since)."""
    last = state_delta
    counts = notes or {
        "removed_by_hand": sum(n.copies for n in last.removed_by_hand),
        "added_by_hand": len(last.added_by_hand),
        "gone_from_sources": len(last.gone_from_sources),
    }
    dry = status == "dry-run"
    return SyncSummary(
        status=status,
        master=master.base_name,
        master_id=master.master_id or None,
        adopted=master.kind == "adopt",
        parts=[
            {
                "index": p.index,
                "id": p.playlist_id,
                "name": p.name,
                "entries": sizes.get(p.index, 0),
                "url": f"https://open.spotify.com/playlist/{p.playlist_id}",
            }
            for p in parts
        ],
        added=last.added if dry else written.added,
        pruned=last.removed if dry else written.pruned,
        new_parts=[p.name for p in last.new_parts if p.appends] if dry else written.new_parts,
        removed_by_hand=counts["removed_by_hand"],
        added_by_hand=counts["added_by_hand"],
        gone_from_sources=counts["gone_from_sources"],
        gone_kept=0 if prune else counts["gone_from_sources"],
        over_weight_pruned=len(last.over_weight) if prune else 0,
        restored_after_interruption=restored,
        rounds=rounds,
        verified=verified,
        api_calls=dict(sorted(calls.items())),
        sources=list(sources),
        options=dict(options),
        prune=prune,
    )


def song_names(db: Database, delta: Delta) -> dict[str, str]:
    """'Title — Artist' of the songs the report lists, from the stored catalogue."""
    uris = {
        n.uri
        for notes in (delta.new_songs, delta.removed_by_hand, delta.added_by_hand, delta.gone_from_sources)
        for n in notes
        if n.uri
    }
    if not uris:
        return {}
    rows = db.fetchall(
        "SELECT uri, name, primary_artist_name FROM tracks WHERE uri IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(uris)],
    )
    return {str(u): f"{n} — {a}" if a else str(n) for u, n, a in rows if n}


def export_report(
    env: Environment, master: Master, delta: Delta, names: dict[str, str], *, adopting: bool
) -> None:
    """The exports' sync section: exports/sync_report.json (every song each list names) and the page
    exports/sync_report.html."""
    doc: SyncReport = {
        "master": master.base_name,
        "master_id": master.master_id or None,
        "adopting": adopting,
        "prune": delta.pruned,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "delta": delta_document(delta, names),
    }
    write_json(env.exports_dir / SYNC_JSON, doc)
    write_text_atomic(env.exports_dir / SYNC_HTML, render_sync_html(doc))


def delta_document(delta: Delta, names: dict[str, str] | None = None) -> SyncDelta:
    """The delta as the exports hold it: per part, then the songs each list names."""
    known = names or {}

    def notes(items: list[SongNote]) -> list[SyncSongNote]:
        return [
            {"uri": n.uri, "name": known.get(n.uri or ""), "part": n.part, "copies": n.copies} for n in items
        ]

    parts: list[SyncPartRow] = [
        {
            "index": p.index,
            "name": p.name,
            "playlist_id": p.playlist_id,
            "new": p.is_new,
            "entries_before": len(p.before),
            "entries_after": len(p.after),
            "adds": len(p.appends),
            "prunes": p.pruned,
            "removed_uris": [r.uri for r in p.removals],
        }
        for p in delta.parts
    ]
    return {
        "parts": parts,
        "added": delta.added,
        "pruned": delta.removed,
        "new_songs": notes(delta.new_songs),
        "removed_by_hand": notes(delta.removed_by_hand),
        "added_by_hand": notes(delta.added_by_hand),
        "gone_from_sources": notes(delta.gone_from_sources),
        "over_weight": notes(delta.over_weight),
        "pruning": delta.pruned,
    }


def show_delta(
    env: Environment, delta: Delta, *, master: str, adopting: bool, owed: int, names: dict[str, str]
) -> None:
    """The dry run of a sync: per part what is added and pruned, then the hand edits detected."""
    if env.quiet:
        return
    console = env.stderr
    title = Text("Sync preview: ")
    title.append(clean(master), style="bold cyan")
    console.print(title)
    if adopting:
        console.print(
            "Adopting a playlist spotify-merger did not make: everything in it counts as added by hand.",
            highlight=False,
        )
    if owed:
        console.print(
            f"An interrupted sync left {owed:,} entries to put back; they go back first.", highlight=False
        )
    table = Table(show_header=True)
    for col, justify in (
        ("Part", "left"),
        ("Now", "right"),
        ("Add", "right"),
        ("Prune", "right"),
        ("After", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for p in delta.parts:
        label = Text(clean(p.name) + (" (new)" if p.is_new else ""))
        table.add_row(
            label, f"{len(p.before):,}", f"{len(p.appends):,}", f"{p.pruned:,}", f"{len(p.after):,}"
        )
    console.print(table)
    _print_notes(env, delta, names)


def _print_notes(env: Environment, delta: Delta, names: dict[str, str]) -> None:
    gone = "pruned" if delta.pruned else "kept; --prune removes them"
    sections = [
        ("New songs, appended in plan order", delta.new_songs),
        ("Removed by hand (never added again)", delta.removed_by_hand),
        ("Added by hand (kept, never duplicated)", delta.added_by_hand),
        (f"Gone from the sources ({gone})", delta.gone_from_sources),
        ("Repeats beyond the current weight (pruned)", delta.over_weight),
    ]
    for heading, items in sections:
        if not items:
            continue
        env.stderr.print(Text(f"{heading}: {len(items):,}", style="bold"))
        for n in items[:SAMPLE]:
            what = clean(names.get(n.uri or "") or n.uri or "(an entry Spotify no longer plays)")
            extra = f" ×{n.copies}" if n.copies > 1 else ""
            env.stderr.print(Text(f"  • {what}{extra} (part {n.part})"))
        if len(items) > SAMPLE:
            env.stderr.print(Text(f"  … and {len(items) - SAMPLE:,} more (see exports/sync_report.json)"))
