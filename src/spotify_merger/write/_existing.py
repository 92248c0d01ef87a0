"""Masters written earlier: re-checked before they are called verified, and their names never reused.

A `run` whose exact plan was written and verified before writes nothing, but the master may have
been edited since, in the Spotify app or anywhere else. `recheck` asks Spotify for each part's
snapshot_id (one call per part): the snapshot our last add left, or the one a later read-back
found matching, means nothing changed; any other means a full read-back, and a master that no
longer matches the plan is a VerifyError (exit 12), never "already done".

A new master never silently takes a name already in use. `free_master_name` looks once at the
user's library (one `/me/playlists` scan) and at this data dir's journal: a name the user chose
with --name is refused when a playlist of that name (or of one of its part names) is there (exit
11, with who made it); the default name moves on to "NAME (2)", "NAME (3)", ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spotify_merger.display import quote
from spotify_merger.errors import ConflictError, NotFoundError, VerifyError
from spotify_merger.spotify.models import PlaylistInfo
from spotify_merger.write.journal import Journal, RunRecord, RunStatus
from spotify_merger.write.summary import Verification
from spotify_merger.write.verify import VerifyResult, show_problems, verify_run
from spotify_merger.write.writer import WriteClient

if TYPE_CHECKING:
    from spotify_merger.context import Environment

LIVE = (RunStatus.WRITING, RunStatus.WRITTEN, RunStatus.VERIFIED)  # whose master may still exist
EDITED_HINT = (
    "`spotify-merger run --new-master --name NEW` builds a fresh master from the plan, or "
    "`spotify-merger undo` removes this one; nothing was written"
)


def _checked_key(run: RunRecord, part_index: int) -> str:
    return f"verified_snapshot:{run.run_id}:{part_index}"


def recheck(env: Environment, client: WriteClient, journal: Journal, run: RunRecord) -> Verification:
    """Prove a verified master still matches its plan (see the module docstring), or raise VerifyError."""
    db = journal.db
    changed: dict[int, str | None] = {}
    for part in run.parts:
        if not part.playlist_id:
            changed[part.part_index] = None
            continue
        try:
            snapshot = client.playlist_meta(part.playlist_id).snapshot_id
        except NotFoundError:
            changed[part.part_index] = None
            continue
        known = {
            journal.last_snapshot(run.run_id, part.part_index),
            db.get_meta(_checked_key(run, part.part_index)),
        }
        if snapshot is None or snapshot not in known:
            changed[part.part_index] = snapshot
    if not changed:
        return Verification.SNAPSHOT
    result = verify_run(client, journal, run)
    if not result.ok:
        raise_edited(env, run, result)
    for part_index, snapshot in changed.items():
        if snapshot is not None:
            db.set_meta(_checked_key(run, part_index), snapshot)
    return Verification.READ_BACK


def raise_edited(env: Environment, run: RunRecord, result: VerifyResult) -> None:
    show_problems(env, result)
    bad = [p for p in result.parts if not p.ok]
    first = bad[0]
    verified = f" on {run.verified_at:%Y-%m-%d %H:%M} UTC" if run.verified_at else ""
    raise VerifyError(
        f"the master {quote(run.master_name)} was verified{verified} but no longer matches the plan "
        f"({quote(first.name)}: {first.problems[0]})",
        EDITED_HINT,
    )


# -- names ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameInUse:
    name: str
    playlist_id: str
    run: RunRecord | None  # the earlier run of this data dir that wrote it, if one did

    def describe(self) -> str:
        if self.run is None:
            return f"a playlist named {quote(self.name)} ({self.playlist_id}) is already in your library"
        return (
            f"a playlist named {quote(self.name)} ({self.playlist_id}) is already in your library: "
            f"spotify-merger wrote it on {self.run.created_at:%Y-%m-%d} from another plan"
        )


def free_master_name(
    client: WriteClient,
    journal: Journal,
    *,
    given: str | None,
    default: str,
    part_names: Callable[[str], list[str]],
    scanned: list[PlaylistInfo] | None = None,
) -> str:
    """The name a new master will get; ConflictError when the name given with --name is taken.

    `part_names(name)` gives the playlist names a master called `name` is written as (the name
    itself, or "NAME (1/2)", "NAME (2/2)", ...). One `/me/playlists` scan, whatever the outcome,
    unless `scanned` is one made moments ago (`lookahead.Lookahead`).
    """
    library: dict[str, str] = {}
    for playlist in client.user_playlists() if scanned is None else scanned:
        if playlist.name is not None:
            library.setdefault(playlist.name, playlist.id)
    ours = _names_of_live_runs(journal)

    def taken(name: str) -> NameInUse | None:
        for candidate in (name, *part_names(name)):
            if candidate in library:
                return NameInUse(candidate, library[candidate], ours.get(library[candidate]))
        return None

    if given is not None:
        clash = taken(given)
        if clash is not None:
            raise ConflictError(
                f"{clash.describe()}, and a second one of the same name would be a silent duplicate; "
                "nothing was written",
                "choose another --name (or remove or rename that playlist first; `spotify-merger undo` "
                "removes the last master this tool wrote)",
            )
        return given
    candidate, n = default, 1
    while taken(candidate) is not None:
        n += 1
        candidate = f"{default} ({n})"
    return candidate


def _names_of_live_runs(journal: Journal) -> dict[str, RunRecord]:
    """Playlist id -> the run of this data dir that created it, for runs whose master may still exist."""
    out: dict[str, RunRecord] = {}
    for run in journal.runs(statuses=LIVE):
        for part in run.parts:
            if part.playlist_id:
                out[part.playlist_id] = run
    return out


__all__ = ["EDITED_HINT", "free_master_name", "recheck"]
