"""A small world for sync tests: an emulator, a data dir with a verified `run`, and the oracle.

Every edit a test makes to the master goes to both the emulator (as the user would make it in
the app) and the `MasterModel`; every sync is followed by the model's sync against a plan
computed independently (a fresh fetch and analysis in another data dir), with song identity
from the emulator's ground truth. `check()` then compares the master entry by entry.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path
from typing import Any

from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
from spotify_merger.context import Environment
from spotify_merger.emulator import Emulator
from spotify_merger.fetch import fetch_sources
from spotify_merger.masters import sync_master
from spotify_merger.pipeline import RunOptions, run_merge
from spotify_merger.store.database import Database
from spotify_merger.sync.engine import SyncOptions
from spotify_merger.sync.present import SyncSummary
from sync_oracle import CAP, MasterModel

_dirs = itertools.count(1)


class World:
    def __init__(
        self,
        emu: Emulator,
        root: Path,
        *,
        name: str = "Synced",
        keep_weights: bool = False,
        cap: int | None = None,
        run: bool = True,
        exclude_playlist: str | None = None,
    ) -> None:
        self.emu = emu
        self.root = root
        self.env = Environment.for_tests(root / "data", emu.env())
        self.cap = cap
        self.options = MergeOptions(keep_weights=keep_weights)
        self.rng = random.Random(7)
        self.parts: list[str] = []
        self.calls: Counter[tuple[str, str, int]] = Counter()
        self.model: MasterModel | None = None
        if run:
            outcome = run_merge(
                self.env,
                RunOptions(
                    yes=True, name=name, keep_weights=keep_weights, cap=cap, exclude_playlist=exclude_playlist
                ),
            )
            self.parts = [p.id for p in outcome.playlists]
            names = [p.name for p in outcome.playlists]
            self.model = MasterModel.after_run([self.uris(p) for p in self.parts], names, name)

    # -- reading the emulator ---------------------------------------------------------------------

    def uris(self, pid: str) -> list[Any]:
        return list(self.emu.playlist_uris(pid))

    def key(self, uri: str) -> str | None:
        return self.emu.library.song_key(uri)

    def independent_plan(self) -> list[str]:
        env = Environment.for_tests(self.root / f"independent{next(_dirs)}", self.emu.env())
        env.ensure_dirs()
        sources = list(self.emu.playlist_ids)
        with Database(env.db_path) as db:
            fetch_sources(env, sources, db=db, features=False)
            with SpotifyAnalyzer(db, sources, self.options) as analyzer:
                return list(analyzer.plan().uris)

    def fresh_uris(self, n: int, *, same_song_as: str | None = None) -> list[str]:
        """Catalogue tracks in no source and not in the master (new songs, or copies of one song)."""
        taken = {u for pid in self.emu.all_playlist_ids() for u in self.emu.playlist_uris(pid) if u}
        tracks = self.emu.library.tracks
        keys = {self.key(u) for u in taken}
        out = []
        for tid, t in sorted(tracks.items()):
            uri = f"spotify:track:{tid}"
            if uri in taken or t.get("relink_to"):
                continue
            if same_song_as is not None:
                if t["song_key"] == self.key(same_song_as):
                    out.append(uri)
            elif t["song_key"] not in keys:
                out.append(uri)
                keys.add(t["song_key"])
            if len(out) == n:
                break
        return out

    # -- edits, on both sides ---------------------------------------------------------------------

    def hand_add(self, part: int, uris: list[str], position: int | None = None) -> None:
        assert self.model is not None
        pid = self.parts[part]
        at = len(self.uris(pid)) if position is None else position
        self.emu.insert_items(pid, uris, at)
        self.model.hand_add(part, uris, at)

    def hand_remove(self, part: int, positions: list[int]) -> None:
        assert self.model is not None
        self.emu.edit_playlist(self.parts[part], remove_positions=positions)
        self.model.hand_remove(part, positions)

    def hand_reorder(self, part: int, start: int, before: int, length: int = 1) -> None:
        assert self.model is not None
        self.emu.reorder_playlist(self.parts[part], start, before, length)
        self.model.hand_reorder(part, start, before, length)

    # -- syncing ------------------------------------------------------------------------------------

    def sync(self, *, prune: bool = False, model: bool = True, **kwargs: Any) -> SyncSummary:
        before = self.emu.counter.copy()
        summary = sync_master(self.env, SyncOptions(yes=True, prune=prune, cap=self.cap, **kwargs))
        # The sync's own Web API requests, before the oracle's independent fetch adds its own.
        self.calls = Counter(
            {k: n for k, n in (self.emu.counter - before).items() if k[1].startswith("/v1/")}
        )
        self.parts = [str(p["id"]) for p in summary.parts]
        if model and not kwargs.get("dry_run"):
            self.expect(prune=prune)
        return summary

    def expect(self, *, prune: bool = False) -> None:
        assert self.model is not None
        self.model.sync(self.independent_plan(), self.key, prune=prune, cap=self.cap or CAP)

    def check(self) -> None:
        assert self.model is not None
        actual = [self.uris(p) for p in self.parts]
        assert len(actual) == len(self.model.parts), (len(actual), len(self.model.parts))
        for i, (got, want) in enumerate(zip(actual, self.model.parts, strict=True)):
            if got != want:
                first = next((j for j, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
                raise AssertionError(
                    f"part {i + 1}: {len(got)} entries, expected {len(want)}; first difference at {first}"
                )
        assert [self.emu.playlist(p)["name"] for p in self.parts] == self.model.names
