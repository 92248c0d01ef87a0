"""The sync delta: what `sync` changes in a master, computed from plain data (no I/O, no database).

Inputs: the current plan (in order, each entry with its song), the master's parts as they are
now (their entries in order) and, per part, the ledger: how many copies of each URI the tool
added there and has not removed itself. "Song" is the identity the matching rules give (the
caller computes it over the sources, the master and the ledger together, so a song matches
whatever it would match in `run`). The rules, per song s:

- w(s): copies the plan wants: 1, or with --keep-weights its weight in its heaviest source (the
  largest number of plan entries of one plan song matched to s).
- a(u), p(u): per part and URI, copies the tool added (ledger) and copies there now. The first
  min(a, p) occurrences of u in a part count as the tool's, the rest as added by hand.
- T(s) = sum of a, P(s) = sum of p, accounted(s) = sum of max(a, p): every copy the tool added
  (kept or removed by hand) plus every copy added by hand.

1. Removed by hand: T(s) > 0 and P(s) = 0. Listed, never added again.
2. Added by hand: T(s) = 0 and P(s) > 0. Kept, never pruned, and never added again by the tool.
3. Otherwise the tool appends max(0, w(s) - accounted(s)) copies: a new song gets w(s), a
   weighted song whose weight grew gets the difference. The copies are the plan's last ones of
   that song, and all appended copies keep plan order.
4. Gone from the sources: the tool's copies of a song the plan no longer holds. Kept and listed;
   with prune, removed.
5. Over weight (prune only): the tool's copies of a planned song beyond w(s); the last ones (by
   part, then position) are removed. Copies added by hand are never removed.

Appended entries fill the last part up to the cap, then new parts "NAME (k/m)". Existing entries
are never reordered. Removal is by URI (Spotify's DELETE removes every occurrence of a URI), so
each removed URI is deleted and its copies that stay are put back at their final positions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from spotify_merger.write.journal import MAX_BATCH

MAX_PART_ITEMS = 10_000


@dataclass(frozen=True)
class PlanEntry:
    """One entry of the current plan: its URI, its song (across sources, master and ledger), and the
    plan song it belongs to (the source-only grouping; the weight of a song is counted per plan song)."""

    uri: str
    song: str
    plan_song: str


@dataclass
class PartContents:
    """A master part as it is now, and what the tool added to it."""

    index: int  # 1-based
    playlist_id: str
    name: str
    contents: list[str | None]  # URIs in order; None for an unavailable entry
    ledger: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Removal:
    """One URI leaving one part: every occurrence is deleted, the ones not in `removed` come back."""

    uri: str
    occurrences: tuple[int, ...]  # positions before the sync
    removed: tuple[int, ...]  # positions of the copies removed for good
    reason: str  # gone | over-weight

    @property
    def kept(self) -> tuple[int, ...]:
        return tuple(p for p in self.occurrences if p not in set(self.removed))


@dataclass
class PartDelta:
    index: int
    name: str
    playlist_id: str | None  # None: a new part
    before: list[str | None]
    removals: list[Removal] = field(default_factory=list)
    appends: list[str] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.playlist_id is None

    @property
    def removed_positions(self) -> set[int]:
        return {p for r in self.removals for p in r.removed}

    @property
    def after_removals(self) -> list[str | None]:
        gone = self.removed_positions
        return [u for i, u in enumerate(self.before) if i not in gone]

    @property
    def after(self) -> list[str | None]:
        return self.after_removals + list(self.appends)

    @property
    def delete_uris(self) -> list[str]:
        return [r.uri for r in self.removals]

    def restores(self) -> list[tuple[int, list[str]]]:
        """(position in the final part, URIs) runs to put back after the deletes, in ascending order.

        Inserting them in this order is exact: when a run goes in at position f, everything
        before f in the final part is already in place."""
        deleted = set(self.delete_uris)
        gone = self.removed_positions
        runs: list[tuple[int, list[str]]] = []
        final = 0
        last = -2
        for i, uri in enumerate(self.before):
            if i in gone:
                continue
            if uri is not None and uri in deleted:
                if runs and last == final - 1 and len(runs[-1][1]) < MAX_BATCH:
                    runs[-1][1].append(uri)
                else:
                    runs.append((final, [uri]))
                last = final
            final += 1
        return runs

    @property
    def touched_from(self) -> int | None:
        """The first position this sync changes (None: untouched)."""
        firsts = [min(r.occurrences) for r in self.removals]
        if self.appends:
            firsts.append(len(self.after_removals))
        return min(firsts) if firsts else None

    @property
    def pruned(self) -> int:
        return len(self.removed_positions)


@dataclass(frozen=True)
class SongNote:
    """A song the report lists: where, which URIs, how many copies."""

    song: str
    uri: str | None
    part: int
    copies: int = 1


@dataclass
class Delta:
    parts: list[PartDelta]
    new_songs: list[SongNote] = field(default_factory=list)  # songs (or repeats) appended
    removed_by_hand: list[SongNote] = field(default_factory=list)
    added_by_hand: list[SongNote] = field(default_factory=list)
    gone_from_sources: list[SongNote] = field(default_factory=list)
    over_weight: list[SongNote] = field(default_factory=list)
    pruned: bool = False

    @property
    def added(self) -> int:
        return sum(len(p.appends) for p in self.parts)

    @property
    def removed(self) -> int:
        return sum(p.pruned for p in self.parts)

    @property
    def new_parts(self) -> list[PartDelta]:
        return [p for p in self.parts if p.is_new]

    @property
    def touched(self) -> list[PartDelta]:
        return [p for p in self.parts if p.appends or p.removals]

    @property
    def up_to_date(self) -> bool:
        return not self.touched


@dataclass
class _Copy:
    part: int
    position: int
    uri: str
    tool: bool


def part_name(base: str, index: int, total: int) -> str:
    return f"{base} ({index}/{total})"


def plan_delta(
    plan: Sequence[PlanEntry],
    parts: Sequence[PartContents],
    song_of: Mapping[str, str],
    *,
    prune: bool,
    base_name: str,
    cap: int = MAX_PART_ITEMS,
) -> Delta:
    """The delta for one master; see the module docstring for the rules."""
    if not parts:
        raise ValueError("a master has at least one part")
    if cap < 1:
        raise ValueError("cap must be at least 1")

    def song(uri: str) -> str:
        return song_of.get(uri) or f"uri:{uri}"

    copies = _label_copies(parts)
    wanted, chosen = _weights(plan)
    delta = Delta(parts=[], pruned=prune)
    _notes(delta, parts, copies, song, wanted)
    take = _to_append(parts, copies, song, wanted)
    removed = _to_prune(delta, copies, song, wanted) if prune else {}
    for part in parts:
        delta.parts.append(
            PartDelta(part.index, part.name, part.playlist_id, list(part.contents), _removals(part, removed))
        )
    _place(delta, _pick(plan, chosen, take), base_name, cap)
    first_uri: dict[str, str] = {}
    for e in plan:
        first_uri.setdefault(e.plan_song, e.uri)
    part_of = {uri: p.index for p in delta.parts for uri in p.appends}
    for s, n in take.items():
        uri = first_uri[chosen[s]]
        delta.new_songs.append(SongNote(s, uri, part_of.get(uri, delta.parts[-1].index), n))
    return delta


def _to_append(
    parts: Sequence[PartContents], copies: list[_Copy], song: Callable[[str], str], wanted: dict[str, int]
) -> dict[str, int]:
    """Copies to append per song: w(s) - accounted(s), unless removed or added by hand."""
    present: Counter[str] = Counter(song(c.uri) for c in copies)
    added: Counter[str] = Counter()
    accounted: Counter[str] = Counter()
    for part in parts:
        here = Counter(u for u in part.contents if u is not None)
        for uri in set(here) | set(part.ledger):
            a, p = part.ledger.get(uri, 0), here.get(uri, 0)
            added[song(uri)] += a
            accounted[song(uri)] += max(a, p)
    take: dict[str, int] = {}
    for s, w in wanted.items():
        by_hand = (added[s] > 0) != (present[s] > 0)  # removed by hand, or added by hand
        if not by_hand and w > accounted[s]:
            take[s] = w - accounted[s]
    return take


_Removed = dict[int, dict[str, tuple[list[int], str]]]  # part -> uri -> (positions removed, reason)


def _to_prune(
    delta: Delta, copies: list[_Copy], song: Callable[[str], str], wanted: dict[str, int]
) -> _Removed:
    """The tool's copies beyond each song's weight (all of them when it left the sources), latest first."""
    removed: _Removed = defaultdict(dict)
    by_song: dict[str, list[_Copy]] = defaultdict(list)
    for c in copies:
        if c.tool:
            by_song[song(c.uri)].append(c)
    for s, tool_copies in by_song.items():
        excess = len(tool_copies) - wanted.get(s, 0)
        if excess <= 0:
            continue
        reason = "over-weight" if s in wanted else "gone"
        for c in sorted(tool_copies, key=lambda c: (c.part, c.position))[-excess:]:
            removed[c.part].setdefault(c.uri, ([], reason))[0].append(c.position)
            if reason == "over-weight":
                delta.over_weight.append(SongNote(s, c.uri, c.part))
    return removed


def _removals(part: PartContents, removed: _Removed) -> list[Removal]:
    occurrences: dict[str, list[int]] = defaultdict(list)
    for i, entry in enumerate(part.contents):
        if entry is not None:
            occurrences[entry].append(i)
    mine = removed.get(part.index, {})
    return [
        Removal(uri, tuple(occurrences[uri]), tuple(sorted(pos)), reason)
        for uri, (pos, reason) in sorted(mine.items(), key=lambda kv: min(kv[1][0]))
    ]


def _label_copies(parts: Sequence[PartContents]) -> list[_Copy]:
    """Every entry with a URI; in each part the first min(a, p) occurrences of a URI are the tool's."""
    out: list[_Copy] = []
    for part in parts:
        seen: Counter[str] = Counter()
        for i, uri in enumerate(part.contents):
            if uri is None:
                continue
            seen[uri] += 1
            out.append(_Copy(part.index, i, uri, seen[uri] <= part.ledger.get(uri, 0)))
    return out


