"""Playlist entries: ``/playlists/{id}/items`` (GET, POST, PUT, DELETE) and the legacy ``/tracks`` twin.

Development Mode serves only ``/items`` (limit 1..50, each entry's track or episode under ``item``); the
extended profile serves both paths with limit 1..100 and entries carrying ``track`` as well as ``item``.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import unquote

from spotify_merger.emulator import _fields as fieldsmod
from spotify_merger.emulator._api import Context, fields_param, int_param
from spotify_merger.emulator._routing import ApiError, Request, Response, Router
from spotify_merger.emulator._state import MAX_PLAYLIST_ITEMS
from spotify_merger.emulator.library import iso

ADDABLE_RE = re.compile(r"^spotify:(track|episode):([0-9A-Za-z]{22})$")
MAX_PER_REQUEST = 100


class ItemsApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def register(self, router: Router) -> None:
        for path in ("items", "tracks"):
            t = f"/v1/playlists/{{id}}/{path}"
            router.add(t, "GET", self.get)
            router.add(t, "POST", self.add)
            router.add(t, "PUT", self.update)
            router.add(t, "DELETE", self.remove)

    def _legacy_gate(self, req: Request) -> str:
        path = "tracks" if req.path.rstrip("/").endswith("/tracks") else "items"
        if path == "tracks":
            self.ctx.removed_in_dev()
        return path

    # --- read -------------------------------------------------------------------------------------
    def get(self, req: Request) -> Response:
        ctx = self.ctx
        grant = ctx.auth(req)
        path = self._legacy_gate(req)
        pl = ctx.playlist(req.params["id"])
        ctx.check_read_scope(grant, pl)
        if not ctx.can_read_items(grant, pl):
            raise ApiError(
                403,
                "Forbidden: in Development Mode an app can only read the items of playlists "
                "the user owns or collaborates on",
            )
        limit = int_param(req, "limit", 20, 1, 100 if ctx.extended else 50)
        offset = int_param(req, "offset", 0, 0, 1_000_000)
        relink = ctx.market(req)
        spec = fields_param(req)
        if spec is None:
            return Response(200, ctx.entries_page_json(req, pl, path, limit, offset, relink))
        page = ctx.entries_page(req, pl, path, limit, offset, relink)
        return Response(200, fieldsmod.apply(spec, page))

    # --- add --------------------------------------------------------------------------------------
    def _uris_and_position(self, req: Request) -> tuple[list[str], int | None]:
        body = req.json()
        position: Any = req.query.get("position")
        uris: Any
        if "uris" in req.query:
            # The query string wins over the body, as documented.
            uris = [unquote(u).strip() for u in req.query["uris"].split(",") if u.strip()]
        elif isinstance(body, list):  # spotipy's playlist_add_items sends a bare JSON array
            uris = body
        elif isinstance(body, dict):
            uris = body.get("uris")
            if position is None:
                position = body.get("position")
        else:
            uris = None
        if not isinstance(uris, list) or not uris:
            raise ApiError(400, "No uris provided")
        if not all(isinstance(u, str) for u in uris):
            raise ApiError(400, "Invalid uris: expected a list of strings")
        if position is not None:
            try:
                position = int(position)
            except (TypeError, ValueError):
                raise ApiError(400, "Invalid position") from None
        return uris, position

    def _check_uris(self, uris: list[str]) -> None:
        lib = self.ctx.state.library
        for uri in uris:
            if uri.startswith("spotify:local:"):
                raise ApiError(400, "Local files cannot be added through the Web API")
            m = ADDABLE_RE.match(uri)
            if not m:
                raise ApiError(400, f"Invalid track uri: {uri}")
            kind, ident = m.groups()
            if (kind == "track" and ident not in lib.tracks) or (
                kind == "episode" and ident not in lib.episodes
            ):
                raise ApiError(400, "Payload contains a non-existing ID")

    def add(self, req: Request) -> Response:
        ctx = self.ctx
        grant = ctx.auth(req)
        self._legacy_gate(req)
        pl = ctx.playlist(req.params["id"])
        ctx.check_modify(grant, pl, "add items to")
        uris, position = self._uris_and_position(req)
        if len(uris) > MAX_PER_REQUEST:
            raise ApiError(400, f"You can add a maximum of {MAX_PER_REQUEST} items per request.")
        self._check_uris(uris)
        with ctx.state.lock:
            n = len(pl.entries)
            if n + len(uris) > MAX_PLAYLIST_ITEMS:
                raise ApiError(
                    403,
                    f"Playlist size limit reached: a playlist can hold at most "
                    f"{MAX_PLAYLIST_ITEMS:,} items ({n:,} now, {len(uris)} more requested)",
                )
            if position is not None and not 0 <= position <= n:
                raise ApiError(400, "Index out of bounds")
            now = iso(time.time())
            new = [[u, now, grant.user_id] for u in uris]
            at = n if position is None else position
            pl.entries[at:at] = new
            ctx.state.touch(pl)
            snap = pl.snapshot_id
        return Response(201, {"snapshot_id": snap}, lost=True)

    # --- replace / reorder ------------------------------------------------------------------------
    def update(self, req: Request) -> Response:
        ctx = self.ctx
        grant = ctx.auth(req)
        self._legacy_gate(req)
        pl = ctx.playlist(req.params["id"])
        ctx.check_modify(grant, pl)
        body = req.json()
        body = body if isinstance(body, dict) else {}
        with ctx.state.lock:
            if "uris" in req.query or "uris" in body:
                uris, _ = (
                    self._uris_and_position(req) if ("uris" in req.query or body.get("uris")) else ([], None)
                )
                if len(uris) > MAX_PER_REQUEST:
                    raise ApiError(400, f"You can set a maximum of {MAX_PER_REQUEST} items per request.")
                self._check_uris(uris)
                now = iso(time.time())
                pl.entries[:] = [[u, now, grant.user_id] for u in uris]
            elif "range_start" in body and "insert_before" in body:
                start, before = body["range_start"], body["insert_before"]
                length = body.get("range_length", 1)
                n = len(pl.entries)
                if not all(isinstance(v, int) for v in (start, before, length)) or not (
                    0 <= start < n and 0 <= before <= n and 1 <= length <= n - start
                ):
                    raise ApiError(400, "Index out of bounds")
                moved = pl.entries[start : start + length]
                rest = pl.entries[:start] + pl.entries[start + length :]
                at = before if before <= start else before - length
                pl.entries[:] = rest[:at] + moved + rest[at:]
            else:
                raise ApiError(400, "Either uris or range_start and insert_before must be given")
            ctx.state.touch(pl)
            snap = pl.snapshot_id
        return Response(200, {"snapshot_id": snap}, lost=True)

    # --- remove -----------------------------------------------------------------------------------
    def remove(self, req: Request) -> Response:
        """Remove by URI: every occurrence of each URI goes (the public definition takes no positions).

        The body key is the path's own: ``items`` on ``/items``, ``tracks`` on the legacy ``/tracks``.
        ``snapshot_id`` is checked to be a string; per the definition the change is made "even if more
        recent changes have been made to the playlist".
        """
        ctx = self.ctx
        grant = ctx.auth(req)
        path = self._legacy_gate(req)
        pl = ctx.playlist(req.params["id"])
        ctx.check_modify(grant, pl, "remove items from")
        body = req.json()
        objs = body.get(path) if isinstance(body, dict) else None
        if not isinstance(objs, list) or not objs:
            raise ApiError(400, f'Missing or empty {path}: expected {{"{path}": [{{"uri": ...}}]}}')
        if len(objs) > MAX_PER_REQUEST:
            raise ApiError(400, f"You can remove a maximum of {MAX_PER_REQUEST} items per request.")
        snapshot = body.get("snapshot_id")
        if snapshot is not None and not isinstance(snapshot, str):
            raise ApiError(400, "Invalid snapshot_id")
        uris: set[str] = set()
        for o in objs:
            uri = o.get("uri") if isinstance(o, dict) else None
            if not isinstance(uri, str) or not (ADDABLE_RE.match(uri) or uri.startswith("spotify:local:")):
                raise ApiError(400, "Invalid track uri")
            if isinstance(o, dict) and "positions" in o:
                raise ApiError(400, "positions are not accepted: every occurrence of a URI is removed")
            uris.add(uri)
        with ctx.state.lock:
            pl.entries[:] = [e for e in pl.entries if e[0] not in uris]
            ctx.state.touch(pl)
            snap = pl.snapshot_id
        return Response(200, {"snapshot_id": snap}, lost=True)
