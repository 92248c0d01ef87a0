"""The /v1 Web API: shared request helpers, the current user and playlists.

Playlist entries live in ``playlist_items.py`` and the catalogue endpoints (tracks, artists, audio features,
Liked Songs, the generic library) in ``catalog.py``; all three register on the same router.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from spotify_merger.emulator import _fields as fieldsmod
from spotify_merger.emulator._objects import DEV, EXTENDED, OPEN, Profile, Renderer, dumps, paging
from spotify_merger.emulator._routing import ApiError, Request, Response, Router
from spotify_merger.emulator._state import Grant, Playlist, State

ID_RE = re.compile(r"^[0-9A-Za-z]{22}$")
MARKET_RE = re.compile(r"^([A-Z]{2}|from_token)$")
FORBIDDEN = "Forbidden"  # what Development Mode answers for endpoints it removed


def fields_param(req: Request) -> fieldsmod.Spec | None:
    """The request's `fields` filter, parsed; a malformed one is a 400, as Spotify answers."""
    if "fields" not in req.query:
        return None
    try:
        return fieldsmod.parse_fields(req.query["fields"])
    except fieldsmod.FieldsError:
        raise ApiError(400, "Invalid fields") from None


def int_param(req: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid {name}") from None
    if value < lo or value > hi:
        raise ApiError(400, f"Invalid {name}")
    return value


class Context:
    """What every handler needs: state, renderer, profile, and the auth/scope/access checks."""

    def __init__(self, state: State, profile: str, token_ttl: Callable[[], float]) -> None:
        if profile not in tuple(Profile):
            raise ValueError(f"unknown profile {profile!r}: use {DEV.value!r} or {EXTENDED.value!r}")
        self.state = state
        self.profile = Profile(profile)
        self.extended = profile == EXTENDED
        self.render = Renderer(state.library, self.profile)
        self.token_ttl = token_ttl

    # --- auth -------------------------------------------------------------------------------------
    def auth(self, req: Request, user: bool = True) -> Grant:
        header = req.headers.get("authorization", "")
        if not header:
            raise ApiError(401, "No token provided")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(400, "Only valid bearer authentication supported")
        grant = self.state.access.get(token.strip())
        if grant is None:
            raise ApiError(401, "Invalid access token")
        if grant.expires_at < time.time():
            raise ApiError(401, "The access token expired")
        if user and grant.user_id is None:
            raise ApiError(401, "This request requires user authentication.")
        return grant

    @staticmethod
    def need_scope(grant: Grant, *any_of: str) -> None:
        if not grant.scopes.intersection(any_of):
            raise ApiError(403, f"Insufficient client scope: requires {' or '.join(any_of)}")

    def removed_in_dev(self) -> None:
        if not self.extended:
            raise ApiError(403, FORBIDDEN)

    # --- playlists --------------------------------------------------------------------------------
    def playlist(self, pid: str) -> Playlist:
        if not ID_RE.match(pid):
            raise ApiError(400, "Invalid base62 id")
        pl = self.state.playlists.get(pid)
        if pl is None:
            raise ApiError(404, "Resource not found")
        return pl

    def can_modify(self, grant: Grant, pl: Playlist) -> bool:
        return pl.owner == grant.user_id or (
            pl.collaborative and pl.id in self.state.follows.get(grant.user_id or "", [])
        )

    def can_read_items(self, grant: Grant, pl: Playlist) -> bool:
        # Development Mode since 2026: only playlists the user owns or collaborates on.
        return self.extended or self.can_modify(grant, pl)

    def check_read_scope(self, grant: Grant, pl: Playlist) -> None:
        if pl.owner == grant.user_id and not pl.public and not pl.collaborative:
            self.need_scope(grant, "playlist-read-private")
        if pl.collaborative and pl.owner != grant.user_id:
            self.need_scope(grant, "playlist-read-collaborative", "playlist-read-private")

    def check_modify(self, grant: Grant, pl: Playlist, verb: str = "modify") -> None:
        if not self.can_modify(grant, pl):
            raise ApiError(403, f"You cannot {verb} a playlist you don't own.")
        self.need_scope(grant, "playlist-modify-public" if pl.public else "playlist-modify-private")

    @staticmethod
    def market(req: Request) -> bool:
        """Validates ``market``; relinking (extended only) applies when one is given."""
        m = req.query.get("market")
        if m is None:
            return False
        if not MARKET_RE.match(m):
            raise ApiError(400, "Invalid market code")
        return True

    def visible_playlists(self, grant: Grant, uid: str) -> list[Playlist]:
        out = []
        for pid in self.state.follows.get(uid, []):
            pl = self.state.playlists.get(pid)
            if pl is None:
                continue
            private = not pl.public and pl.owner == grant.user_id
            if (
                pl.collaborative
                and "playlist-read-collaborative" not in grant.scopes
                and "playlist-read-private" not in grant.scopes
            ):
                continue
            if private and not pl.collaborative and "playlist-read-private" not in grant.scopes:
                continue
            if uid != grant.user_id and not pl.public:
                continue
            out.append(pl)
        return out

    # --- rendering --------------------------------------------------------------------------------
    def owner(self, base: str, uid: str) -> dict[str, Any]:
        return self.render.user_ref(base, uid, self.state.users.get(uid), owner=True)

    def simple_playlist(self, base: str, pl: Playlist) -> dict[str, Any]:
        total = len(pl.entries)
        out: dict[str, Any] = {
            "collaborative": pl.collaborative,
            "description": pl.description,
            "external_urls": {"spotify": f"{OPEN}/playlist/{pl.id}"},
            "href": f"{base}/playlists/{pl.id}",
            "id": pl.id,
            "images": [],
            "name": pl.name,
            "owner": self.owner(base, pl.owner),
            "primary_color": None,
            "public": pl.public,
            "snapshot_id": pl.snapshot_id,
            "items": {"href": f"{base}/playlists/{pl.id}/items", "total": total},
            "type": "playlist",
            "uri": f"spotify:playlist:{pl.id}",
        }
        if self.extended:
            out["tracks"] = {"href": f"{base}/playlists/{pl.id}/tracks", "total": total}
        return out

    def entries_page_json(
        self, req: Request, pl: Playlist, path: str, limit: int, offset: int, relink: bool
    ) -> bytes:
        """The same page as ``entries_page``, encoded straight to JSON bytes (no fields filter)."""
        base = req.base + "/v1"
        with self.state.lock:
            chunk = pl.entries[offset : offset + limit]
            total = len(pl.entries)
        shell = paging(f"{base}/playlists/{pl.id}/{path}", req.query, [], limit, offset, total)
        items = ",".join(self.render.entry_json(base, e, relink) for e in chunk)
        head, _, tail = dumps(shell).partition('"items":[]')
        return f'{head}"items":[{items}]{tail}'.encode()

    def entries_page(
        self,
        req: Request,
        pl: Playlist,
        path: str,
        limit: int,
        offset: int,
        relink: bool,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        base = req.base + "/v1"
        with self.state.lock:
            chunk = pl.entries[offset : offset + limit]
            total = len(pl.entries)
        items = [self.render.entry(base, e, relink) for e in chunk]
        q = req.query if query is None else query
        return paging(f"{base}/playlists/{pl.id}/{path}", q, items, limit, offset, total)


class PlaylistsApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def register(self, router: Router) -> None:
        router.add("/v1/me", "GET", self.me)
        router.add("/v1/me/playlists", "GET", self.my_playlists)
        router.add("/v1/me/playlists", "POST", self.create)
        router.add("/v1/users/{id}", "GET", self.user)
        router.add("/v1/users/{id}/playlists", "GET", self.user_playlists)
        router.add("/v1/users/{id}/playlists", "POST", self.create_for_user)
        router.add("/v1/playlists/{id}", "GET", self.get_playlist)
        router.add("/v1/playlists/{id}", "PUT", self.change_details)
        router.add("/v1/playlists/{id}/followers", "PUT", self.follow)
        router.add("/v1/playlists/{id}/followers", "DELETE", self.unfollow)

    def me(self, req: Request) -> Response:
        ctx = self.ctx
        grant = ctx.auth(req)
        uid = grant.user_id or ""
        base = req.base + "/v1"
        out: dict[str, Any] = {
            "account_id": "acct" + uid,
            "display_name": ctx.state.users.get(uid),
            "external_urls": {"spotify": f"{OPEN}/user/{uid}"},
            "href": f"{base}/users/{uid}",
            "id": uid,
            "images": [],
            "type": "user",
            "uri": f"spotify:user:{uid}",
        }
        if ctx.extended:
            out["followers"] = {"href": None, "total": 3}
            if "user-read-private" in grant.scopes:
                out["country"] = "SE"
                out["product"] = "premium"
                out["explicit_content"] = {"filter_enabled": False, "filter_locked": False}
            if "user-read-email" in grant.scopes:
                out["email"] = f"{uid}@example.com"
        return Response(200, out)

    def _list(self, req: Request, grant: Grant, uid: str) -> Response:
        limit = int_param(req, "limit", 20, 1, 50)
        offset = int_param(req, "offset", 0, 0, 100_000)
        base = req.base + "/v1"
        with self.ctx.state.lock:
            pls = self.ctx.visible_playlists(grant, uid)
        items = [self.ctx.simple_playlist(base, p) for p in pls[offset : offset + limit]]
        path = (
            "/v1/me/playlists"
            if uid == grant.user_id and "/me/" in req.path
            else f"/v1/users/{uid}/playlists"
        )
        return Response(200, paging(req.base + path, req.query, items, limit, offset, len(pls)))

    def my_playlists(self, req: Request) -> Response:
        grant = self.ctx.auth(req)
        return self._list(req, grant, grant.user_id or "")

    def user_playlists(self, req: Request) -> Response:
        grant = self.ctx.auth(req)
        self.ctx.removed_in_dev()
        uid = req.params["id"]
        if uid not in self.ctx.state.users:
            raise ApiError(404, "Resource not found")
        return self._list(req, grant, uid)

    def user(self, req: Request) -> Response:
        self.ctx.auth(req, user=False)
        self.ctx.removed_in_dev()
        uid = req.params["id"]
        if uid not in self.ctx.state.users:
            raise ApiError(404, "Resource not found")
        out = self.ctx.owner(req.base + "/v1", uid)
        out.update(images=[], followers={"href": None, "total": 3})
        return Response(200, out)

    def _create(self, req: Request, grant: Grant) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            raise ApiError(400, "Missing required field: name")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "Missing required field: name")
        public = body.get("public", True)
        collaborative = body.get("collaborative", False)
        description = body.get("description", "")
        if not isinstance(public, bool) or not isinstance(collaborative, bool):
            raise ApiError(400, "public and collaborative must be booleans")
        if description is not None and not isinstance(description, str):
            raise ApiError(400, "description must be a string")
        if collaborative and public:
            raise ApiError(400, "Collaborative playlists can only be private.")
        self.ctx.need_scope(grant, "playlist-modify-public" if public else "playlist-modify-private")
        pl = self.ctx.state.create_playlist(
            grant.user_id or "", name, public, collaborative, description or ""
        )
        resp = Response(201, self.playlist_object(req, pl, None), lost=True)
        return resp

    def create(self, req: Request) -> Response:
        return self._create(req, self.ctx.auth(req))

    def create_for_user(self, req: Request) -> Response:
        grant = self.ctx.auth(req)
        self.ctx.removed_in_dev()
        if req.params["id"] != grant.user_id:
            raise ApiError(403, "You cannot create a playlist for another user.")
        return self._create(req, grant)

    def playlist_object(
        self, req: Request, pl: Playlist, spec: fieldsmod.Spec | None, with_items: bool = True
    ) -> dict[str, Any]:
        ctx = self.ctx
        out = ctx.simple_playlist(req.base + "/v1", pl)
        out["description"] = pl.description or None
        if ctx.extended:
            out["followers"] = {"href": None, "total": 0 if not pl.seeded else 12}
        del out["items"]
        out.pop("tracks", None)
        relink = ctx.market(req)
        if with_items:
            # Like Spotify, the playlist object embeds the first page (up to 100 entries).
            for key in ("items", "tracks") if ctx.extended else ("items",):
                if fieldsmod.wants(spec, key):
                    out[key] = ctx.entries_page(req, pl, key, 100, 0, relink, query={})
        return out

    def get_playlist(self, req: Request) -> Response:
        ctx = self.ctx
        grant = ctx.auth(req)
        pl = ctx.playlist(req.params["id"])
        ctx.check_read_scope(grant, pl)
        spec = fields_param(req)
        # Development Mode: playlists the user neither owns nor collaborates on come without their items.
        out = self.playlist_object(req, pl, spec, with_items=ctx.can_read_items(grant, pl))
        return Response(200, fieldsmod.apply(spec, out))

    def change_details(self, req: Request) -> Response:
        ctx = self.ctx
        grant = ctx.auth(req)
        pl = ctx.playlist(req.params["id"])
        ctx.check_modify(grant, pl)
        body = req.json()
        if not isinstance(body, dict):
            raise ApiError(400, "Error parsing JSON.")
        with ctx.state.lock:
            for key, kind in (("name", str), ("description", str), ("public", bool), ("collaborative", bool)):
                if key in body:
                    if not isinstance(body[key], kind):
                        raise ApiError(400, f"Invalid value for {key}")
                    setattr(pl, key, body[key])
            ctx.state.touch(pl)
        return Response(200, b"", content_type="text/plain")

    def follow(self, req: Request) -> Response:
        return self._set_following(req, True)

    def unfollow(self, req: Request) -> Response:
        return self._set_following(req, False)

    def _set_following(self, req: Request, follow: bool) -> Response:
        ctx = self.ctx
        grant = ctx.auth(req)
        ctx.removed_in_dev()
        pl = ctx.playlist(req.params["id"])
        ctx.need_scope(grant, "playlist-modify-public", "playlist-modify-private")
        with ctx.state.lock:
            follows = ctx.state.follows.setdefault(grant.user_id or "", [])
            if follow and pl.id not in follows:
                follows.insert(0, pl.id)  # a newly followed playlist heads the user's list
                ctx.state.changed()
            elif not follow and pl.id in follows:
                follows.remove(pl.id)
                ctx.state.changed()
        return Response(200, b"", content_type="text/plain", lost=True)
