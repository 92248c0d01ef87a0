"""Sync's reads: snapshots first (as few calls as possible), then pages only of what changed.

`probe` learns each source's and each master part's snapshot_id, entry count and owner, and
whether each part is still in the user's library. One page of the library listing (50
playlists, one call) usually shows them all; whatever it does not show costs one metadata call,
plus one library check for parts. So an unchanged sync costs at most one call per source and
per part, usually a single call.

`read_changed` then reads, page by page, only the playlists whose snapshot moved: the sources
into DuckDB as `fetch` does, the parts likewise but marked as master parts. What a part held at
the tool's last write is in the database already (its entries, seeded from the journal after a
`run`, replaced after each verified sync), so an unchanged part is never read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from spotify_merger.context import Environment
from spotify_merger.errors import ForbiddenError, NotFoundError
from spotify_merger.fetch import fetch_sources
from spotify_merger.spotify.client import ApiProfile, SpotifyClient
from spotify_merger.spotify.ids import LIKED
from spotify_merger.spotify.models import JsonObject, PlaylistInfo
from spotify_merger.store.database import Database
from spotify_merger.store.pages import PlaylistRow, replace_entries
from spotify_merger.sync.apply import SyncClient
from spotify_merger.sync.record import Master, SyncJournal

LISTING_PAGE = 50


@dataclass
class Probe:
    metas: dict[str, PlaylistInfo]  # playlist id -> name, owner, snapshot_id, size
    not_in_library: set[str] = field(default_factory=set)  # master parts the user deleted or unfollowed
    not_found: set[str] = field(default_factory=set)  # master parts Spotify does not know


def probe(client: SyncClient, sources: list[str], parts: list[str]) -> Probe:
    """Snapshot, size and owner of every source and part, and which parts left the library."""
    need = [s for s in sources if s != LIKED] + [p for p in parts if p not in sources]
    result = Probe({})
    if not need:
        return result
    listed, total = client.library_page(0)
    pages = max(1, math.ceil(total / LISTING_PAGE))
    found = {m.id: m for m in listed if m.id in need and m.total is not None}
    # The rest of a small library costs no more than the metadata calls it saves.
    missing = [p for p in need if p not in found]
    whole = pages == 1
    if missing and 1 < pages <= len(missing):
        for page in range(1, pages):
            more, _ = client.library_page(page * LISTING_PAGE)
            listed += more
            found.update({m.id: m for m in more if m.id in need and m.total is not None})
        whole = True
    result.metas.update(found)
    _metadata_of_the_rest(client, need, parts, result)
    unlisted = [p for p in parts if p not in found and p not in result.not_found]
    if unlisted and whole:
        listed_ids = {m.id for m in listed}
        result.not_in_library.update(p for p in unlisted if p not in listed_ids)
    elif unlisted:
        result.not_in_library.update(_not_in_library(client, unlisted))
    return result


def _not_in_library(client: SyncClient, playlist_ids: list[str]) -> set[str]:
    """Which of these playlists left the user's library: one library check, or (where an API has no
    such check) the whole library listing."""
    try:
        kept = client.in_library(playlist_ids)
    except (NotFoundError, ForbiddenError):
        listed = {p.id for p in client.user_playlists()}
        return {p for p in playlist_ids if p not in listed}
    return {p for p, k in zip(playlist_ids, kept, strict=True) if not k}


def _metadata_of_the_rest(client: SyncClient, need: list[str], parts: list[str], result: Probe) -> None:
    """One metadata call for each playlist the library listing did not show."""
    for pid in need:
        if pid in result.metas:
            continue
        try:
            result.metas[pid] = client.playlist_meta(pid)
        except NotFoundError:
            if pid not in parts:
                raise
            result.not_found.add(pid)


def seed_from_journal(db: Database, journal: SyncJournal, master: Master, page_size: int) -> None:
    """Store what a `run` wrote as the parts' known contents, once, so its first sync reads nothing.

    The run's journal knows each part's URIs and the snapshot_id its last add returned; a part whose
    snapshot_id is still that one holds exactly these URIs.
    """
    for part in master.parts:
        if db.fetchone("SELECT 1 FROM playlists WHERE id = ?", [part.playlist_id]):
            continue
        found = db.fetchone(
            "SELECT p.run_id, p.part_index FROM write_parts p JOIN write_runs r USING (run_id)"
            " WHERE p.playlist_id = ? AND coalesce(r.kind, 'run') = 'run' AND r.status = 'verified'",
            [part.playlist_id],
        )
        if found is None:
            continue  # adopted, or made by a sync: read when first needed
        run_id, index = str(found[0]), int(found[1])
        uris = journal.plan_uris(run_id, index)
        snapshot = journal.last_snapshot(run_id, index)
        row = PlaylistRow(part.playlist_id, part.name, None, None, snapshot, len(uris), "master")
        items = [{"item": _item_of(u), "added_at": None} for u in uris]
        replace_entries(db, row, 0, items, page_size=page_size, catalogue=False)


def _item_of(uri: str) -> JsonObject:
    kind = "episode" if uri.startswith("spotify:episode:") else "track"
    return {"type": kind, "id": uri.rsplit(":", 1)[1], "uri": uri}


def page_size_for(db: Database, env: Environment, client: SpotifyClient) -> int:
    """The page size fetch will use: the profile this API base was last seen with."""
    if not client.profile_known:
        stored = db.get_meta(f"api_profile:{env.api_base}")
        if stored in {p.value for p in ApiProfile}:
            client.profile = ApiProfile(stored)
    return client.page_limit


def read_changed(
    env: Environment,
    client: SpotifyClient,
    db: Database,
    sources: list[str],
    parts: list[str],
    metas: dict[str, PlaylistInfo],
) -> dict[str, int]:
    """Read the sources and parts whose snapshot moved; returns pages read per playlist."""
    read: dict[str, int] = {}
    for ids, role in ((sources, "source"), (parts, "master")):
        if not ids:
            continue
        known = {pid: metas[pid] for pid in ids if pid in metas}
        result = fetch_sources(env, ids, client=client, db=db, features=False, known=known, role=role)
        read.update({p.id: p.pages_fetched for p in result.playlists})
    return read


def contents(db: Database, playlist_id: str) -> list[str | None]:
    """The part's entries as stored: URIs in order, None for an unavailable entry."""
    rows = db.fetchall(
        "SELECT uri, is_unavailable FROM entries WHERE playlist_id = ? ORDER BY position", [playlist_id]
    )
    return [None if unavailable or uri is None else str(uri) for uri, unavailable in rows]
