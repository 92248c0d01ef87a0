"""The one read the write step needs from the library, sent while the analysis still runs.

Before it creates anything, `run` needs the names already in the user's library (a new master
never takes one, see `_existing.free_master_name`) and, with `--yes`, proof that no source moved
since it was fetched (`execute.check_sources_unchanged`). One scan of `/me/playlists` answers
both: each listed playlist carries its current `snapshot_id`. `run` starts that scan the moment
the fetch ends, so it travels while the analysis and the report are computed instead of after.

It runs in a daemon thread: a scan still waiting (a long `Retry-After`) never keeps an
interrupted `run` from exiting. Whatever goes wrong with it, the write step asks again itself.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections.abc import Mapping, Sequence

from spotify_merger.spotify.ids import LIKED
from spotify_merger.spotify.models import PlaylistInfo
from spotify_merger.write.journal import UNFINISHED, Journal, RunKind, RunStatus
from spotify_merger.write.writer import WriteClient


def worth_it(journal: Journal, sources: Sequence[str], *, new_master: bool) -> bool:
    """Whether `run` is about to write a new master: with nothing written from these sources yet
    (or --new-master), the scan is needed; a re-run of a written plan would leave it unread."""
    if new_master:
        return True
    earlier = journal.runs(statuses=(*UNFINISHED, RunStatus.VERIFIED), kinds=(RunKind.RUN,))
    return not any(set(run.sources) == set(sources) for run in earlier)


class Lookahead:
    """A `/me/playlists` scan started now, read later by the write step (or never)."""

    def __init__(self, client: WriteClient) -> None:
        self._scan: cf.Future[list[PlaylistInfo]] = cf.Future()
        threading.Thread(target=self._run, args=(client,), name="lookahead", daemon=True).start()

    def _run(self, client: WriteClient) -> None:
        if not self._scan.set_running_or_notify_cancel():
            return
        try:
            self._scan.set_result(client.user_playlists())
        except BaseException as exc:  # handed to whoever reads it, who asks again
            self._scan.set_exception(exc)

    def library(self) -> list[PlaylistInfo] | None:
        """The user's playlists as the scan found them; None if it failed (the caller asks again)."""
        try:
            return self._scan.result()
        except Exception:
            return None

    def snapshots(self, sources: Mapping[str, str | None]) -> dict[str, str | None] | None:
        """Each source's snapshot_id as the scan listed it; None unless it listed every source
        that has one (a source the user follows but does not own may be missing: ask for it)."""
        library = self.library()
        if library is None:
            return None
        listed = {p.id: p.snapshot_id for p in library}
        wanted = [s for s, snap in sources.items() if s != LIKED and snap is not None]
        if any(s not in listed for s in wanted):
            return None
        return {s: listed[s] for s in wanted}
