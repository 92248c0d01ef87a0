"""Which master a sync works on, from which sources, with which options.

Without `--master`: the master of the last run or sync. `--master` naming every part of a master
the journal knows: that master. `--master` naming playlists it does not know: they are adopted as
a new master, provided they are the user's own (recorded only when the sync goes ahead). Sources
and options default to those of the master's last run or sync.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spotify_merger.analyze import MergeOptions
from spotify_merger.context import Environment
from spotify_merger.display import quote
from spotify_merger.errors import ConflictError, ForbiddenError, NothingToDoError, UsageError
from spotify_merger.fetch.sources import resolve_sources
from spotify_merger.spotify.ids import LIKED, parse_source
from spotify_merger.spotify.models import PlaylistInfo
from spotify_merger.sync.apply import SyncClient
from spotify_merger.sync.record import Master, MasterPart, SyncJournal
from spotify_merger.write.journal import RunKind, RunStatus

PART_SUFFIX = re.compile(r"\s+\(\d+(?:/\d+)?\)$")
OWN_HINT = "pass a playlist you own with --master (`spotify-merger playlists` lists yours)"


def choose_master(
    journal: SyncJournal, client: SyncClient, refs: Sequence[str]
) -> tuple[Master, list[PlaylistInfo] | None]:
    """The master, and the playlists to adopt (None when the journal knows the master already)."""
    ids = [_playlist_id(r) for r in refs]
    if not ids:
        master = journal.latest_master()
        if master is None:
            raise NothingToDoError(
                "there is no master playlist to sync: no run has written one in this data dir",
                "run `spotify-merger run` first, or adopt a playlist you made with `spotify-merger sync --master URL`",
            )
        _refuse_unfinished_run(journal, master)
        return master, None
    if len(set(ids)) != len(ids):
        raise UsageError("a playlist is given twice with --master", "give each part of the master once")
    known = {journal.master_of(pid) for pid in ids}
    if len(known) == 1 and None not in known:
        return journal.master(str(known.pop())), None
    if known - {None}:
        raise UsageError(
            "--master mixes parts of a master spotify-merger keeps with other playlists",
            "name every part of one master, or only playlists to adopt as a new master",
        )
    return _to_adopt(client, ids)


def _to_adopt(client: SyncClient, ids: list[str]) -> tuple[Master, list[PlaylistInfo]]:
    """The user's own playlists as a master not yet recorded: everything in them is theirs."""
    me = client.me().id
    metas = []
    for pid in ids:
        try:
            meta = client.playlist_meta(pid)
        except ForbiddenError:
            raise ForbiddenError(
                f"the playlist {pid} is not yours: sync adopts only a playlist you own", OWN_HINT
            ) from None
        if meta.owner_id != me:
            owner = meta.owner_name or meta.owner_id
            raise ForbiddenError(
                f"the playlist {quote(meta.name or pid)} is owned by {quote(owner)}, not you: sync adopts only your own",
                OWN_HINT,
            )
        metas.append(meta)
    base = PART_SUFFIX.sub("", metas[-1].name or "Master") or "Master"
    parts = [MasterPart(i, m.id, m.name or m.id) for i, m in enumerate(metas, start=1)]
    return Master("", base, RunKind.ADOPT, me, [], {}, parts), metas


def _refuse_unfinished_run(journal: SyncJournal, master: Master) -> None:
    """A newer `run` that left another master half-written comes first."""
    newer = journal.latest_run(statuses=(RunStatus.WRITING, RunStatus.WRITTEN))
    if newer is None or newer.run_id == master.master_id:
        return
    if journal.master_of(next(iter(newer.playlist_ids), "")) != master.master_id:
        raise ConflictError(
            f"the last run left the master {quote(newer.master_name)} unfinished",
            "finish it with `spotify-merger run` (or set it aside with `spotify-merger run --new-master`), then sync",
        )


def sources_for(env: Environment, master: Master, given: Sequence[str]) -> list[str]:
    if given:
        sources = resolve_sources(env, list(given))
    elif master.sources:
        sources = list(master.sources)
    else:
        sources = resolve_sources(env, None)
    clash = set(master.playlist_ids) & set(sources)
    if clash:
        raise UsageError(
            f"the master playlist {next(iter(clash))} is also one of the sources",
            "name the master with --master and the sources as arguments; a playlist cannot be both",
        )
    return sources


def exclusions_for(master: Master, sources: Sequence[str], given: str | None) -> str | None:
    """The exclusions playlist: the one given, else the master's own (from `run --exclude-playlist`)."""
    recorded = (master.options or {}).get("exclude_playlist")
    pid = parse_source(given) if given else (str(recorded) if recorded else None)
    if pid is not None and (pid in sources or pid in master.playlist_ids):
        raise UsageError(
            f"the playlist {pid} is both the exclusions playlist and a source or part of the master",
            "name it once: as a source, or with --exclude-playlist",
        )
    return pid


def merge_options_for(
    master: Master, match: str | None, keep: str | None, order: str | None, keep_weights: bool | None
) -> MergeOptions:
    """The options given, the master's last ones for the others."""
    base = master.options or {}
    return MergeOptions(
        match=match or base.get("match", "smart"),  # type: ignore[arg-type]
        keep=keep or base.get("keep", "most-weighted"),  # type: ignore[arg-type]
        order=order or base.get("order", "first-added"),  # type: ignore[arg-type]
        keep_weights=keep_weights if keep_weights is not None else bool(base.get("keep_weights")),
    )


def _playlist_id(ref: str) -> str:
    pid = parse_source(ref)
    if pid == LIKED:
        raise UsageError("Liked Songs cannot be a master", "pass a playlist you own with --master")
    return pid
