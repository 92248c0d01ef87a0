"""The exact master `sync` must leave, computed in the tests without the tool's code.

A `MasterModel` simulates the master playlist(s) entry by entry: the initial `run`, the user's
hand edits (add, remove, reorder) and each sync, applying the rules the README documents. Song
identity comes from the emulator's ground truth (`Library.song_key`), not from the tool's
matching, and the plan's order and kept copies come from an independent plan (a fresh fetch and
analysis in another data dir). So when the tool and this model agree, they agree from two
directions.

The rules, as the README states them: a song the tool added and the user removed never comes
back; a song the user added is never added by the tool; new songs (or new repeats of a weighted
song) are appended in plan order, filling the last part up to the cap, then new parts; with
--prune the tool's copies of songs gone from the sources, and its copies beyond a song's weight,
are removed (the latest first); hand copies are never removed. In a part holding more copies of
a URI than the tool added, the earliest copies count as the tool's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

CAP = 10_000


@dataclass
class MasterModel:
    parts: list[list[str | None]]
    ledger: list[Counter[str]] = field(default_factory=list)
    base_name: str = "Master"
    names: list[str] = field(default_factory=list)

    @classmethod
    def after_run(cls, parts: list[list[str]], names: list[str], base_name: str) -> MasterModel:
        return cls([list(p) for p in parts], [Counter(p) for p in parts], base_name, list(names))

    @classmethod
    def adopted(cls, contents: list[str | None], name: str) -> MasterModel:
        return cls([list(contents)], [Counter()], name, [name])

    # -- the user's hand edits ---------------------------------------------------------------------

    def hand_add(self, part: int, uris: list[str], position: int | None = None) -> None:
        at = len(self.parts[part]) if position is None else position
        self.parts[part][at:at] = list(uris)

    def hand_remove(self, part: int, positions: list[int]) -> None:
        drop = set(positions)
        self.parts[part] = [u for i, u in enumerate(self.parts[part]) if i not in drop]

    def hand_reorder(self, part: int, start: int, before: int, length: int = 1) -> None:
        items = self.parts[part]
        moved = items[start : start + length]
        rest = items[:start] + items[start + length :]
        at = before if before <= start else before - length
        self.parts[part] = rest[:at] + moved + rest[at:]

    # -- one sync ----------------------------------------------------------------------------------

    def sync(
        self,
        plan: list[str],
        key: Callable[[str], str | None],
        *,
        prune: bool = False,
        cap: int = CAP,
    ) -> None:
        """Apply one sync against the plan of the current sources (`plan`: URIs in plan order)."""

        def song(uri: str) -> str:
            return key(uri) or uri

        wanted = Counter(song(u) for u in plan)  # the plan repeats a song as often as its weight
        tool_added: Counter[str] = Counter()  # song -> copies the tool added (kept or removed since)
        present: Counter[str] = Counter()  # song -> copies in the master now
        accounted: Counter[str] = Counter()  # song -> sum over parts and URIs of max(added, present)
        for items, led in zip(self.parts, self.ledger, strict=True):
            here = Counter(u for u in items if u is not None)
            for u in set(here) | set(led):
                tool_added[song(u)] += led[u]
                present[song(u)] += here[u]
                accounted[song(u)] += max(led[u], here[u])

        # Appends: per song, how many of its last plan copies.
        extra: dict[str, int] = {}
        for s, w in wanted.items():
            if tool_added[s] and not present[s]:
                continue  # removed by hand
            if present[s] and not tool_added[s]:
                continue  # added by hand
            if w > accounted[s]:
                extra[s] = w - accounted[s]
        chosen: list[int] = []
        for s, n in extra.items():
            chosen += [i for i, u in enumerate(plan) if song(u) == s][-n:]
        appends = [plan[i] for i in sorted(chosen)]

        # Removals: the tool's copies beyond the weight (0 for a song gone from the sources).
        if prune:
            tool_copies: dict[str, list[tuple[int, int]]] = {}
            for p, (items, led) in enumerate(zip(self.parts, self.ledger, strict=True)):
                seen: Counter[str] = Counter()
                for i, item in enumerate(items):
                    if item is None:
                        continue
                    seen[item] += 1
                    if seen[item] <= led[item]:
                        tool_copies.setdefault(song(item), []).append((p, i))
            drop: dict[int, set[int]] = {}
            for s, where in tool_copies.items():
                excess = len(where) - wanted[s]
                for p, i in sorted(where)[len(where) - excess :] if excess > 0 else []:
                    drop.setdefault(p, set()).add(i)
                    self.ledger[p][self.parts[p][i]] -= 1  # type: ignore[index]
            for p, gone in drop.items():
                self.parts[p] = [u for i, u in enumerate(self.parts[p]) if i not in gone]
            for led in self.ledger:
                for u in [u for u, n in led.items() if n <= 0]:
                    del led[u]

        # Fill the last part, then new parts named like the others.
        room = max(0, cap - len(self.parts[-1]))
        self.parts[-1] += appends[:room]
        self.ledger[-1].update(appends[:room])
        rest = appends[room:]
        chunks = [rest[i : i + cap] for i in range(0, len(rest), cap)]
        total = len(self.parts) + len(chunks)
        for chunk in chunks:
            self.parts.append(list(chunk))
            self.ledger.append(Counter(chunk))
            self.names.append(f"{self.base_name} ({len(self.parts)}/{total})")