def _weights(plan: Sequence[PlanEntry]) -> tuple[dict[str, int], dict[str, str]]:
    """w(s) per song, and the plan song that sets it (the heaviest; ties: the first in plan order)."""
    per_plan_song: Counter[str] = Counter(e.plan_song for e in plan)
    wanted: dict[str, int] = {}
    chosen: dict[str, str] = {}
    for e in plan:
        w = per_plan_song[e.plan_song]
        if e.song not in wanted or w > wanted[e.song]:
            wanted[e.song] = w
            chosen[e.song] = e.plan_song
    return wanted, chosen


def _pick(plan: Sequence[PlanEntry], chosen: dict[str, str], take: dict[str, int]) -> list[str]:
    """The last `take[s]` plan entries of each song's chosen plan song, in plan order."""
    positions: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(plan):
        if e.song in take and chosen[e.song] == e.plan_song:
            positions[e.song].append(i)
    picked = sorted(i for s, pos in positions.items() for i in pos[-take[s] :])
    return [plan[i].uri for i in picked]


def _place(delta: Delta, appended: list[str], base_name: str, cap: int) -> None:
    """Fill the last part up to the cap, then open new parts of at most `cap` entries each."""
    last = delta.parts[-1]
    room = max(0, cap - len(last.after_removals))
    last.appends = appended[:room]
    rest = appended[room:]
    chunks = [rest[i : i + cap] for i in range(0, len(rest), cap)]
    total = len(delta.parts) + len(chunks)
    for chunk in chunks:
        index = len(delta.parts) + 1
        delta.parts.append(PartDelta(index, part_name(base_name, index, total), None, [], [], list(chunk)))


def _notes(
    delta: Delta,
    parts: Sequence[PartContents],
    copies: list[_Copy],
    song: Callable[[str], str],
    wanted: dict[str, int],
) -> None:
    """What the report lists besides the writes: hand edits and songs gone from the sources."""
    for part in parts:
        here = Counter(u for u in part.contents if u is not None)
        for uri, a in sorted(part.ledger.items()):
            missing = a - here.get(uri, 0)
            if missing > 0:
                delta.removed_by_hand.append(SongNote(song(uri), uri, part.index, missing))
        for i, entry in enumerate(part.contents):
            if entry is None:  # an entry Spotify no longer plays: the tool never adds those
                delta.added_by_hand.append(SongNote(f"unavailable:{part.index}:{i}", None, part.index))
    for c in copies:
        s = song(c.uri)
        if not c.tool:
            delta.added_by_hand.append(SongNote(s, c.uri, c.part))
        elif s not in wanted:
            delta.gone_from_sources.append(SongNote(s, c.uri, c.part))
