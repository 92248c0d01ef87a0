"""Catalogue and library endpoints: tracks, artists, audio features, Liked Songs and ``/me/library``.

Development Mode removed the batch lookups (``/tracks?ids=``, ``/artists?ids=``) and audio features; they
answer 403 there, as Spotify's do, while single ``/tracks/{id}`` and ``/artists/{id}`` still work.
"""

from __future__ import annotations

import time
from collections.abc import Container
from typing import Any

from spotify_merger.emulator._api import ID_RE, Context, int_param
from spotify_merger.emulator._objects import paging
from spotify_merger.emulator._routing import ApiError, Request, Response, Router
from spotify_merger.emulator.library import iso

MAX_LIBRARY_URIS = 40


class CatalogApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def register(self, router: Router) -> None:
        router.add("/v1/me/tracks", "GET", self.saved_tracks)
        router.add("/v1/me/library", "PUT", self.library_save)
        router.add("/v1/me/library", "DELETE", self.library_remove)
        router.add("/v1/me/library/contains", "GET", self.library_contains)
        router.add("/v1/tracks/{id}", "GET", self.track)
        router.add("/v1/tracks", "GET", self.tracks)
        router.add("/v1/artists/{id}", "GET", self.artist)
        router.add("/v1/artists", "GET", self.artists)
        router.add("/v1/audio-features/{id}", "GET", self.one_audio_features)
        router.add("/v1/audio-features", "GET", self.audio_features)

    @staticmethod
    def _ids(req: Request, most: int) -> list[str]:
        raw = req.query.get("ids", "")
        ids = [i.strip() for i in raw.split(",") if i.strip()]
        if not ids:
            raise ApiError(400, "Missing required parameter: ids")
        if len(ids) > most:
            raise ApiError(400, "Too many ids requested")
        for i in ids:
            if not ID_RE.match(i):
                raise ApiError(400, f"Invalid base62 id: {i}")
        return ids

    # --- tracks -----------------------------------------------------------------------------------
    def _one(self, req: Request, known: Container[str]) -> str:
        """The id of a single-object path (`/tracks/{id}`, `/artists/{id}`), once checked."""
        self.ctx.auth(req, user=False)
        item_id = req.params["id"]
        if not ID_RE.match(item_id):
            raise ApiError(400, "Invalid base62 id")
        if item_id not in known:
            raise ApiError(404, "Resource not found")
        return item_id

    def track(self, req: Request) -> Response:
        ctx = self.ctx
        tid = self._one(req, ctx.state.library.tracks)
        return Response(200, ctx.render.track(req.base + "/v1", tid, ctx.market(req)))

    def tracks(self, req: Request) -> Response:
        ctx = self.ctx
        ctx.auth(req, user=False)
        ctx.removed_in_dev()
        ids = self._ids(req, 50)
        relink = ctx.market(req)
        base = req.base + "/v1"
        lib = ctx.state.library
        return Response(
            200, {"tracks": [ctx.render.track(base, i, relink) if i in lib.tracks else None for i in ids]}
        )

    # --- artists ----------------------------------------------------------------------------------
    def artist(self, req: Request) -> Response:
        aid = self._one(req, self.ctx.state.library.artists)
        return Response(200, self.ctx.render.artist(req.base + "/v1", aid))

    def artists(self, req: Request) -> Response:
        ctx = self.ctx
        ctx.auth(req, user=False)
        ctx.removed_in_dev()
        ids = self._ids(req, 50)
        base = req.base + "/v1"
        known = ctx.state.library.artists
        return Response(200, {"artists": [ctx.render.artist(base, i) if i in known else None for i in ids]})

    # --- audio features ---------------------------------------------------------------------------
    def _features(self, base: str, tid: str) -> dict[str, Any] | None:
        f = self.ctx.state.library.audio_features(tid)
        if f is not None:
            f["uri"] = f"spotify:track:{tid}"
            f["track_href"] = f"{base}/tracks/{tid}"
            f["analysis_url"] = f"{base}/audio-analysis/{tid}"
        return f

    def audio_features(self, req: Request) -> Response:
        ctx = self.ctx
        ctx.auth(req, user=False)
        ctx.removed_in_dev()
        ids = self._ids(req, 100)
        base = req.base + "/v1"
        return Response(200, {"audio_features": [self._features(base, i) for i in ids]})

    def one_audio_features(self, req: Request) -> Response:
        ctx = self.ctx
        ctx.auth(req, user=False)
        ctx.removed_in_dev()
        tid = req.params["id"]
        if not ID_RE.match(tid):
            raise ApiError(400, "Invalid base62 id")
        f = self._features(req.base + "/v1", tid)
        if f is None:
            raise ApiError(404, "Resource not found")
        return Response(200, f)

    # --- Liked Songs and the generic library ------------------------------------------------------
    def saved_tracks(self, req: Request) -> Response:
        ctx = self.ctx
        grant = ctx.auth(req)
        ctx.need_scope(grant, "user-library-read")
        limit = int_param(req, "limit", 20, 1, 50)
        offset = int_param(req, "offset", 0, 0, 1_000_000)
        relink = ctx.market(req)
        base = req.base + "/v1"
        with ctx.state.lock:
            chunk = ctx.state.liked[offset : offset + limit]
            total = len(ctx.state.liked)
        items = [{"added_at": at, "track": ctx.render.track(base, tid, relink)} for tid, at in chunk]
        return Response(200, paging(f"{base}/me/tracks", req.query, items, limit, offset, total))

    def _library_uris(self, req: Request) -> list[tuple[str, str]]:
        raw = req.query.get("uris", "")
        uris = [u.strip() for u in raw.split(",") if u.strip()]
        if not uris:
            raise ApiError(400, "Missing required parameter: uris")
        if len(uris) > MAX_LIBRARY_URIS:
            raise ApiError(400, f"Too many uris: at most {MAX_LIBRARY_URIS}")
        out = []
        for u in uris:
            parts = u.split(":")
            if len(parts) != 3 or parts[0] != "spotify" or not ID_RE.match(parts[2]):
                raise ApiError(400, f"Invalid URI: {u}")
            if parts[1] not in ("track", "album", "episode", "show", "audiobook", "user", "playlist"):
                raise ApiError(400, f"Unsupported URI type: {parts[1]}")
            out.append((parts[1], parts[2]))
        return out

    def _library_change(self, req: Request, save: bool) -> Response:
        ctx = self.ctx
        grant = ctx.auth(req)
        items = self._library_uris(req)
        kinds = {k for k, _ in items}
        if "playlist" in kinds:
            ctx.need_scope(
                grant,
                "playlist-modify-public",
                "playlist-modify-private",
                "user-library-modify",
                "user-follow-modify",
            )
        if kinds - {"playlist"}:
            ctx.need_scope(grant, "user-library-modify")
        uid = grant.user_id or ""
        with ctx.state.lock:
            follows = ctx.state.follows.setdefault(uid, [])
            liked_ids = {t for t, _ in ctx.state.liked}
            for kind, ident in items:
                if kind == "playlist":
                    if save and ident not in follows and ident in ctx.state.playlists:
                        follows.insert(0, ident)
                    elif not save and ident in follows:
                        follows.remove(ident)
                elif kind == "track":
                    if save and ident not in liked_ids and ident in ctx.state.library.tracks:
                        ctx.state.liked.insert(0, (ident, iso(time.time())))
                        liked_ids.add(ident)
                    elif not save and ident in liked_ids:
                        ctx.state.liked = [(t, a) for t, a in ctx.state.liked if t != ident]
                        liked_ids.discard(ident)
                    ctx.state.liked_modified = True
            ctx.state.changed()
        return Response(200, b"", content_type="text/plain", lost=True)

    def library_save(self, req: Request) -> Response:
        return self._library_change(req, save=True)

    def library_remove(self, req: Request) -> Response:
        return self._library_change(req, save=False)

    def library_contains(self, req: Request) -> Response:
        """Whether each URI is in the user's library (playlists: followed), in the order asked."""
        ctx = self.ctx
        grant = ctx.auth(req)
        items = self._library_uris(req)
        kinds = {k for k, _ in items}
        if "playlist" in kinds:
            ctx.need_scope(grant, "playlist-read-private", "user-follow-read", "user-library-read")
        if kinds - {"playlist"}:
            ctx.need_scope(grant, "user-library-read")
        uid = grant.user_id or ""
        with ctx.state.lock:
            follows = set(ctx.state.follows.get(uid, []))
            liked_ids = {t for t, _ in ctx.state.liked}
            answer = [
                ident in follows if kind == "playlist" else ident in liked_ids if kind == "track" else False
                for kind, ident in items
            ]
        return Response(200, answer)
